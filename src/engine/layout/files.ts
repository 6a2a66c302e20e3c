/** File primitives for the layout store: no-follow opens, atomic replace, fsync, and names of temp files. */
import { randomBytes } from 'node:crypto';
import { close, closeSync, constants, fstat, open as openFd, openSync, read, readSync } from 'node:fs';
import { open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EngineError, type EngineErrorCode } from '../errors.js';

/** Files and directories the store creates: checkpoint layers hold process memory, so only the owner reads them. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** O_NOFOLLOW refuses a symlink; O_NONBLOCK keeps a FIFO planted in the store from hanging the open. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

function refusedLink(err: unknown, what: string): unknown {
  return errno(err) === 'ELOOP' ? new EngineError('INVALID_LAYOUT', `${what} is a symbolic link, which a store never holds`, { cause: err }) : err;
}

/** Opens a regular file for reading, refusing a symlink and anything else that is not a plain file. */
export async function openRegular(path: string, what: string): Promise<FileHandle> {
  const handle = await open(path, READ_FLAGS).catch((err: unknown) => Promise.reject(refusedLink(err, what)));
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new EngineError('INVALID_LAYOUT', `${what} is not a regular file`);
  }
  return handle;
}

const fdOpen = promisify(openFd);
const fdStat = promisify(fstat);
const fdRead = promisify(read);
const fdClose = promisify(close);

/** What readSmall refuses a file too large with, and the size the caller knows the file has, if it does. */
export interface ReadSmallOptions {
  tooLarge?: EngineErrorCode;
  /**
   * Read this many bytes and one more without asking the file's size first: a blob's descriptor says it, and the
   * caller checks the length and the digest (a FIFO fails the non-blocking read, a folder the read itself).
   */
  size?: number;
}

/**
 * Reads a whole small regular file (not a link), refusing one larger than `maxBytes`. Plain descriptors, not a
 * FileHandle: listing hundreds of manifests, its round trips cost three times as much (500: ~120 ms against ~45).
 */
export async function readSmall(path: string, what: string, maxBytes: number, options: ReadSmallOptions = {}): Promise<Buffer> {
  const tooLarge = (size: number) => new EngineError(options.tooLarge ?? 'INVALID_LAYOUT', `${what} is ${size} bytes, more than the ${maxBytes} allowed`);
  if (options.size !== undefined) {
    if (options.size > maxBytes) throw tooLarge(options.size);
    return readKnownSize(path, what, options.size);
  }
  const fd = await fdOpen(path, READ_FLAGS).catch((err: unknown) => Promise.reject(refusedLink(err, what)));
  try {
    const info = await fdStat(fd);
    if (!info.isFile()) throw new EngineError('INVALID_LAYOUT', `${what} is not a regular file`);
    if (info.size > maxBytes) throw tooLarge(info.size);
    const bytes = Buffer.allocUnsafe(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await fdRead(fd, bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  } finally {
    await fdClose(fd);
  }
}

/**
 * `size` bytes and one more, with blocking calls: for a manifest a few microseconds of system calls, where each
 * trip through the thread pool costs more than the read (500 manifests: ~15 ms against ~45, and far less on a
 * busy machine). The event loop runs between files.
 */
function readKnownSize(path: string, what: string, size: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (err) {
    throw refusedLink(err, what);
  }
  try {
    const bytes = Buffer.allocUnsafe(size + 1);
    let filled = 0;
    for (;;) {
      const n = readSync(fd, bytes, filled, bytes.length - filled, filled);
      filled += n;
      if (n === 0 || filled === bytes.length) return bytes.subarray(0, filled);
    }
  } finally {
    closeSync(fd);
  }
}

/** A temp-file name that says which process owns it, so gc can tell abandoned ones from ones being written. */
export function tempName(): string {
  return `.ckpt-${process.pid}-${randomBytes(8).toString('hex')}.tmp`;
}

const TEMP = /^\.ckpt-(\d+)-[0-9a-f]{16}\.tmp$/;

/** The owning pid of a temp-file name, or undefined for any other name. */
export function tempOwner(name: string): number | undefined {
  const m = TEMP.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Replaces `dir/name` with `bytes` so that readers see the old file or the new one, never a part. */
export async function replaceFile(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dir, tempName());
  try {
    await writeFile(temp, bytes, { flag: 'wx', mode: FILE_MODE, flush: true });
    await rename(temp, join(dir, name));
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/** Makes renames and unlinks in `dir` durable. Some platforms cannot open a directory: there it is a no-op. */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await handle.sync();
  } catch (err) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF'].includes(errno(err) ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

export function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Whether a process with this pid runs on this host (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === 'EPERM';
  }
}
