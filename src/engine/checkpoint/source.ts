/**
 * A checkpoint's files wherever they are, read in place: an archive as it is, a podman image's layer mounted
 * (`podman image mount`), a layout's or a registry's layer blob streamed (checked against its digest, never
 * stored), and the layer inside an image tar (`oci-archive:`, `docker-archive:`) streamed out of it.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { EngineError } from '../errors.js';
import { openLayout } from '../layout/LayoutStore.js';
import { hashingStream } from '../oci/hasher.js';
import type { Descriptor } from '../oci/types.js';
import type { Podman } from '../podman/Podman.js';
import { formatReference, type ImageReference } from '../reference.js';
import type { RegistryClient } from '../registry/client.js';
import { registryImage } from '../registry/browse.js';
import { manifestReference } from '../registry/registryReference.js';
import type { Store } from '../store/Store.js';
import { manifestOf } from '../store/storeImages.js';
import { imageTarLayer } from './imageTar.js';
import { piped } from './piped.js';

/** Where references lead: podman, the embedded store, registries (a CLI context or the extension's services). */
export interface CheckpointPlaces {
  podman: Podman;
  store: Store;
  registry?: (registry: string) => RegistryClient;
}

/** The checkpoint's files: a folder to read in place, or a tar stream (any compression) opened on demand. */
export type CheckpointSource =
  | { kind: 'folder'; path: string }
  | { kind: 'tar'; open: () => Promise<Readable>; /** Opening it again reads the same bytes (a file, a blob). */ rereadable: boolean };

export interface OpenedCheckpoint {
  /** Names it in messages. */
  what: string;
  source: CheckpointSource;
  /** The image's manifest annotations; undefined for a checkpoint archive. */
  annotations?: Record<string, string>;
  /** What this kind of source does not keep, in words. */
  missing: string[];
  /** Bytes read from the file, blob or registry so far (a mounted folder: 0). */
  bytesRead(): number;
}

/** Opens the checkpoint `ref` names and runs `fn` on it; whatever was mounted is released afterwards. */
export async function withCheckpointSource<T>(places: CheckpointPlaces, ref: ImageReference, options: { signal?: AbortSignal }, fn: (opened: OpenedCheckpoint) => Promise<T>): Promise<T> {
  const what = formatReference(ref);
  let read = 0;
  const counted = (stream: Readable): Readable => piped(stream, new Transform({
    transform(chunk: Buffer, _encoding, done) {
      read += chunk.length;
      done(null, chunk);
    },
  }));
  const tar = (open: () => Promise<Readable>, rest: Omit<OpenedCheckpoint, 'what' | 'source' | 'bytesRead'>) =>
    fn({ what, source: { kind: 'tar', open: async () => counted(await open()), rereadable: true }, bytesRead: () => read, ...rest });
  switch (ref.kind) {
    case 'archive':
      return tar(async () => createReadStream(ref.path), { missing: [] });
    case 'podman': {
      const image = await places.podman.checkpointImage(ref.name, options);
      if (!image) throw notFound(what, 'list them with `ckpt images`');
      return places.podman.withMountedImage(ref.name, (path) => fn({ what, source: { kind: 'folder', path }, annotations: image.annotations, missing: [], bytesRead: () => 0 }), options);
    }
    case 'store':
    case 'oci': {
      const layout = ref.kind === 'store' ? await places.store.layout() : await openLayout(ref.path);
      const top = await layout.resolve(ref.tag).catch((cause: unknown) => {
        throw notFound(what, ref.kind === 'store' ? 'list them with `ckpt images`' : `see the tags in ${ref.path}/index.json`, cause);
      });
      const { manifest } = await manifestOf(layout, top);
      const layer = onlyLayer(manifest.layers, what);
      return tar(() => layout.openBlob(layer.digest, { size: layer.size, signal: options.signal }), { annotations: { ...manifest.annotations }, missing: [] });
    }
    case 'registry': {
      if (!places.registry) throw new EngineError('INVALID_ARGUMENT', `${what}: registries are not available here`);
      const client = places.registry(ref.registry);
      const image = await registryImage(client, ref.repository, manifestReference(ref), options.signal);
      const layer = onlyLayer(image.layers, what);
      return tar(async () => {
        // Checked as it streams: bytes that do not match the manifest fail the read at their end.
        const body = await client.openBlob(ref.repository, layer.digest, options.signal);
        return piped(body, hashingStream({ expected: { digest: layer.digest, size: layer.size }, what: `the layer of ${what}` }));
      }, { annotations: image.annotations, missing: [] });
    }
    case 'oci-archive':
    case 'docker-archive': {
      const found = await imageTarLayer(ref.path, ref.kind, options);
      return tar(found.open, {
        annotations: found.annotations,
        missing: found.annotations ? [] : [`${basename(ref.path)} is a docker-archive, which keeps no manifest annotations: what they record (CRIU and podman versions, the checkpoint's host) is not known`],
      });
    }
  }
}

function onlyLayer(layers: Descriptor[], what: string): Descriptor {
  if (layers.length !== 1) {
    throw new EngineError('INVALID_IMAGE', `${what} has ${layers.length} layers; a checkpoint image has one, the checkpoint's files`, {
      hint: 'make checkpoint images with `podman container checkpoint --create-image` or `ckpt checkpoint`',
    });
  }
  return layers[0]!;
}

function notFound(what: string, hint: string, cause?: unknown): EngineError {
  return new EngineError('IMAGE_NOT_FOUND', `${what}: no such checkpoint image`, { hint, cause });
}
