/**
 * The embedded store: an OCI image layout on disk (`oci-layout`, `index.json`, `blobs/sha256/<hex>`), readable
 * by skopeo (`oci:DIR:TAG`), podman and buildah. Blobs go in first, each atomically; a tag makes an image
 * visible by rewriting index.json last, under the store lock, and only once every blob it reaches is present.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../oci/digest.js';
import { EngineError } from '../errors.js';
import { isIndexType, isManifestType } from '../oci/mediaTypes.js';
import { childDescriptors, Limits } from '../oci/parse.js';
import { OciAnnotation, type Descriptor } from '../oci/types.js';
import type { ChangeOptions, Layout, OpenLayoutOptions } from './api.js';
import { blobDir, blobSize, openBlob, readBlob, writeBlob, type BlobSource, type ReadBlobOptions, type WriteBlobOptions } from './blobs.js';
import { DIR_MODE, errno, replaceFile } from './files.js';
import { collectGarbage, type GcOptions, type GcReport } from './gc.js';
import * as files from './indexFile.js';
import { Lease } from './leases.js';
import { withLock } from './lock.js';
import { verifyStore, type VerifyOptions, type VerifyReport } from './verify.js';
import { walk, type ChildReader } from './walk.js';

/** Our own files beside the layout's: skopeo, podman and buildah ignore them. */
const LOCK_FILE = '.ckpt-lock';
const LEASE_DIR = '.ckpt-leases';

export async function openLayout(path: string, options: OpenLayoutOptions = {}): Promise<Layout> {
  if (options.create) {
    await mkdir(blobDir(path), { recursive: true, mode: DIR_MODE });
    await withLock(join(path, LOCK_FILE), { timeoutMs: options.lockTimeoutMs }, async () => {
      if (!(await exists(join(path, files.LAYOUT_FILE)))) await replaceFile(path, files.LAYOUT_FILE, files.LAYOUT_CONTENT);
      if (!(await exists(join(path, files.INDEX_FILE)))) await files.writeIndex(path, files.EMPTY_INDEX);
    });
  }
  await files.checkLayoutFile(path);
  for (const dir of [join(path, 'blobs'), blobDir(path)]) {
    const info = await lstat(dir).catch((err) => (errno(err) === 'ENOENT' ? undefined : Promise.reject(err)));
    if (info && !info.isDirectory()) throw new EngineError('INVALID_LAYOUT', `${dir} is not a directory (a link or a file)`);
  }
  return new LayoutStore(path, options.lockTimeoutMs);
}

/**
 * Runs `use` with a handle of its own on the layout at `path`, closed at the end. If `use` fails or is
 * cancelled, the blobs it wrote but never tagged are collected at once: an abandoned copy leaves nothing.
 */
export async function withOwnHandle<T>(path: string, options: OpenLayoutOptions, use: (layout: Layout) => Promise<T>): Promise<T> {
  const layout = await openLayout(path, options);
  let failed = true;
  try {
    const result = await use(layout);
    failed = false;
    return result;
  } finally {
    await layout.close();
    // Best effort: the error that ended the copy matters more than one from the clean-up.
    if (failed) await layout.gc().catch(() => undefined);
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, (err) => (errno(err) === 'ENOENT' ? false : Promise.reject(err)));
}

class LayoutStore implements Layout {
  readonly #lease: Lease;
  readonly #lockTimeoutMs: number | undefined;

  constructor(readonly path: string, lockTimeoutMs: number | undefined) {
    this.#lease = new Lease(join(path, LEASE_DIR));
    this.#lockTimeoutMs = lockTimeoutMs;
  }

  async hasBlob(digest: Digest, size?: number): Promise<boolean> {
    const actual = await blobSize(this.path, digest);
    return actual !== undefined && (size === undefined || actual === size);
  }

  writeBlob(source: BlobSource, options?: WriteBlobOptions) {
    return writeBlob(this.path, source, this.#lease, options);
  }

  openBlob(digest: Digest, options?: ReadBlobOptions) {
    return openBlob(this.path, digest, options);
  }

  readBlob(digest: Digest, options: { maxBytes?: number; size?: number } = {}) {
    return readBlob(this.path, digest, options.maxBytes ?? Limits.manifestBytes, options.size);
  }

  async tags() {
    return files.tagsIn(await files.readIndex(this.path));
  }

  async resolve(name: string): Promise<Descriptor> {
    const found = (await this.tags()).find((t) => t.name === name);
    if (!found) throw new EngineError('IMAGE_NOT_FOUND', `there is no image tagged ${JSON.stringify(name)} in ${this.path}`);
    return found.descriptor;
  }

  async tag(name: string, descriptor: Descriptor, options: ChangeOptions = {}): Promise<void> {
    files.checkTagName(name);
    await this.#locked(options, async () => {
      const reached = await walk([descriptor], this.#children);
      for (const { descriptor: d } of reached) {
        if (!(await this.hasBlob(d.digest, d.size))) {
          throw new EngineError('BLOB_NOT_FOUND', `cannot tag ${name}: blob ${d.digest} (${d.mediaType}, ${d.size} bytes) is not in ${this.path}`, {
            hint: 'write every blob of the image before tagging it; if a garbage collection ran meanwhile, copy the image again',
          });
        }
      }
      await files.writeIndex(this.path, files.withTag(await files.readIndex(this.path), name, descriptor));
      await this.#lease.settle(reached.map((r) => r.descriptor.digest));
    });
  }

  untag(name: string, options?: ChangeOptions): Promise<boolean> {
    return this.#removeEntries((d) => d.annotations?.[OciAnnotation.RefName] === name, options).then((n) => n > 0);
  }

  removeManifest(digest: Digest, options?: ChangeOptions): Promise<number> {
    return this.#removeEntries((d) => d.digest === digest, options);
  }

  gc(options: GcOptions = {}): Promise<GcReport> {
    return this.#locked(options, () => collectGarbage(this.path, join(this.path, LEASE_DIR), this.#children, options));
  }

  verify(options?: VerifyOptions): Promise<VerifyReport> {
    return verifyStore(this.path, this.#children, options);
  }

  close(): Promise<void> {
    return this.#lease.release();
  }

  /** Manifests and indexes are read whole (capped) and hash-checked; a missing one throws BLOB_NOT_FOUND. */
  readonly #children: ChildReader = async (d) => {
    if (!isManifestType(d.mediaType) && !isIndexType(d.mediaType)) return [];
    const cap = isIndexType(d.mediaType) ? Limits.indexBytes : Limits.manifestBytes;
    return childDescriptors(await this.readBlob(d.digest, { maxBytes: cap, size: d.size }), d.mediaType, `manifest ${d.digest}`);
  };

  #removeEntries(drop: (d: Descriptor) => boolean, options: ChangeOptions = {}): Promise<number> {
    return this.#locked(options, async () => {
      const { index, removed } = files.withoutEntries(await files.readIndex(this.path), drop);
      if (removed > 0) await files.writeIndex(this.path, index);
      return removed;
    });
  }

  #locked<T>(options: { signal?: AbortSignal }, fn: () => Promise<T>): Promise<T> {
    return withLock(join(this.path, LOCK_FILE), { signal: options.signal, timeoutMs: this.#lockTimeoutMs }, fn);
  }
}
