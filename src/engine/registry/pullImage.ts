import { cancelled, EngineError, isEngineError } from '../errors.js';
import type { Layout } from '../layout/api.js';
import { isDigest, type Digest } from '../oci/digest.js';
import { isDockerType, isIndexType, isManifestType } from '../oci/mediaTypes.js';
import { childDescriptors } from '../oci/parse.js';
import type { Descriptor } from '../oci/types.js';
import type { CopyOptions } from '../copy/copyLayout.js';
import type { RegistryClient } from './client.js';

/** A manifest tree deeper or wider than this is not a checkpoint image, and may be a trap. */
const MAX_BLOBS = 256;
const BLOB_ATTEMPTS = 3;

/**
 * Pulls `repository:reference` into a layout as `tag`: the manifest (and for an index, the manifests it lists)
 * first, each checked against its digest; then every blob streamed into the layout, verified while it is
 * written (a blob that fails is fetched again, up to three times). The tag is written last: a failed or
 * cancelled pull names nothing.
 */
export async function pullImage(client: RegistryClient, repository: string, reference: string, layout: Layout, tag: string, options: CopyOptions = {}): Promise<Descriptor> {
  const { signal } = options;
  const where = `${client.registry}/${repository}:${reference}`;
  const top = await client.getManifest(repository, reference, signal);
  refuseDocker(top.mediaType, where);
  if (!isManifestType(top.mediaType) && !isIndexType(top.mediaType)) {
    throw new EngineError('UNSUPPORTED_MEDIA_TYPE', `${where} is a ${top.mediaType || 'document without a media type'}, not an OCI image manifest or index`);
  }
  const topDescriptor: Descriptor = { mediaType: top.mediaType, digest: asDigest(top.digest), size: top.bytes.length };
  // Manifests are small: read them all first, so the total is known before the first layer byte.
  const manifests: Array<{ descriptor: Descriptor; bytes: Buffer }> = [{ descriptor: topDescriptor, bytes: top.bytes }];
  const blobs: Descriptor[] = [];
  const seen = new Set<string>([top.digest]);
  for (let i = 0; i < manifests.length; i++) {
    const { descriptor, bytes } = manifests[i]!;
    for (const child of childDescriptors(bytes, descriptor.mediaType, `manifest ${descriptor.digest} of ${where}`)) {
      if (seen.has(child.digest)) continue;
      seen.add(child.digest);
      if (seen.size > MAX_BLOBS) throw new EngineError('INVALID_IMAGE', `${where} names more than ${MAX_BLOBS} blobs: not a checkpoint image`);
      if (isManifestType(child.mediaType) || isIndexType(child.mediaType)) {
        refuseDocker(child.mediaType, where);
        const inner = await client.getManifest(repository, child.digest, signal);
        if (inner.bytes.length !== child.size) throw new EngineError('DIGEST_MISMATCH', `${where}: manifest ${child.digest} is ${inner.bytes.length} bytes, its descriptor says ${child.size}`);
        manifests.push({ descriptor: child, bytes: inner.bytes });
      } else blobs.push(child);
    }
  }
  const totalBytes = [...manifests.map((m) => m.descriptor), ...blobs].reduce((n, d) => n + d.size, 0);
  let done = 0;
  for (const d of blobs) {
    if (signal?.aborted) throw cancelled(`pulling ${where}`, signal);
    const stage = `blob ${d.digest.slice(0, 19)}…`;
    options.onProgress?.({ stage, bytes: done, totalBytes });
    if (!(await layout.hasBlob(d.digest, d.size))) await fetchBlob(client, repository, d, layout, (bytes) => options.onProgress?.({ stage, bytes: done + bytes, totalBytes }), signal);
    client.remember(d.digest, repository);
    done += d.size;
  }
  // Leaves first: a manifest is written only when what it names is there.
  for (const { descriptor, bytes } of manifests.reverse()) {
    await layout.writeBlob(bytes, { expected: { digest: descriptor.digest, size: descriptor.size }, signal });
    done += descriptor.size;
  }
  await layout.tag(tag, topDescriptor, { signal });
  options.onProgress?.({ stage: 'tagged', bytes: done, totalBytes });
  return topDescriptor;
}

async function fetchBlob(client: RegistryClient, repository: string, d: Descriptor, layout: Layout, onProgress: (bytes: number) => void, signal?: AbortSignal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const body = await client.openBlob(repository, d.digest, signal);
      await layout.writeBlob(body, { expected: { digest: d.digest, size: d.size }, signal, onProgress });
      return;
    } catch (err) {
      if (signal?.aborted) throw cancelled(`pulling blob ${d.digest}`, signal);
      // A dropped connection or a byte changed on the way: fetch it again; what the registry holds is decisive.
      const transient = !isEngineError(err) || err.code === 'DIGEST_MISMATCH' || err.code === 'REGISTRY_UNREACHABLE';
      if (!transient || attempt >= BLOB_ATTEMPTS) {
        if (isEngineError(err, 'DIGEST_MISMATCH')) {
          throw new EngineError('DIGEST_MISMATCH', `${client.registry}/${repository}: blob ${d.digest} arrived ${attempt} times with other content`, {
            cause: err,
            hint: 'the registry\'s copy may be damaged: push the image again',
          });
        }
        throw isEngineError(err) ? err : new EngineError('REGISTRY_UNREACHABLE', `${client.registry}/${repository}: the connection dropped while pulling blob ${d.digest} (${(err as Error).message})`, { cause: err, hint: 'check the network and try again' });
      }
    }
  }
}

function refuseDocker(mediaType: string, where: string): void {
  if (isDockerType(mediaType)) {
    throw new EngineError('UNSUPPORTED_MEDIA_TYPE', `${where} was pushed as a Docker image (${mediaType}), which drops the checkpoint annotations`, {
      hint: 'push it again in OCI form (podman push --format oci, or Checkpoint Studio\'s Push)',
    });
  }
}

function asDigest(value: string): Digest {
  if (!isDigest(value)) throw new EngineError('INVALID_IMAGE', `not a digest: ${value}`);
  return value;
}
