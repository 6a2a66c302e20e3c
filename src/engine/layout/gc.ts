/**
 * Garbage collection: deletes blobs that no index.json entry reaches and no live writer has leased, and temp
 * files whose writer is gone. The caller holds the store lock, so index.json cannot change underneath.
 */
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest, type Digest } from '../oci/digest.js';
import { cancelled, EngineError } from '../errors.js';
import { blobDir } from './blobs.js';
import { errno, processAlive, tempOwner } from './files.js';
import { readIndex } from './indexFile.js';
import { leasedDigests } from './leases.js';
import { walk, type ChildReader } from './walk.js';

export interface GcOptions {
  /** Report what would go, delete nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface GcReport {
  dryRun: boolean;
  removed: Array<{ digest: Digest; size: number }>;
  /** Temp files of writers that crashed or were killed. */
  tempFiles: number;
  bytesFreed: number;
}

/** A temp file untouched this long is abandoned even if its pid runs again (pid reuse): writers write steadily. */
const TEMP_MAX_AGE_MS = 24 * 3600_000;

export async function collectGarbage(root: string, leaseDir: string, children: ChildReader, options: GcOptions = {}): Promise<GcReport> {
  const dryRun = options.dryRun ?? false;
  const report: GcReport = { dryRun, removed: [], tempFiles: 0, bytesFreed: 0 };
  const check = () => {
    if (options.signal?.aborted) throw cancelled(`collecting garbage in ${root}`, options.signal);
  };
  // Order matters: list blobs, then read leases. A writer leases a digest before renaming its blob into
  // place, so every blob in this listing that a live writer still needs is in the leases read after it.
  const blobNames = await names(blobDir(root));
  const leased = await leasedDigests(leaseDir, !dryRun);
  const index = await readIndex(root);
  const reached = new Set((await walk(index.manifests, guarded(children))).map((r) => r.descriptor.digest));
  for (const name of blobNames) {
    check();
    const digest = `sha256:${name}`;
    if (!isDigest(digest) || reached.has(digest) || leased.has(digest)) continue;
    const size = await remove(join(blobDir(root), name), dryRun);
    if (size !== undefined) report.removed.push({ digest, size });
  }
  for (const [dir, inDir] of [[blobDir(root), blobNames], [root, await names(root)]] as const) {
    for (const name of inDir) {
      check();
      const owner = tempOwner(name);
      if (owner === undefined) continue;
      const info = await lstat(join(dir, name)).catch(() => undefined);
      if (!info || (processAlive(owner) && Date.now() - info.mtimeMs < TEMP_MAX_AGE_MS)) continue;
      const size = await remove(join(dir, name), dryRun);
      if (size !== undefined) report.tempFiles++;
      report.bytesFreed += size ?? 0;
    }
  }
  report.bytesFreed += report.removed.reduce((sum, b) => sum + b.size, 0);
  return report;
}

/**
 * A missing manifest keeps nothing alive, so gc goes on; a damaged one might name anything, so gc stops
 * before deleting a single blob.
 */
function guarded(children: ChildReader): ChildReader {
  return (d) =>
    children(d).catch((err: unknown) => {
      if ((err as { code?: string }).code === 'BLOB_NOT_FOUND') return [];
      throw new EngineError('INVALID_LAYOUT', `garbage collection stopped, nothing deleted: ${(err as Error).message}`, {
        cause: err,
        hint: 'run verify to see what is damaged, then remove or re-copy that image',
      });
    });
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch((err) => (errno(err) === 'ENOENT' ? [] : Promise.reject(err)));
}

/** Unlinks a file (never following a link) and returns the bytes it held; undefined if it was already gone. */
async function remove(path: string, dryRun: boolean): Promise<number | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (!info || info.isDirectory()) return undefined;
  if (!dryRun) {
    try {
      await unlink(path);
    } catch (err) {
      if (errno(err) === 'ENOENT') return undefined;
      throw err;
    }
  }
  return info.size;
}
