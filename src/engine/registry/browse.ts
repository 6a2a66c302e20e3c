import { EngineError, isEngineError } from '../errors.js';
import { isIndexType, isManifestType } from '../oci/mediaTypes.js';
import { Limits, parseIndex, parseManifest } from '../oci/parse.js';
import { parseImageConfig } from '../oci/config.js';
import { sha256Digest } from '../oci/digest.js';
import { readAll } from './transport.js';
import { OciAnnotation, type Descriptor } from '../oci/types.js';
import { isCheckpointAnnotations, type CheckpointImage } from '../podman/checkpointImages.js';
import type { RegistryClient } from './client.js';

/** A tag of a registry repository, described from its manifest alone: no layer is downloaded. */
export interface RegistryImage extends CheckpointImage {
  repository: string;
  tag: string;
  isCheckpoint: boolean;
  mediaType: string;
  /** The manifest's layers: a checkpoint image has one, the checkpoint's files. */
  layers: Descriptor[];
}

/** The image `repository:reference` as the rest of the engine describes checkpoint images. */
export async function registryImage(client: RegistryClient, repository: string, reference: string, signal?: AbortSignal): Promise<RegistryImage> {
  const top = await client.getManifest(repository, reference, signal);
  let manifestBytes = top.bytes;
  let manifestType = top.mediaType;
  let manifestDigest = top.digest;
  if (isIndexType(top.mediaType)) {
    // A checkpoint index (containerd's form) has one entry: the manifest that carries the annotations.
    const first = parseIndex(top.bytes, { mediaType: top.mediaType }).manifests[0];
    if (!first) throw new EngineError('INVALID_IMAGE', `${client.registry}/${repository}:${reference} is an index that lists no manifest`);
    const inner = await client.getManifest(repository, first.digest, signal);
    [manifestBytes, manifestType, manifestDigest] = [inner.bytes, first.mediaType, inner.digest];
  }
  if (!isManifestType(manifestType)) {
    throw new EngineError('UNSUPPORTED_MEDIA_TYPE', `${client.registry}/${repository}:${reference} is a ${manifestType || 'document without a media type'}`);
  }
  const manifest = parseManifest(manifestBytes, { mediaType: manifestType });
  const annotations = { ...manifest.annotations };
  // Podman writes the time only in the config: one small read more (never a layer).
  const created = annotations[OciAnnotation.Created] ?? (await configCreated(client, repository, manifest.config.digest, manifest.config.size, signal));
  return {
    id: manifestDigest,
    names: [`${client.registry}/${repository}:${reference}`],
    digest: top.digest,
    size: manifest.layers.reduce((n, l) => n + l.size, manifest.config.size),
    created: created && !Number.isNaN(Date.parse(created)) ? new Date(created) : undefined,
    annotations,
    repository,
    tag: reference,
    isCheckpoint: isCheckpointAnnotations(annotations),
    mediaType: top.mediaType,
    layers: manifest.layers,
  };
}

/**
 * Every tag of a repository with what its manifest says, a few manifests at a time. A tag whose manifest cannot
 * be read (a Docker image, a deleted manifest) is listed with the error instead of failing the whole list.
 */
export async function listRepositoryImages(client: RegistryClient, repository: string, signal?: AbortSignal): Promise<Array<RegistryImage | { repository: string; tag: string; error: string }>> {
  const tags = await client.tags(repository, signal);
  const out: Array<RegistryImage | { repository: string; tag: string; error: string }> = new Array(tags.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < tags.length; i = next++) {
      const tag = tags[i]!;
      try {
        out[i] = await registryImage(client, repository, tag, signal);
      } catch (err) {
        if (!isEngineError(err) || err.code === 'CANCELLED' || err.code === 'REGISTRY_UNREACHABLE' || err.code === 'REGISTRY_DENIED') throw err;
        out[i] = { repository, tag, error: err.message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, tags.length) }, worker));
  return out;
}

async function configCreated(client: RegistryClient, repository: string, digest: string, size: number, signal?: AbortSignal): Promise<string | undefined> {
  if (size > Limits.configBytes) return undefined;
  const bytes = await readAll(await client.openBlob(repository, digest, signal), Limits.configBytes, `config ${digest}`);
  if (sha256Digest(bytes) !== digest) throw new EngineError('DIGEST_MISMATCH', `${client.registry}/${repository}: config ${digest} does not match its digest`);
  return parseImageConfig(bytes).created;
}
