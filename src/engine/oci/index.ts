/** OCI image types, media types, digests and parsers: no file or network I/O. */
export { canonicalJson } from './canonical.js';
export { parseImageConfig } from './config.js';
export { digestHex, isDigest, parseDigest, sha256Digest, type Digest } from './digest.js';
export { hashingStream, type HashingOptions, type HashingStream } from './hasher.js';
export { isDockerType, isIndexType, isLayerType, isManifestType, MediaType, type KnownMediaType } from './mediaTypes.js';
export { childDescriptors, Limits, parseDescriptor, parseIndex, parseManifest, type ParseOptions } from './parse.js';
export { OciAnnotation, type Annotations, type Descriptor, type ImageConfig, type Index, type Manifest, type Platform } from './types.js';
