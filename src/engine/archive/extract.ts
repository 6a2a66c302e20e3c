/**
 * Unpacks a checkpoint archive, or any tar stream such as an image layer, into one folder and nowhere else.
 * Names and links were judged as text by entries.ts; here the disk is checked again as we go: every folder on
 * the way is lstat'ed (a link is never followed), files are created exclusively without following links, and
 * hard links may only repeat regular files already unpacked. On any failure the target is emptied again.
 */
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, readdir, rm, symlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { EngineError, isEngineError } from '../errors.js';
import type { Compression } from './compression.js';
import { openEntries, type TarEntryOptions } from './entries.js';
import { cancelledBy, quote } from './errors.js';

export type ExtractOptions = TarEntryOptions;

export interface ExtractResult {
  compression: Compression;
  entries: number;
  /** Bytes of regular files written. */
  bytes: number;
}

/** Like podman's own files: private to the owner, whatever the archive says. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
const CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Extracts `input` (a path or a stream; gzip, zstd or plain tar) into `target`, which must be missing or an
 * empty folder. Throws an EngineError naming the entry and the cause; the target is then left empty (removed
 * if this call made it).
 */
export async function extractArchive(input: string | Readable, target: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const what = typeof input === 'string' ? basename(input) : 'archive';
  const root = resolve(target);
  const created = await prepareTarget(root);
  // Folders this call made or checked, as a tree of names (memory grows with the names, not with their depth):
  // the archive cannot replace them (entries.ts refuses repeated names).
  const dirs: Folder = new Map();
  try {
    const { compression, entries } = await openEntries(input, what, options);
    let count = 0;
    let bytes = 0;
    for await (const entry of entries) {
      count++;
      const dest = join(root, entry.path);
      try {
        const parent = await makeParents(entry.path);
        if (entry.type === 'directory') await makeDir(parent, basename(dest), dest);
        else if (entry.type === 'file') bytes += await writeFile(dest, entry.body);
        else if (entry.type === 'symlink') await symlink(entry.linkTarget!, dest);
        else {
          const source = join(root, entry.linkTarget!);
          await makeParents(entry.linkTarget!);
          if (!(await lstat(source)).isFile()) throw new Error(`${quote(entry.linkTarget!)} is not a regular file`);
          await link(source, dest);
        }
      } catch (err) {
        if (isEngineError(err)) throw err;
        throw cancelledBy(`extracting ${what}`, options.signal) ?? new EngineError('EXTRACT_FAILED', `${what}: writing ${quote(entry.path)} into ${root} failed: ${(err as Error).message}`, {
          cause: err,
          hint: 'check that the disk has room and the folder is writable',
        });
      }
    }
    return { compression, entries: count, bytes };
  } catch (err) {
    await (created ? rm(root, { recursive: true, force: true }) : emptyFolder(root));
    throw err;
  }

  /**
   * Creates (or checks) each folder above `path`, refusing anything that is not a real folder; returns the tree
   * node of the last. A folder's path is only spelled out when it is new.
   */
  async function makeParents(path: string): Promise<Folder> {
    const parts = path.split('/').slice(0, -1);
    let node = dirs;
    for (let i = 0; i < parts.length; i++) node = node.get(parts[i]!) ?? (await makeDir(node, parts[i]!, join(root, ...parts.slice(0, i + 1)), path));
    return node;
  }

  async function makeDir(parent: Folder, name: string, dir: string, forPath?: string): Promise<Folder> {
    const known = parent.get(name);
    if (known) return known;
    // Made first and looked at only if something is there already: one system call for most folders (mkdir
    // never follows a link at the end of its path, and the folders above were made or checked here).
    const made = await mkdir(dir, { mode: DIR_MODE }).then(() => true, (err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return false;
      throw err;
    });
    if (!made && !(await lstat(dir)).isDirectory()) {
      const rel = quote(dir.slice(root.length + 1));
      throw new EngineError('UNSAFE_ENTRY', `${what}: ${forPath ? `${quote(forPath)} goes through ${rel}` : rel}, which is not a folder`);
    }
    const folder: Folder = new Map();
    parent.set(name, folder);
    return folder;
  }
}

/** A folder made or checked by an extraction, and those inside it by name. */
type Folder = Map<string, Folder>;

async function writeFile(dest: string, body: AsyncIterable<Buffer>): Promise<number> {
  const file = await open(dest, CREATE_FILE, FILE_MODE);
  let total = 0;
  try {
    for await (const chunk of body) {
      for (let done = 0; done < chunk.length; ) done += (await file.write(chunk, done)).bytesWritten;
      total += chunk.length;
    }
  } finally {
    await file.close();
  }
  return total;
}

/** Returns whether the folder had to be made, so a failure knows whether to remove it or only empty it. */
async function prepareTarget(root: string): Promise<boolean> {
  const found = await lstat(root).catch(() => undefined);
  if (!found) {
    await mkdir(root, { recursive: true, mode: DIR_MODE });
    return true;
  }
  if (!found.isDirectory()) throw new EngineError('INVALID_ARGUMENT', `cannot extract into ${root}: it is not a folder`);
  if ((await readdir(root)).length > 0) {
    throw new EngineError('INVALID_ARGUMENT', `cannot extract into ${root}: the folder is not empty`, { hint: 'choose a new or empty folder' });
  }
  return false;
}

async function emptyFolder(root: string): Promise<void> {
  // rm never follows links: a symlink the archive made is removed, not what it points to.
  for (const name of await readdir(root).catch(() => [])) await rm(join(root, name), { recursive: true, force: true });
}
