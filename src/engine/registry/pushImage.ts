import { cancelled, EngineError } from '../errors.js';
import type { Layout } from '../layout/api.js';
import { isDockerType, isIndexType, isManifestType } from '../oci/mediaTypes.js';
import type { Descriptor } from '../oci/types.js';
import { reachable, type CopyOptions } from '../copy/copyLayout.js';
import type { RegistryClient } from './client.js';

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
  let done = 0;
  const report = (stage: string, bytes: number) => options.onProgress?.({ stage, bytes, totalBytes });
  for (const d of all) {
    if (signal?.aborted) throw cancelled(`pushing ${tag}`, signal);
    const isManifest = isManifestType(d.mediaType) || isIndexType(d.mediaType);
    const stage = `${isManifest ? 'manifest' : 'blob'} ${d.digest.slice(0, 19)}…`;
    report(stage, done);
    if (isManifest) {
      const bytes = await layout.readBlob(d.digest, { size: d.size });
      await client.putManifest(repository, d.digest === top.digest ? target : d.digest, bytes, d.mediaType, signal);
    } else if (await client.hasBlob(repository, d.digest, signal)) {
      report(`${stage} (already there)`, done + d.size);
    } else if (!(await mounted(client, repository, d.digest, [...(options.mountFrom ?? []), ...client.repositoriesWith(d.digest)], signal))) {
      const base = done;
      await client.uploadBlob(repository, d.digest, d.size, () => layout.openBlob(d.digest, { size: d.size, signal }), {
        signal,
        chunkSize: options.chunkSize,
        onProgress: (bytes) => report(stage, base + bytes),
      });
    }
    if (!isManifest) client.remember(d.digest, repository);
    done += d.size;
  }
  report('pushed', done);
  return { mediaType: top.mediaType, digest: top.digest, size: top.size };
}

async function mounted(client: RegistryClient, repository: string, digest: string, from: string[], signal?: AbortSignal): Promise<boolean> {
  for (const other of new Set(from)) {
    if (other !== repository && (await client.mountBlob(repository, digest, other, signal))) return true;
  }
  return false;
}
