/** Manifests and indexes from untrusted bytes: size-capped, checked field by field, refused with a reason. */
import { EngineError, preview } from '../errors.js';
import { parseDigest } from './digest.js';
import { array, mediaType, object, optionalString, optionalStringMap, parseJsonObject, size, string, type JsonObject } from './json.js';
import { isDockerType, isIndexType, isManifestType, MediaType } from './mediaTypes.js';
import type { Descriptor, Index, Manifest, Platform } from './types.js';

/** Caps on what is read into memory, as containers/image has them (iolimits): 4 MiB each. */
export const Limits = {
  manifestBytes: 4 << 20,
  indexBytes: 4 << 20,
  configBytes: 4 << 20,
} as const;

export interface ParseOptions {
  /** The media type of the descriptor the bytes were fetched by; it must agree with the document's own. */
  mediaType?: string;
  /** Names the document in errors ("manifest of web:1"). */
  what?: string;
}

export function parseDescriptor(value: unknown, what: string): Descriptor {
  const o = object(value, what);
  const descriptor: Descriptor = {
    mediaType: mediaType(o.mediaType, `${what} mediaType`),
    digest: parseDigest(o.digest, `${what} digest`),
    size: size(o.size, `${what} size`),
  };
  const annotations = optionalStringMap(o.annotations, `${what} annotations`);
  if (annotations) descriptor.annotations = annotations;
  if (o.platform !== undefined) descriptor.platform = parsePlatform(o.platform, `${what} platform`);
  if (o.artifactType !== undefined) descriptor.artifactType = mediaType(o.artifactType, `${what} artifactType`);
  return descriptor;
}

function parsePlatform(value: unknown, what: string): Platform {
  const o = object(value, what);
  const platform: Platform = { architecture: string(o.architecture, `${what} architecture`), os: string(o.os, `${what} os`) };
  const variant = optionalString(o.variant, `${what} variant`);
  if (variant !== undefined) platform.variant = variant;
  return platform;
}

/** Reads an OCI image manifest; a Docker v2s2 one is refused with UNSUPPORTED_MEDIA_TYPE (it has no annotations). */
export function parseManifest(bytes: Uint8Array, options: ParseOptions = {}): Manifest {
  const what = options.what ?? 'manifest';
  const o = document(bytes, what, Limits.manifestBytes, options.mediaType, MediaType.OciManifest);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: parseDescriptor(o.config, `${what} config`),
    layers: array(o.layers, `${what} layers`).map((l, i) => parseDescriptor(l, `${what} layer ${i + 1}`)),
  };
  const annotations = optionalStringMap(o.annotations, `${what} annotations`);
  if (annotations) manifest.annotations = annotations;
  return manifest;
}

/** Reads an OCI index (also a layout's index.json, which may leave out its mediaType). */
export function parseIndex(bytes: Uint8Array, options: ParseOptions = {}): Index {
  const what = options.what ?? 'index';
  const o = document(bytes, what, Limits.indexBytes, options.mediaType, MediaType.OciIndex);
  const index: Index = {
    schemaVersion: 2,
    manifests: array(o.manifests, `${what} manifests`).map((m, i) => parseDescriptor(m, `${what} entry ${i + 1}`)),
  };
  if (o.mediaType !== undefined) index.mediaType = MediaType.OciIndex;
  const annotations = optionalStringMap(o.annotations, `${what} annotations`);
  if (annotations) index.annotations = annotations;
  return index;
}

/**
 * The descriptors a manifest or index points at (config and layers, or manifests), OCI or Docker, for walking
 * a store; no children for any other media type.
 */
export function childDescriptors(bytes: Uint8Array, type: string, what = 'manifest'): Descriptor[] {
  if (isManifestType(type)) {
    const o = parseJsonObject(bytes, what, Limits.manifestBytes);
    const layers = array(o.layers, `${what} layers`).map((l, i) => parseDescriptor(l, `${what} layer ${i + 1}`));
    return [parseDescriptor(o.config, `${what} config`), ...layers];
  }
  if (isIndexType(type)) {
    const o = parseJsonObject(bytes, what, Limits.indexBytes);
    return array(o.manifests, `${what} manifests`).map((m, i) => parseDescriptor(m, `${what} entry ${i + 1}`));
  }
  return [];
}

function document(bytes: Uint8Array, what: string, max: number, fetchedAs: string | undefined, wanted: string): JsonObject {
  const o = parseJsonObject(bytes, what, max);
  if (o.schemaVersion !== 2) throw new EngineError('INVALID_IMAGE', `${what} has schemaVersion ${preview(o.schemaVersion)}, not 2`);
  const declared = o.mediaType === undefined ? undefined : mediaType(o.mediaType, `${what} mediaType`);
  // A document that claims another type than the descriptor it was fetched by is a confusion attack or a bug.
  if (declared !== undefined && fetchedAs !== undefined && declared !== fetchedAs) {
    throw new EngineError('INVALID_IMAGE', `${what} says it is ${preview(declared)}, but was fetched as ${preview(fetchedAs)}`);
  }
  const type = declared ?? fetchedAs ?? wanted;
  if (isDockerType(type)) {
    throw new EngineError('UNSUPPORTED_MEDIA_TYPE', `${what} is a Docker ${preview(type)}, not OCI`, {
      hint: 'Docker-format images cannot carry checkpoint annotations; push the image again in OCI format (podman push --format oci)',
    });
  }
  if (type !== wanted) throw new EngineError('UNSUPPORTED_MEDIA_TYPE', `${what} is ${preview(type)}, not ${wanted}`);
  return o;
}
