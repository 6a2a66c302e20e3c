import { canonicalJson } from '../oci/canonical.js';
import { sha256Digest, type Digest } from '../oci/digest.js';
import { MediaType } from '../oci/mediaTypes.js';
import { OciAnnotation, type Descriptor, type ImageConfig, type Index, type Manifest } from '../oci/types.js';
import type { LayerCompression, LayerDigests } from './layer.js';

/** A JSON blob ready to store: its bytes and the descriptor that names them. */
export interface JsonBlob {
  bytes: Buffer;
  descriptor: Descriptor;
}

const LAYER_TYPES: Record<LayerCompression, string> = {
  gzip: MediaType.OciLayerGzip,
  zstd: MediaType.OciLayerZstd,
  none: MediaType.OciLayer,
};

/** RFC 3339 with nanoseconds: two images built in the same millisecond still get different configs. */
export function nanoTimestamp(now = new Date(), hr = process.hrtime.bigint()): string {
  const nanos = String(hr % 1_000_000n).padStart(6, '0');
  return now.toISOString().replace(/\.(\d{3})Z$/, `.$1${nanos}Z`);
}

function blob(mediaType: string, value: unknown, annotations?: Record<string, string>): JsonBlob {
  const bytes = canonicalJson(value);
  const descriptor: Descriptor = { mediaType, digest: sha256Digest(bytes), size: bytes.length };
  if (annotations) descriptor.annotations = annotations;
  return { bytes, descriptor };
}

/**
 * The config and manifest of a checkpoint image around one layer, as Podman makes them: a config with
 * os/architecture and no command (the image is built FROM scratch), every checkpoint annotation on the
 * manifest. Each config is unique (created to the nanosecond): podman stores byte-identical configs as one
 * image, and restoring the second then fails.
 */
export function checkpointManifest(options: {
  layer: LayerDigests;
  compression: LayerCompression;
  architecture: string;
  annotations: Record<string, string>;
  created?: string;
}): { config: JsonBlob; manifest: JsonBlob } {
  const created = options.created ?? nanoTimestamp();
  const config: ImageConfig = {
    architecture: options.architecture,
    os: 'linux',
    created,
    config: {},
    rootfs: { type: 'layers', diff_ids: [options.layer.diffId as Digest] },
    history: [{ created, created_by: 'Checkpoint Studio: checkpoint image' }],
  };
  const configBlob = blob(MediaType.OciConfig, config);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: configBlob.descriptor,
    layers: [{ mediaType: LAYER_TYPES[options.compression], digest: options.layer.digest as Digest, size: options.layer.size }],
    annotations: { ...options.annotations, [OciAnnotation.Created]: created },
  };
  return { config: configBlob, manifest: blob(MediaType.OciManifest, manifest) };
}

/**
 * A one-entry OCI index over the manifest carrying the engine-neutral annotations: containerd's CRI reads
 * checkpoint metadata from the index, not from the manifest.
 */
export function checkpointIndex(manifest: JsonBlob, annotations: Record<string, string>, architecture: string): JsonBlob {
  const neutral = Object.fromEntries(Object.entries(annotations).filter(([k]) => k.startsWith('org.criu.checkpoint.')));
  const entry: Descriptor = { ...manifest.descriptor, platform: { architecture, os: 'linux' } };
  const index: Index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [entry], annotations: neutral };
  return blob(MediaType.OciIndex, index);
}
