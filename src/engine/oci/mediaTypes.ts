/**
 * Media types the engine writes, and the Docker ones it must recognise in other people's images.
 * No imports, no logic beyond predicates.
 */

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  /** Docker v2 schema 2: podman pushes this with `--format v2s2`, which drops manifest annotations. */
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export type KnownMediaType = (typeof MediaType)[keyof typeof MediaType];

/** An image manifest, OCI or Docker: it names one config and its layers. */
export function isManifestType(mediaType: string): boolean {
  return mediaType === MediaType.OciManifest || mediaType === MediaType.DockerManifest;
}

/** An index (OCI) or manifest list (Docker): it names other manifests. */
export function isIndexType(mediaType: string): boolean {
  return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
}

export function isLayerType(mediaType: string): boolean {
  return (
    mediaType === MediaType.OciLayer ||
    mediaType === MediaType.OciLayerGzip ||
    mediaType === MediaType.OciLayerZstd ||
    mediaType === MediaType.DockerLayerGzip
  );
}

/** Docker media types are read only to be refused or converted: their manifests cannot carry annotations. */
export function isDockerType(mediaType: string): boolean {
  return mediaType.startsWith('application/vnd.docker.');
}
