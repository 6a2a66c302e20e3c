/**
 * Checkpoint images read straight from containers/storage's own files, as podman itself reads them:
 * `<graphRoot>/<driver>-images/images.json` (IDs, names, digest, big-data names and sizes), each image's
 * `manifest` big-data file (the annotations), its config big-data file (the creation time), and
 * `<driver>-layers/layers.json` (layer sizes). `podman info` says where the store is and how many images podman
 * sees; 500 images are a thousand small files, read in tens of milliseconds, where `podman image inspect` of them
 * takes seconds.
 *
 * Anything this reader is not sure of (another driver, an additional image store, a count that disagrees with
 * podman's, a record of a shape it does not know, a file gone while reading, a name it cannot parse) makes it
 * answer with the reason instead of images, and the caller asks podman: it never guesses.
 */
import { join } from 'node:path';
import { mapWithLimit, SMALL_FILES_AT_ONCE } from '../withLimit.js';
import { readSmall } from '../layout/files.js';
import { Limits } from '../oci/parse.js';
import { MediaType } from '../oci/mediaTypes.js';
import { isCheckpointAnnotations, type CheckpointImage } from './checkpointImages.js';
import { asArray, asObject, num, str, time, type Json } from './json.js';

/** Where podman keeps its images, from `podman info --format '{{json .Store}}'`. */
export interface StoreFacts {
  graphRoot: string;
  driver: string;
  /** How many images podman sees, additional image stores included; undefined: not checked. */
  imageCount?: number;
  graphOptions: Json;
}

export function parseStoreFacts(json: unknown): StoreFacts {
  const store = asObject(json);
  return {
    graphRoot: str(store.graphRoot),
    driver: str(store.graphDriverName),
    imageCount: num(asObject(store.imageStore).number, -1),
    graphOptions: asObject(store.graphOptions),
  };
}

/** The drivers whose stores the integration tests read against podman's own answer. */
const KNOWN_DRIVERS = new Set(['overlay', 'vfs']);
/** A store of thousands of images has an images.json of a few MiB; far more is not a store podman wrote. */
const MAX_STORE_JSON = 256 << 20;
const ID = /^[0-9a-f]{64}$/;
const SHA256 = /^sha256:[0-9a-f]{64}$/;
/** Go's time.Time accepts RFC 3339 only; anything else makes podman fail, so it is left to podman. */
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** Why the store cannot be read here; the listing then goes through podman. */
class Unsure extends Error {}

export type StorageListing = { images: CheckpointImage[] } | { unsure: string };

/** The checkpoint images of the store `facts` describes, or why this reader cannot be sure of them. */
export async function readStorageImages(facts: StoreFacts): Promise<StorageListing> {
  try {
    if (!KNOWN_DRIVERS.has(facts.driver)) throw new Unsure(`the ${facts.driver || 'unnamed'} storage driver is not one this reader knows`);
    if (Object.keys(facts.graphOptions).some((k) => /imagestore/i.test(k))) throw new Unsure('additional image stores are configured');
    if (!facts.graphRoot.startsWith('/')) throw new Unsure('podman named no graph root');
    const images = join(facts.graphRoot, `${facts.driver}-images`);
    const layers = join(facts.graphRoot, `${facts.driver}-layers`);
    // Every save of images.json or layers.json writes a new token into the store's lock file first: the same
    // tokens before and after mean no save happened in between. Once more if one did.
    for (let attempt = 0; attempt < 2; attempt++) {
      const before = await tokens(images, layers);
      const found = await readOnce(images, layers, facts.imageCount);
      if (before.equals(await tokens(images, layers))) return { images: found };
    }
    throw new Unsure('the store kept changing while it was read');
  } catch (err) {
    // Also a file gone (an image removed meanwhile), unreadable (another user's store) or refused (a link, too
    // large): podman's answer is always there to fall back on.
    return { unsure: err instanceof Error ? err.message : String(err) };
  }
}

async function tokens(images: string, layers: string): Promise<Buffer> {
  return Buffer.concat(await Promise.all([join(images, 'images.lock'), join(layers, 'layers.lock')].map((p) => readSmall(p, p, 4096))));
}

async function readJson(path: string, maxBytes: number): Promise<unknown> {
  const bytes = await readSmall(path, path, maxBytes);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Unsure(`${path} is not JSON`);
  }
}

async function readOnce(images: string, layers: string, imageCount: number | undefined): Promise<CheckpointImage[]> {
  const records = await readJson(join(images, 'images.json'), MAX_STORE_JSON);
  if (!Array.isArray(records)) throw new Unsure('images.json is not a list');
  // Podman also lists images of stores this reader does not see; a count that differs says there are some.
  if (imageCount !== undefined && records.length !== imageCount) throw new Unsure(`images.json has ${records.length} images, podman counts ${imageCount}`);
  const sizes = layerSizes(await readJson(join(layers, 'layers.json'), MAX_STORE_JSON));
  const found = await mapWithLimit(records, SMALL_FILES_AT_ONCE, (r) => readImage(images, asObject(r), sizes));
  return found.filter((image) => image !== undefined);
}

interface LayerRecord {
  parent: string;
  /** Undefined when containers/storage has no size it trusts and would compute one from the files. */
  size?: number;
}

function layerSizes(json: unknown): Map<string, LayerRecord> {
  if (!Array.isArray(json)) throw new Unsure('layers.json is not a list');
  const layers = new Map<string, LayerRecord>();
  for (const item of json) {
    const l = asObject(item);
    // Its size counts only with the digest that goes with it (containers/storage's ImageSize).
    const size = str(l['diff-digest']) ? num(l['diff-size']) : undefined;
    layers.set(str(l.id), { parent: str(l.parent), size: size === -1 ? undefined : size });
  }
  return layers;
}

/** One image record: the checkpoint image podman would report, or undefined for any other image. */
async function readImage(dir: string, record: Json, layers: Map<string, LayerRecord>): Promise<CheckpointImage | undefined> {
  const id = str(record.id);
  if (!ID.test(id)) throw new Unsure(`an image ID in images.json is not 64 hex digits`);
  const bigData = asArray(record['big-data-names']).map((n) => str(n));
  if (!bigData.includes('manifest')) throw new Unsure(`image ${id} has no manifest`);
  const manifest = asObject(await readJson(join(dir, id, 'manifest'), Limits.manifestBytes));
  const annotations = manifestAnnotations(manifest, id);
  if (!annotations || !isCheckpointAnnotations(annotations)) return undefined;
  const config = str(asObject(manifest.config).digest);
  if (!SHA256.test(config)) throw new Unsure(`the manifest of image ${id} names no sha256 config`);
  const created = asObject(await readJson(join(dir, id, bigDataFileName(config)), Limits.configBytes)).created;
  if (created !== undefined && created !== null && !(typeof created === 'string' && RFC3339.test(created))) {
    throw new Unsure(`the config of image ${id} has a creation time podman would not read`);
  }
  return {
    id,
    names: asArray(record.names).filter((n): n is string => typeof n === 'string' && repoTag(n, id)),
    digest: str(record.digest),
    size: imageSize(record, bigData, layers),
    created: time(created),
    annotations,
  };
}

/**
 * The annotations podman shows for this manifest: an OCI manifest's; none for Docker manifests and indexes.
 * A manifest without a media type but with checkpoint annotations is left to podman, which guesses its type.
 */
function manifestAnnotations(manifest: Json, id: string): Record<string, string> | undefined {
  const annotations = manifest.annotations;
  if (annotations === undefined || annotations === null) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asObject(annotations))) {
    if (typeof v !== 'string') throw new Unsure(`the manifest of image ${id} has an annotation that is not a string`);
    out[k] = v;
  }
  if (manifest.mediaType === MediaType.OciManifest) return out;
  if (manifest.mediaType === undefined && isCheckpointAnnotations(out)) throw new Unsure(`the manifest of image ${id} has no media type`);
  return undefined;
}

/** containers/storage's file name for a big-data key: the key itself when plain, else `=` and its base64. */
function bigDataFileName(key: string): string {
  return /^[0-9a-z.]+$/.test(key) ? key : `=${Buffer.from(key).toString('base64')}`;
}

/** The parts of a reference (distribution/reference's grammar) that say whether a name is a tag. */
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:]+\])(?::\d+)?$/;
const TAG = /^\w[\w.-]{0,127}$/;

/**
 * Whether podman lists `name` among an image's RepoTags: a `repository:tag` without a digest. A name by digest
 * is not a tag; a name with both, or one this grammar refuses, is left to podman.
 */
function repoTag(name: string, id: string): boolean {
  const at = name.indexOf('@');
  const path = at < 0 ? name : name.slice(0, at);
  const slash = path.lastIndexOf('/');
  const colon = path.lastIndexOf(':');
  const tagged = colon > slash;
  const repository = tagged ? path.slice(0, colon) : path;
  const first = repository.indexOf('/');
  const domain = first < 0 ? '' : repository.slice(0, first);
  const rest = first < 0 ? repository : repository.slice(first + 1);
  const valid =
    repository.length <= 255 &&
    (domain === '' ? REPOSITORY.test(repository) : DOMAIN.test(domain) && REPOSITORY.test(rest)) &&
    (!tagged || TAG.test(path.slice(colon + 1))) &&
    (at < 0 || SHA256.test(name.slice(at + 1)));
  if (!valid || (tagged && at >= 0)) throw new Unsure(`image ${id} has a name this reader does not parse: ${JSON.stringify(name.slice(0, 200))}`);
  return tagged;
}

/** containers/storage's ImageSize: every layer from the top ones down, once each, then every big-data item. */
function imageSize(record: Json, bigData: string[], layers: Map<string, LayerRecord>): number {
  const queue = [str(record.layer), ...asArray(record['mapped-top-layers']).map((l) => str(l))].filter(Boolean);
  const seen = new Set<string>();
  let size = 0;
  while (queue.length) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const layer = layers.get(id);
    if (!layer) throw new Unsure(`layer ${id} is not in layers.json`);
    if (layer.size === undefined) throw new Unsure(`layer ${id} has no recorded size`);
    size += layer.size;
    if (layer.parent) queue.push(layer.parent);
  }
  const sizes = asObject(record['big-data-sizes']);
  for (const name of bigData) {
    const n = sizes[name];
    if (typeof n !== 'number') throw new Unsure(`big-data item ${name} of image ${str(record.id)} has no recorded size`);
    size += n;
  }
  return size;
}
