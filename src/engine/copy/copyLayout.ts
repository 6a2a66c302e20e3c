import { cancelled } from '../errors.js';
import type { Layout } from '../layout/api.js';
import { isIndexType, isManifestType } from '../oci/mediaTypes.js';
import { childDescriptors } from '../oci/parse.js';
import type { Descriptor } from '../oci/types.js';

export interface CopyProgress {
  /** What is being copied now, in words ("layer sha256:ab12…"). */
  stage: string;
  /** Bytes copied so far over all blobs, and the total when known. */
  bytes: number;
  totalBytes: number;
}

export interface CopyOptions {
  signal?: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
}

/**
 * Copies the image tagged `srcTag` in one layout to `dstTag` in another: every blob it reaches streams across,
 * verified against its digest on both sides, blobs already there are skipped, and the tag is written last —
 * a failed or cancelled copy tags nothing.
 */
export async function copyBetweenLayouts(src: Layout, srcTag: string, dst: Layout, dstTag: string, options: CopyOptions = {}): Promise<Descriptor> {
  const { signal } = options;
  const top = await src.resolve(srcTag);
  const blobs = await reachable(src, top);
  const totalBytes = blobs.reduce((n, d) => n + d.size, 0);
  let done = 0;
  // Leaves first, top last: a reader of the destination never meets a manifest whose blobs are missing.
  for (const d of blobs.reverse()) {
    if (signal?.aborted) throw cancelled(`copying ${srcTag}`, signal);
    const stage = `${isManifestType(d.mediaType) || isIndexType(d.mediaType) ? 'manifest' : 'blob'} ${d.digest.slice(0, 19)}…`;
    options.onProgress?.({ stage, bytes: done, totalBytes });
    if (!(await dst.hasBlob(d.digest, d.size))) {
      const base = done;
      await dst.writeBlob(await src.openBlob(d.digest, { size: d.size, signal }), {
        expected: { digest: d.digest, size: d.size },
        signal,
        onProgress: (bytes) => options.onProgress?.({ stage, bytes: base + bytes, totalBytes }),
      });
    }
    done += d.size;
  }
  const tagged: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.size };
  await dst.tag(dstTag, tagged, { signal });
  options.onProgress?.({ stage: 'tagged', bytes: done, totalBytes });
  return tagged;
}

/** The top descriptor and everything under it, top first. */
export async function reachable(layout: Layout, top: Descriptor): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  const seen = new Set<string>();
  const visit = async (d: Descriptor): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    out.push(d);
    if (isManifestType(d.mediaType) || isIndexType(d.mediaType)) {
      const bytes = await layout.readBlob(d.digest, { size: d.size });
      for (const child of childDescriptors(bytes, d.mediaType)) await visit(child);
    }
  };
  await visit(top);
  return out;
}
