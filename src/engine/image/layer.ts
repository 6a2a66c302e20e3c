import { createHash, type Hash } from 'node:crypto';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

/** Passes bytes through while hashing and counting them. */
class Measure extends Transform {
  readonly #hash: Hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  digest(): string {
    return `sha256:${this.#hash.digest('hex')}`;
  }
}

/** A compressor for a layer; zstd comes from the archive module's codec when it is available. */
export type Compressor = () => Transform;

/**
 * One pass over a layer's tar bytes: hash them (diff_id), compress, hash and count the blob (digest, size).
 * Returns the blob as a stream to write wherever it goes, and the digests once it has been read to the end.
 */
export function measureLayer(tar: Readable, compress: Compressor | undefined, signal?: AbortSignal): {
  blob: Readable;
  digests: Promise<LayerDigests>;
} {
  const raw = new Measure();
  // An uncompressed blob is the tar itself: one hash serves both (sha256 is this thread's largest cost).
  const stored = compress ? new Measure() : raw;
  const blob = new PassThrough();
  const stages = compress ? [tar, raw, compress(), stored, blob] : [tar, raw, blob];
  const digests = (pipeline as (...s: unknown[]) => Promise<void>)(...stages, { signal }).then(() => {
    const diffId = raw.digest();
    return { diffId, digest: stored === raw ? diffId : stored.digest(), size: stored.bytes, uncompressedSize: raw.bytes };
  });
  // The caller sees failures through `digests`; the blob stream only ends early.
  digests.catch(() => blob.destroy());
  return { blob, digests };
}

export const gzipCompressor: Compressor = () => new ParallelGzip();
