/** The embedded store: an OCI image layout on disk. */
export type { ChangeOptions, Layout, OpenLayoutOptions } from './api.js';
export type { BlobSource, ReadBlobOptions, WriteBlobOptions } from './blobs.js';
export type { GcOptions, GcReport } from './gc.js';
export type { Tag } from './indexFile.js';
export { openLayout, withOwnHandle } from './LayoutStore.js';
export type { VerifyOptions, VerifyProblem, VerifyReport } from './verify.js';
