/**
 * The entries of a (possibly compressed) tar stream, checked before anyone sees them: every name is a clean
 * relative path, every link stays inside, only files, folders and links pass, and the limits hold. The reader
 * and the extractor share this, so a hostile archive fails the same way whether it is read or unpacked.
 */
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { EngineError, isEngineError } from '../errors.js';
import { openTar, type Compression, type ReadOptions } from './compression.js';
import { cancelledBy, quote } from './errors.js';
import { cleanPath, linkTargetProblem, type PathLimit } from './paths.js';

/**
 * What one archive may hold. The defaults fit checkpoints (podman's exports have tens to a few thousand
 * entries; rootfs-diff.tar is one entry, however many files it holds) with room to spare, and keep the memory
 * a reader needs for the names small: every name is remembered until the end, to refuse repeats and writes
 * through links.
 */
export interface ArchiveLimits {
  /**
   * Entries, counting the folders their paths imply; default 50,000. CRIU writes a few files per process and one
   * per thread: a checkpoint has tens to a few thousand, one of 10,000 threads some 12,000.
   */
  maxEntries?: number;
  /** Largest single entry; default 32 GiB (memory pages of a big container). */
  maxEntryBytes?: number;
  /** All entries together; default 64 GiB. */
  maxTotalBytes?: number;
  /** Longest path or link target in bytes; default 4096 (Linux PATH_MAX). */
  maxPathBytes?: number;
  /** All entry names and link targets together, in bytes; default 8 MiB (a checkpoint's take some KiB). */
  maxNameBytes?: number;
  /**
   * Most folders a path goes through; default 64 (a checkpoint's go through one or two). Every one is a step
   * for the kernel each time the extractor makes or checks a folder below it.
   */
  maxDepth?: number;
}

/** The limits in force when a caller names none. */
export const DEFAULT_ARCHIVE_LIMITS: Readonly<Required<ArchiveLimits>> = {
  maxEntries: 50_000,
  maxEntryBytes: 32 * 1024 ** 3,
  maxTotalBytes: 64 * 1024 ** 3,
  maxPathBytes: 4096,
  maxNameBytes: 8 << 20,
  maxDepth: 64,
};

export interface TarEntry {
  /** A clean relative path: no `./` prefix, no `..`, no trailing `/`. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  size: number;
  /** A symlink's target as written, or the clean path of the entry a hard link points to. */
  linkTarget?: string;
  /** The file's bytes: read them all or not at all (unread ones are skipped). */
  body: AsyncIterable<Buffer>;
}

export type TarEntryOptions = ReadOptions & ArchiveLimits & {
  /**
   * Symlinks may point anywhere (their targets still checked for length and bytes): for a tar that is only listed,
   * never unpacked here, like rootfs-diff.tar, which podman unpacks into the container's root, where links to
   * /proc/mounts are normal.
   */
  linksAnywhere?: boolean;
};

/**
 * Opens a tar stream, compressed or not, as checked entries. `what` names it in errors, which are
 * EngineErrors naming the entry and the cause.
 */
export async function openEntries(
  input: string | Readable,
  what: string,
  options: TarEntryOptions = {},
): Promise<{ compression: Compression; entries: AsyncGenerator<TarEntry> }> {
  try {
    const { compression, tar: stream } = await openTar(input, what, options);
    return { compression, entries: checkedEntries(stream, what, options) };
  } catch (err) {
    throw failure(err, what, options.signal);
  }
}

async function* checkedEntries(stream: Readable, what: string, options: TarEntryOptions): AsyncGenerator<TarEntry> {
  const limits = { ...DEFAULT_ARCHIVE_LIMITS };
  for (const key of Object.keys(limits) as Array<keyof ArchiveLimits>) if (options[key] !== undefined) limits[key] = options[key];
  const extract = tar.extract();
  stream.on('error', (err) => extract.destroy(err));
  stream.pipe(extract);
  let headers = 0;
  let total = 0;
  let nameBytes = 0;
  // Every path seen so far, as a tree of names (memory grows with the names, not with their depth): no name may
  // repeat (but a folder's) or lead through anything but a folder. Folders a path implies count as entries.
  const seen = new PathTree();
  const count = () => {
    if (seen.size > limits.maxEntries) throw limit(`holds more than ${limits.maxEntries} entries, counting the folders their paths imply (a checkpoint has a few thousand)`, 'maxEntries');
  };
  try {
    for await (const body of extract) {
      const header = body.header;
      const entry = quote(header.name);
      if (sawPaxGlobalHeader(extract)) throw unsafe(`entry ${entry} follows a PAX global header`);
      if (++headers > limits.maxEntries) throw limit(`holds more than ${limits.maxEntries} entries (a checkpoint has a few thousand)`, 'maxEntries');
      // Counted before anything is kept: names are what a reader must remember.
      nameBytes += Buffer.byteLength(header.name) + (header.linkname ? Buffer.byteLength(header.linkname) : 0);
      if (nameBytes > limits.maxNameBytes) throw limit(`its entry names and link targets take more than ${limits.maxNameBytes} bytes together by entry ${headers}, ${entry} (a checkpoint's take some KiB)`, 'maxNameBytes');
      const name = cleanPath(header.name, limits.maxPathBytes);
      if ('problem' in name) throw unsafe(`entry ${entry} ${name.problem}`, name.limit);
      tooDeep(name.path, `entry ${entry}`);
      const type = header.type === 'contiguous-file' ? 'file' : header.type;
      if (type !== 'file' && type !== 'directory' && type !== 'symlink' && type !== 'link') {
        throw unsafe(`entry ${entry} is a ${header.type ?? 'entry of unknown type'}; only files, folders and links are accepted`);
      }
      const size = header.size ?? 0;
      // Readers disagree on what follows a link or folder that says it has data: tar-stream takes it as the
      // entry's body, Go's archive/tar (podman) as more entries, so the two would see different archives.
      if (type !== 'file' && size > 0) throw unsafe(`entry ${entry} is a ${header.type} that declares ${size} bytes of data`);
      if (size > limits.maxEntryBytes) throw limit(`entry ${entry} declares ${size} bytes, above the limit of ${limits.maxEntryBytes} per entry`, 'maxEntryBytes');
      if ((total += size) > limits.maxTotalBytes) throw limit(`entries add up to more than the limit of ${limits.maxTotalBytes} bytes`, 'maxTotalBytes');
      if (name.path === '') {
        if (type !== 'directory') throw unsafe(`entry ${entry} has no name`);
        continue; // the archive's own root folder ("./")
      }
      let linkTarget: string | undefined;
      if (type === 'link') {
        const target = cleanPath(header.linkname ?? '', limits.maxPathBytes);
        if ('problem' in target) throw unsafe(`hard link ${entry} -> ${quote(header.linkname ?? '')} ${target.problem}`, target.limit);
        tooDeep(target.path, `hard link ${entry} -> ${quote(target.path)}`);
        // A hard link may only repeat a file already unpacked, never reach something outside.
        const to = seen.get(target.path);
        if (to !== 'file' && to !== 'link') throw unsafe(`hard link ${entry} -> ${quote(target.path)} does not point to an earlier file`);
        linkTarget = target.path;
      } else if (type === 'symlink') {
        linkTarget = header.linkname ?? '';
        const bad = linkTargetProblem(name.path, linkTarget, limits.maxPathBytes);
        if (bad && !(options.linksAnywhere && bad.outside)) throw unsafe(`symlink ${entry} -> ${quote(linkTarget)} ${bad.problem}`, bad.limit);
      }
      const added = seen.add(name.path, type, count);
      if (added.through) throw unsafe(`entry ${entry} goes through ${quote(added.through.path)}, a ${added.through.type}`);
      if (added.twice) throw unsafe(`entry ${entry} appears twice`);
      if (added.inside) throw unsafe(`entry ${entry} is a ${type}, but earlier entries lie inside it`);
      let read = false;
      const bytes = (async function* () {
        try {
          for await (const chunk of body as AsyncIterable<Buffer>) yield chunk;
        } catch (err) {
          throw failure(err, what, options.signal); // a stream cut inside this entry
        }
        read = true;
      })();
      yield { path: name.path, type, size, linkTarget, body: bytes };
      if (!read) for await (const _ of body as AsyncIterable<Buffer>);
    }
    if (sawPaxGlobalHeader(extract)) throw unsafe('the archive ends with a PAX global header');
  } catch (err) {
    throw failure(err, what, options.signal);
  } finally {
    // Also when the consumer stops early: close the file behind the stream.
    extract.destroy();
    stream.destroy();
  }

  function tooDeep(path: string, entry: string) {
    let folders = 0;
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) folders++;
    if (folders > limits.maxDepth) throw limit(`${entry} lies ${folders} folders deep, more than the limit of ${limits.maxDepth}`, 'maxDepth');
  }
  function limit(detail: string, option: keyof ArchiveLimits | PathLimit) {
    return new EngineError('ARCHIVE_LIMIT_EXCEEDED', `${what}: ${detail}`, {
      hint: option === 'NAME_MAX'
        ? 'no Linux file system takes such a name: the archive was not made from files; do not use it'
        : `do not use the archive unless you trust it; if you do, raise ${option} (default ${DEFAULT_ARCHIVE_LIMITS[option]}) in the ArchiveLimits passed to the engine (ckpt and the extension use the defaults)`,
    });
  }
  function unsafe(detail: string, limitOption?: PathLimit) {
    return limitOption ? limit(detail, limitOption) : new EngineError('UNSAFE_ENTRY', `${what}: ${detail}`, { hint: 'do not use this archive: it was damaged or made to attack' });
  }
}

type EntryType = TarEntry['type'];
interface PathNode {
  type: EntryType;
  /** Made for a path that goes through it, not (yet) an entry of its own. */
  implied?: true;
  children?: Map<string, PathNode>;
}

/**
 * The paths of an archive as a tree of names: each name is kept once however deep it lies, and looking a path up
 * costs its length (a flat map of whole paths costs a path's length for each of its folders, and holds
 * every folder's whole path).
 */
class PathTree {
  readonly #root: PathNode = { type: 'directory', children: new Map() };
  /** Nodes: entries and the folders their paths imply. */
  size = 0;

  get(path: string): EntryType | undefined {
    let node: PathNode | undefined = this.#root;
    for (const part of path.split('/')) node = node?.children?.get(part);
    return node && !node.implied ? node.type : undefined;
  }

  /**
   * Adds `path` of `type`; `grew` is called after each new node (and may throw). Returns the non-folder it
   * would go through, whether it repeats an entry, or whether it is no folder though earlier paths went
   * inside it; the entry is not added then.
   */
  add(path: string, type: EntryType, grew: () => void): { through?: { path: string; type: EntryType }; twice?: true; inside?: true } {
    const parts = path.split('/');
    let node = this.#root;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = node.children!.get(parts[i]!);
      if (next && next.type !== 'directory') return { through: { path: parts.slice(0, i + 1).join('/'), type: next.type } };
      node = next ?? this.#make(node, parts[i]!, { type: 'directory', implied: true, children: new Map() }, grew);
    }
    const last = parts[parts.length - 1]!;
    const before = node.children!.get(last);
    if (before) {
      // A folder may be listed again, or after the paths inside it; nothing else may.
      if (before.implied && type !== 'directory') return { inside: true };
      if (before.type !== 'directory' || type !== 'directory') return { twice: true };
      delete before.implied;
      return {};
    }
    this.#make(node, last, type === 'directory' ? { type, children: new Map() } : { type }, grew);
    return {};
  }

  #make(parent: PathNode, name: string, node: PathNode, grew: () => void): PathNode {
    parent.children!.set(name, node);
    this.size++;
    grew();
    return node;
  }
}

/**
 * A PAX global header changes every later entry for tar-stream (its path, size…), while Go's archive/tar,
 * podman's reader, ignores it: the two would read different archives. tar-stream does not emit it as an
 * entry, so its parsed value is looked up where the extractor keeps it (test/unit/archive/hostile.test.ts
 * proves the lookup still works).
 */
function sawPaxGlobalHeader(extract: tar.Extract): boolean {
  return (extract as unknown as { _paxGlobal?: unknown })._paxGlobal != null;
}

/** Cancellation first (streams report it as damage), EngineErrors as they are, anything else as damage. */
function failure(err: unknown, what: string, signal: AbortSignal | undefined) {
  const aborted = cancelledBy(`reading ${what}`, signal);
  if (aborted) return aborted;
  if (isEngineError(err)) return err;
  if (err instanceof Error && 'syscall' in err) {
    return new EngineError('INVALID_ARGUMENT', `cannot read ${what}: ${err.message}`, { cause: err, hint: 'check the path and its permissions' });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new EngineError('ARCHIVE_CORRUPT', `${what}: the archive is damaged or truncated (${detail})`, {
    cause: err,
    hint: 'copy or export the archive again; a partial download or a full disk leaves such files',
  });
}
