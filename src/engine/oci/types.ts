/**
 * The OCI image types the engine reads and writes: only the fields it uses, plus annotations.
 * Plain data, no I/O. Values from outside reach these types only through parse.ts.
 */
import type { Digest } from './digest.js';
import type { MediaType } from './mediaTypes.js';

export type Annotations = Record<string, string>;

/** Standard annotation keys (image-spec annotations.md). */
export const OciAnnotation = {
  /** On an index.json entry of a layout: the tag (`oci:DIR:TAG` in skopeo). */
  RefName: 'org.opencontainers.image.ref.name',
  Created: 'org.opencontainers.image.created',
} as const;

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** Points at a blob: what it is, its digest and its exact size. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Annotations;
  platform?: Platform;
  artifactType?: string;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType: typeof MediaType.OciManifest;
  config: Descriptor;
  layers: Descriptor[];
  /** Where Podman keeps the checkpoint metadata (io.podman.annotations.checkpoint.*). */
  annotations?: Annotations;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: typeof MediaType.OciIndex;
  manifests: Descriptor[];
  annotations?: Annotations;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  config?: {
    Labels?: Record<string, string>;
    Env?: string[];
    Cmd?: string[];
    Entrypoint?: string[];
    WorkingDir?: string;
  };
  /** One diff ID per layer: the sha256 of the layer uncompressed. */
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean }>;
}
