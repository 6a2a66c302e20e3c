/** Checkpoint archives and tar streams: compression by magic bytes, checked entries, a summary, safe extraction. */
export { compressor, detectCompression, type Compression, type ReadOptions } from './compression.js';
export { DEFAULT_ARCHIVE_LIMITS, openEntries, type ArchiveLimits, type TarEntry, type TarEntryOptions } from './entries.js';
export { extractArchive, type ExtractOptions, type ExtractResult } from './extract.js';
export {
  readCheckpointArchive,
  type CheckpointArchiveSummary,
  type CheckpointEngine,
  type ReadArchiveOptions,
} from './reader.js';
