/** Blobs on disk: `blobs/sha256/<hex>`, written through a hashed temp file, read back through a hash check. */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestHex, sha256Digest, type Digest } from '../oci/digest.js';
import { cancelled, EngineError } from '../errors.js';
import { hashingStream } from '../oci/hasher.js';
import { DIR_MODE, errno, FILE_MODE, openRegular, readSmall, syncDir, tempName } from './files.js';
import type { Lease } from './leases.js';

export type BlobSource = Readable | AsyncIterable<Uint8Array> | Uint8Array;

export interface WriteBlobOptions {
  /** What the caller was promised; the write fails with DIGEST_MISMATCH, and leaves nothing, if the bytes differ. */
  expected?: { digest?: Digest; size?: number };
  signal?: AbortSignal;
  /** Bytes written so far. */
  onProgress?: (bytes: number) => void;
}

export interface ReadBlobOptions {
  /** The size the descriptor gives; a file of another size is refused before reading. */
  size?: number;
  signal?: AbortSignal;
}

export function blobDir(root: string): string {
  return join(root, 'blobs', 'sha256');
}

export function blobPath(root: string, digest: Digest): string {
  return join(blobDir(root), digestHex(digest));
}

/** The size of a blob that is present as a regular file, else undefined. */
export async function blobSize(root: string, digest: Digest): Promise<number | undefined> {
  const info = await lstat(blobPath(root, digest)).catch((err) => (errno(err) === 'ENOENT' ? undefined : Promise.reject(err)));
  return info?.isFile() ? info.size : undefined;
}

export async function writeBlob(root: string, source: BlobSource, lease: Lease, options: WriteBlobOptions = {}): Promise<{ digest: Digest; size: number }> {
  const { expected, signal } = options;
  if (signal?.aborted) throw cancelled('writing a blob', signal);
  const dir = blobDir(root);
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  if (expected?.digest) {
    await lease.hold(expected.digest);
    const size = await blobSize(root, expected.digest);
    if (size !== undefined && (expected.size === undefined || size === expected.size)) {
      if (source instanceof Readable) source.destroy();
      return { digest: expected.digest, size };
    }
  }
  const temp = join(dir, tempName());
  const hasher = hashingStream({ expected, what: `blob ${expected?.digest ?? ''}`.trim(), onProgress: options.onProgress });
  const input = source instanceof Uint8Array ? [Buffer.from(source.buffer, source.byteOffset, source.byteLength)] : source;
  // flush: fsync before close, so the rename below never publishes a name for data still in the page cache.
  // 8 MiB of buffer lets the source (a socket, a gzip stream) go on while the file is written: with the default
  // 16 KiB, each 64 KiB chunk from a socket waited for its own write (a 78 MB pull: 0.66 s, now 0.51 s).
  const out = createWriteStream(temp, { flags: 'wx', mode: FILE_MODE, flush: true, highWaterMark: 8 << 20 });
  try {
    await pipeline(input, hasher, out, { signal });
    await lease.hold(hasher.digest());
    await rename(temp, blobPath(root, hasher.digest()));
  } catch (err) {
    // A stream destroyed early still opens its file afterwards: only once it has closed is the unlink the last word.
    if (!out.closed) await once(out, 'close').catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    if (signal?.aborted) throw cancelled('writing a blob', signal);
    throw err;
  }
  await syncDir(dir);
  return { digest: hasher.digest(), size: hasher.size };
}

/** A stream of the blob that fails at its end if the content does not hash to `digest`. */
export async function openBlob(root: string, digest: Digest, options: ReadBlobOptions = {}): Promise<Readable> {
  if (options.signal?.aborted) throw cancelled(`reading blob ${digest}`, options.signal);
  const handle = await openBlobFile(root, digest);
  const { size } = await handle.stat();
  if (options.size !== undefined && size !== options.size) {
    await handle.close();
    throw new EngineError('DIGEST_MISMATCH', `blob ${digest} in ${root} is ${size} bytes, but its descriptor gives ${options.size}`, {
      hint: 'the store is damaged: run verify, then copy the image into it again',
    });
  }
  const checked = hashingStream({ expected: { digest, size }, what: `blob ${digest} in ${root}` });
  // pipeline: an error on either side destroys both, and the file stream closes its handle.
  // 1 MiB reads: a blob goes to a socket or a hash, where fewer, larger chunks cost less than 64 KiB ones.
  void pipeline(handle.createReadStream({ highWaterMark: 1 << 20 }), checked).catch(() => undefined);
  const { signal } = options;
  if (signal) {
    // The listener lives as long as the stream, so an abort still stops a half-read blob.
    const abort = () => checked.destroy(cancelled(`reading blob ${digest}`, signal));
    signal.addEventListener('abort', abort, { once: true });
    checked.once('close', () => signal.removeEventListener('abort', abort));
  }
  return checked;
}

/** A small blob (manifest, config) in memory, hash-checked, refused past `maxBytes` before it is read. */
export async function readBlob(root: string, digest: Digest, maxBytes: number, size?: number): Promise<Buffer> {
  const bytes = await readSmall(blobPath(root, digest), `blob ${digest} in ${root}`, maxBytes, { tooLarge: 'INVALID_IMAGE', size }).catch((err: unknown) => {
    throw errno(err) === 'ENOENT' ? new EngineError('BLOB_NOT_FOUND', `blob ${digest} is not in ${root}`) : err;
  });
  if ((size !== undefined && bytes.length !== size) || sha256Digest(bytes) !== digest) {
    throw new EngineError('DIGEST_MISMATCH', `blob ${digest} in ${root} does not match its digest or size`, {
      hint: 'the store is damaged: run verify, then copy the image into it again',
    });
  }
  return bytes;
}

async function openBlobFile(root: string, digest: Digest) {
  try {
    return await openRegular(blobPath(root, digest), `blob ${digest} in ${root}`);
  } catch (err) {
    if (errno(err) === 'ENOENT') throw new EngineError('BLOB_NOT_FOUND', `blob ${digest} is not in ${root}`);
    throw err;
  }
}
