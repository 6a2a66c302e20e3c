/**
 * Verification of a whole store: rehashes every blob, then checks every descriptor reachable from
 * index.json (present, right size, right content, readable), and reports every problem together.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { isDigest, type Digest } from '../oci/digest.js';
import { cancelled } from '../errors.js';
import { hashingStream } from '../oci/hasher.js';
import { OciAnnotation } from '../oci/types.js';
import { blobDir } from './blobs.js';
import { errno, openRegular, tempOwner } from './files.js';
import { readIndex } from './indexFile.js';
import { walk, type ChildReader } from './walk.js';

export interface VerifyOptions {
  signal?: AbortSignal;
  /** Bytes rehashed so far. */
  onProgress?: (bytes: number) => void;
}

export interface VerifyProblem {
  digest?: Digest;
  message: string;
}

export interface VerifyReport {
  blobs: number;
  bytes: number;
  problems: VerifyProblem[];
}

export async function verifyStore(root: string, children: ChildReader, options: VerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = { blobs: 0, bytes: 0, problems: [] };
  const sizes = new Map<Digest, number>();
  const dir = blobDir(root);
  const names = await readdir(dir).catch((err) => (errno(err) === 'ENOENT' ? [] : Promise.reject(err)));
  for (const name of names.sort()) {
    if (options.signal?.aborted) throw cancelled(`verifying ${root}`, options.signal);
    const digest = `sha256:${name}`;
    if (tempOwner(name) !== undefined) continue;
    if (!isDigest(digest)) {
      report.problems.push({ message: `${join(dir, name)} is not named by a sha256 digest` });
      continue;
    }
    try {
      const size = await rehash(join(dir, name), digest, report.bytes, options.onProgress);
      sizes.set(digest, size);
      report.blobs++;
      report.bytes += size;
    } catch (err) {
      report.problems.push({ digest, message: (err as Error).message });
    }
  }
  let index;
  try {
    index = await readIndex(root);
  } catch (err) {
    report.problems.push({ message: (err as Error).message });
    return report;
  }
  // A blob that failed its rehash is reported once above; here only what the references add.
  const reading: ChildReader = (d) =>
    children(d).catch((err: Error) => {
      if (sizes.has(d.digest)) report.problems.push({ digest: d.digest, message: err.message });
      return [];
    });
  for (const { descriptor: d, root: entry } of await walk(index.manifests, reading)) {
    const tag = entry.annotations?.[OciAnnotation.RefName];
    const via = tag === undefined ? `index entry ${entry.digest}` : `tag ${JSON.stringify(tag)}`;
    const size = sizes.get(d.digest);
    if (size === undefined && !report.problems.some((p) => p.digest === d.digest)) {
      report.problems.push({ digest: d.digest, message: `blob ${d.digest} (${d.mediaType}) of ${via} is missing` });
    } else if (size !== undefined && size !== d.size) {
      report.problems.push({ digest: d.digest, message: `blob ${d.digest} of ${via} is ${size} bytes, but its descriptor gives ${d.size}` });
    }
  }
  return report;
}

/** Streams one blob file through the hasher; a symlink, a non-file or a wrong hash throws. */
async function rehash(path: string, digest: Digest, before: number, onProgress?: (bytes: number) => void): Promise<number> {
  const handle = await openRegular(path, path);
  const hasher = hashingStream({ expected: { digest }, what: `blob ${digest}`, onProgress: onProgress && ((n) => onProgress(before + n)) });
  await pipeline(handle.createReadStream(), hasher, new Writable({ write: (_chunk, _enc, done) => done() }));
  return hasher.size;
}
