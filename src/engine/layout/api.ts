/** What the embedded store offers: the API the rest of the engine programs against. */
import type { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.js';
import type { Descriptor } from '../oci/types.js';
import type { BlobSource, ReadBlobOptions, WriteBlobOptions } from './blobs.js';
import type { GcOptions, GcReport } from './gc.js';
import type { Tag } from './indexFile.js';
import type { VerifyOptions, VerifyReport } from './verify.js';

export interface OpenLayoutOptions {
  /** Make the folder an empty layout if it is not one yet. */
  create?: boolean;
  /** How long a write waits for another process holding the store lock; default 30 s. */
  lockTimeoutMs?: number;
}

/** Options of the calls that change index.json. */
export interface ChangeOptions {
  signal?: AbortSignal;
}

/**
 * An OCI image layout on disk, the engine's default place for checkpoint images. Blobs are written first;
 * a tag is what makes an image visible, and it is refused until every blob the image reaches is present.
 */
export interface Layout {
  readonly path: string;
  hasBlob(digest: Digest, size?: number): Promise<boolean>;
  /** Hashes while writing; skips a blob already present with the expected digest and size. */
  writeBlob(source: BlobSource, options?: WriteBlobOptions): Promise<{ digest: Digest; size: number }>;
  /** A stream that errors at its end if the bytes do not match the digest. */
  openBlob(digest: Digest, options?: ReadBlobOptions): Promise<Readable>;
  /** A small blob (manifest, config) in memory, checked; default cap 4 MiB. */
  readBlob(digest: Digest, options?: { maxBytes?: number; size?: number }): Promise<Buffer>;
  tags(): Promise<Tag[]>;
  /** The index entry tagged `name`; IMAGE_NOT_FOUND if none. */
  resolve(name: string): Promise<Descriptor>;
  /** Points `name` at a manifest or index whose blobs are all in the store, replacing any earlier `name`. */
  tag(name: string, descriptor: Descriptor, options?: ChangeOptions): Promise<void>;
  /** Removes the tag; false if there was none. Blobs stay until gc. */
  untag(name: string, options?: ChangeOptions): Promise<boolean>;
  /** Removes every index entry for this manifest, whatever its tag; returns how many. */
  removeManifest(digest: Digest, options?: ChangeOptions): Promise<number>;
  /** Deletes blobs no tag reaches and no live writer holds, and temp files of dead writers. */
  gc(options?: GcOptions): Promise<GcReport>;
  /** Rehashes every blob and checks every reachable descriptor; all problems in one report, nothing thrown for them. */
  verify(options?: VerifyOptions): Promise<VerifyReport>;
  /** Gives up blobs written through this handle but never tagged (an abandoned copy), so gc may remove them. */
  close(): Promise<void>;
}
