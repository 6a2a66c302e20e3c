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
import { cleanPath, linkTargetProblem } from './paths.js';

export interface ArchiveLimits {
  /** Default 500,000 (a large image layer has some 100,000). */
  maxEntries?: number;
  /** Largest single entry; default 32 GiB (memory pages of a big container). */
  maxEntryBytes?: number;
  /** All entries together; default 64 GiB. */
  maxTotalBytes?: number;
  /** Longest path or link target in bytes; default 4096 (Linux PATH_MAX). */
  maxPathBytes?: number;
}

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

export type TarEntryOptions = ReadOptions & ArchiveLimits;

const GiB = 1024 ** 3;

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
  const limits = { maxEntries: 500_000, maxEntryBytes: 32 * GiB, maxTotalBytes: 64 * GiB, maxPathBytes: 4096, ...options };
  const extract = tar.extract();
  stream.on('error', (err) => extract.destroy(err));
  stream.pipe(extract);
  let count = 0;
  let total = 0;
  // Every path seen so far: no name may repeat (but a folder's) or lead through anything but a folder.
  const seen = new Map<string, TarEntry['type']>();
  try {
    for await (const body of extract) {
      const header = body.header;
      const entry = quote(header.name);
      if (sawPaxGlobalHeader(extract)) throw unsafe(`entry ${entry} follows a PAX global header`);
      if (++count > limits.maxEntries) throw limit(`holds more than ${limits.maxEntries} entries`);
      const name = cleanPath(header.name, limits.maxPathBytes);
      if ('problem' in name) throw unsafe(`entry ${entry} ${name.problem}`, name.limit);
      const type = header.type === 'contiguous-file' ? 'file' : header.type;
      if (type !== 'file' && type !== 'directory' && type !== 'symlink' && type !== 'link') {
        throw unsafe(`entry ${entry} is a ${header.type ?? 'entry of unknown type'}; only files, folders and links are accepted`);
      }
      const size = header.size ?? 0;
      // Readers disagree on what follows a link or folder that says it has data: tar-stream takes it as the
      // entry's body, Go's archive/tar (podman) as more entries, so the two would see different archives.
      if (type !== 'file' && size > 0) throw unsafe(`entry ${entry} is a ${header.type} that declares ${size} bytes of data`);
      if (size > limits.maxEntryBytes) throw limit(`entry ${entry} declares ${size} bytes, above the limit of ${limits.maxEntryBytes} per entry`);
      if ((total += size) > limits.maxTotalBytes) throw limit(`entries add up to more than the limit of ${limits.maxTotalBytes} bytes`);
      if (name.path === '') {
        if (type !== 'directory') throw unsafe(`entry ${entry} has no name`);
        continue; // the archive's own root folder ("./")
      }
      const before = seen.get(name.path);
      if (before && !(before === 'directory' && type === 'directory')) throw unsafe(`entry ${entry} appears twice`);
      for (let i = name.path.indexOf('/'); i > 0; i = name.path.indexOf('/', i + 1)) {
        const parent = seen.get(name.path.slice(0, i));
        if (parent && parent !== 'directory') throw unsafe(`entry ${entry} goes through ${quote(name.path.slice(0, i))}, a ${parent}`);
      }
      let linkTarget: string | undefined;
      if (type === 'link') {
        const target = cleanPath(header.linkname ?? '', limits.maxPathBytes);
        if ('problem' in target) throw unsafe(`hard link ${entry} -> ${quote(header.linkname ?? '')} ${target.problem}`, target.limit);
        // A hard link may only repeat a file already unpacked, never reach something outside.
        const to = seen.get(target.path);
        if (to !== 'file' && to !== 'link') throw unsafe(`hard link ${entry} -> ${quote(target.path)} does not point to an earlier file`);
        linkTarget = target.path;
      } else if (type === 'symlink') {
        linkTarget = header.linkname ?? '';
        const bad = linkTargetProblem(name.path, linkTarget, limits.maxPathBytes);
        if (bad) throw unsafe(`symlink ${entry} -> ${quote(linkTarget)} ${bad.problem}`, bad.limit);
      }
      seen.set(name.path, type);
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

  function limit(detail: string) {
    return new EngineError('ARCHIVE_LIMIT_EXCEEDED', `${what}: ${detail}`, { hint: 'if the archive is trusted, raise the limit' });
  }
  function unsafe(detail: string, isLimit?: true) {
    return isLimit ? limit(detail) : new EngineError('UNSAFE_ENTRY', `${what}: ${detail}`, { hint: 'do not use this archive: it was damaged or made to attack' });
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
