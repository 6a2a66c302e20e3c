import { homedir } from 'node:os';
import { EngineError } from '../errors.js';
import { join } from 'node:path';
import { isCheckpointAnnotations, type CheckpointImage } from '../podman/checkpointImages.js';
import type { Layout } from '../layout/api.js';
import type { Tag } from '../layout/indexFile.js';
import { mapWithLimit, SMALL_FILES_AT_ONCE } from '../withLimit.js';
import { isIndexType } from '../oci/mediaTypes.js';
import { parseImageConfig } from '../oci/config.js';
import { parseIndex, parseManifest } from '../oci/parse.js';
import { OciAnnotation, type Descriptor, type Manifest } from '../oci/types.js';

/** Where the embedded store lives unless configured: the user's data folder, like other XDG tools. */
export function defaultStorePath(env: Record<string, string | undefined> = process.env): string {
  if (env.CKPT_STORE) return env.CKPT_STORE;
  const data = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(data, 'checkpoint-studio', 'store');
}

/**
 * A tagged image of the store as the rest of the engine describes checkpoint images: the manifest's
 * annotations (for an index, those of the manifest it points at) and the size of its blobs.
 */
export async function storeImage(layout: Layout, tag: string): Promise<CheckpointImage> {
  return imageOf(layout, { name: tag, descriptor: await layout.resolve(tag) });
}

async function imageOf(layout: Layout, { name, descriptor: top }: Tag): Promise<CheckpointImage> {
  const { manifest, descriptor } = await manifestOf(layout, top);
  const annotations = { ...manifest.annotations };
  const size = manifest.layers.reduce((n, l) => n + l.size, manifest.config.size);
  // Podman puts the time in the config only; ours are in both.
  const created = annotations[OciAnnotation.Created] ?? (await configCreated(layout, manifest.config));
  return {
    id: descriptor.digest,
    names: [name],
    digest: top.digest,
    size,
    created: created ? new Date(created) : undefined,
    annotations,
  };
}

/** Every checkpoint image in the store, newest first; plain images are left out. One read of index.json. */
export async function listStoreImages(layout: Layout): Promise<CheckpointImage[]> {
  const images = (await mapWithLimit(await layout.tags(), SMALL_FILES_AT_ONCE, (tag) => imageOf(layout, tag))).filter((i) => isCheckpointAnnotations(i.annotations));
  return images.sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0));
}

/** The manifest an image's top descriptor leads to (for an index, its one entry), and that manifest's descriptor. */
export async function manifestOf(layout: Layout, top: Descriptor): Promise<{ manifest: Manifest; descriptor: Descriptor }> {
  const bytes = await layout.readBlob(top.digest, { size: top.size });
  if (!isIndexType(top.mediaType)) return { manifest: parseManifest(bytes, { mediaType: top.mediaType }), descriptor: top };
  // A checkpoint index has one entry: the manifest for this host's platform.
  const index = parseIndex(bytes, { mediaType: top.mediaType });
  const descriptor = index.manifests[0];
  if (!descriptor) throw new EngineError('INVALID_IMAGE', `index ${top.digest} lists no manifest`);
  const inner = await layout.readBlob(descriptor.digest, { size: descriptor.size });
  return { manifest: parseManifest(inner, { mediaType: descriptor.mediaType }), descriptor };
}

async function configCreated(layout: Layout, config: Descriptor): Promise<string | undefined> {
  return parseImageConfig(await layout.readBlob(config.digest, { size: config.size })).created;
}
