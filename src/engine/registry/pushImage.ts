import { cancelled, EngineError } from '../errors.js';
import type { Layout } from '../layout/api.js';
import { isDockerType, isIndexType, isManifestType } from '../oci/mediaTypes.js';
import type { Descriptor } from '../oci/types.js';
import { reachable, type CopyOptions } from '../copy/copyLayout.js';
import { untilFailure } from '../withLimit.js';
import type { RegistryClient } from './client.js';

/** Blobs pushed at once (skopeo's copy pushes up to 6 layers at once). */
const PARALLEL_BLOBS = 4;

export interface PushOptions extends CopyOptions {
  /** Other repositories of the same registry that may hold these blobs: mounted instead of uploaded. */
  mountFrom?: string[];
  /** See BlobUploadOptions.chunkSize. */
  chunkSize?: number;
}

/**
 * Pushes the image tagged `tag` in a layout to `repository:target` (a tag or a digest): blobs the registry has
 * are skipped, blobs another repository has are mounted, the rest uploaded; manifests go last, leaves first,
 * the tagged one at the very end, so the tag never names an image with a missing part.
 */
export async function pushImage(layout: Layout, tag: string, client: RegistryClient, repository: string, target: string, options: PushOptions = {}): Promise<Descriptor> {
  const { signal } = options;
  const top = await layout.resolve(tag);
  const all = (await reachable(layout, top)).reverse();
  const docker = all.find((d) => isDockerType(d.mediaType));
  if (docker) {
    throw new EngineError('UNSUPPORTED_MEDIA_TYPE', `${tag} holds a Docker ${docker.mediaType}: its annotations (the checkpoint's metadata) would not survive`, {
      hint: 'copy the image from podman with this tool (it saves as OCI), not from a docker-archive',
    });
  }
  const totalBytes = all.reduce((n, d) => n + d.size, 0);
  const isManifest = (d: Descriptor) => isManifestType(d.mediaType) || isIndexType(d.mediaType);
  /** Bytes the registry has of each blob so far; the stage shown is the largest blob still going. */
  const sent = new Map<string, number>();
  const going = new Set<Descriptor>();
  const report = (stage?: string) => {
    const largest = [...going].reduce<Descriptor | undefined>((a, d) => (a && a.size >= d.size ? a : d), undefined);
    const bytes = [...sent.values()].reduce((n, b) => n + b, 0);
    options.onProgress?.({ stage: stage ?? (largest ? `blob ${short(largest.digest)}` : 'blobs'), bytes, totalBytes });
  };
  // The blobs go up side by side (a small config need not wait for a large layer); the manifests after them.
  await untilFailure(all.filter((d) => !isManifest(d)), PARALLEL_BLOBS, `pushing ${tag}`, signal, async (d, blobSignal) => {
    going.add(d);
    report();
    if (await client.hasBlob(repository, d.digest, blobSignal)) {
      sent.set(d.digest, d.size);
      report(`blob ${short(d.digest)} (already there)`);
    } else if (!(await mounted(client, repository, d.digest, [...(options.mountFrom ?? []), ...client.repositoriesWith(d.digest)], blobSignal))) {
      await client.uploadBlob(repository, d.digest, d.size, () => layout.openBlob(d.digest, { size: d.size, signal: blobSignal }), {
        signal: blobSignal,
        chunkSize: options.chunkSize,
        onProgress: (bytes) => {
          sent.set(d.digest, bytes);
          report();
        },
      });
    }
    going.delete(d);
    sent.set(d.digest, d.size);
    client.remember(d.digest, repository);
  });
  for (const d of all.filter(isManifest)) {
    if (signal?.aborted) throw cancelled(`pushing ${tag}`, signal);
    report(`manifest ${short(d.digest)}`);
    const bytes = await layout.readBlob(d.digest, { size: d.size });
    await client.putManifest(repository, d.digest === top.digest ? target : d.digest, bytes, d.mediaType, signal);
    sent.set(d.digest, d.size);
  }
  report('pushed');
  return { mediaType: top.mediaType, digest: top.digest, size: top.size };
}

async function mounted(client: RegistryClient, repository: string, digest: string, from: string[], signal?: AbortSignal): Promise<boolean> {
  for (const other of new Set(from)) {
    if (other !== repository && (await client.mountBlob(repository, digest, other, signal))) return true;
  }
  return false;
}

function short(digest: string): string {
  return `${digest.slice(0, 19)}…`;
}
