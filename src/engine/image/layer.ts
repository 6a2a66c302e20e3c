import { PassThrough, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../oci/digest.js';
import { hashingStream } from '../oci/hasher.js';
import { ParallelGzip } from './parallelGzip.js';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface LayerDigests {
  /** sha256 of the uncompressed tar: the config's rootfs.diff_ids entry. */
  diffId: string;
  /** sha256 of the blob as stored and pushed: the manifest's layer digest. */
  digest: string;
  /** Bytes of the blob as stored. */
  size: number;
  uncompressedSize: number;
}

/** A compressor for a layer; zstd comes from the archive module's codec when it is available. */
export type Compressor = () => Transform;

/**
 * One pass over a layer's tar bytes: hash them (diff_id) and compress them. Returns the blob as a stream to
 * write into the store, and the tar's digest and size once it has been read to the end; without a compressor
 * the blob is the tar and `tar` resolves to undefined. The blob's own digest and size are the store's to
 * compute as it writes: hashing the same bytes here too cost a second pass over them.
 */
export function layerStream(tar: Readable, compress: Compressor | undefined, signal?: AbortSignal): {
  blob: Readable;
  tar: Promise<{ digest: Digest; size: number } | undefined>;
} {
  if (!compress) return { blob: tar, tar: Promise.resolve(undefined) };
  const raw = hashingStream();
  const blob = new PassThrough();
  const done = pipeline(tar, raw, compress(), blob, { signal }).then(() => ({ digest: raw.digest(), size: raw.size }));
  // The caller sees failures through `tar`; the blob stream only ends early.
  done.catch(() => blob.destroy());
  return { blob, tar: done };
}

export const gzipCompressor: Compressor = () => new ParallelGzip();
