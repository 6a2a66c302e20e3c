/** The engine's public API: the only module the extension and the CLI import. */
export { ArchiveEntry, CheckpointMarkerAnnotations, CriuAnnotation, CrioAnnotation, PodmanAnnotation } from './annotations.js';
export { criuVersionFromNumber, parseCriuVersionOutput, type CriuVersion } from './criuVersion.js';
export { describeError, EngineError, isEngineError, type EngineErrorCode } from './errors.js';
export { silentLogger, type Logger } from './logger.js';
export { Podman } from './podman/Podman.js';
export type { PodmanOptions, ProgressOptions, RunOptions } from './podman/exec.js';
export { isolatedStoreArgs } from './podman/store.js';
export type { HostFacts } from './podman/hostFacts.js';
export { CHECK_IMAGE, type HostCheckOptions, type HostCheckReport, type HostCheckStep } from './podman/hostCheck.js';
export { DEFAULT_CRIU_STALL_TIMEOUT_MS } from './podman/exec.js';
export { DevContainerLabel, type ContainerState, type ContainerSummary } from './podman/containers.js';
export type { ArchiveCompression, CheckpointOptions, CheckpointResult, CheckpointTarget } from './podman/checkpoint.js';
export { isCheckpointAnnotations, type CheckpointImage } from './podman/checkpointImages.js';
export type { RestoreOptions, RestoreResult, RestoreSource } from './podman/restore.js';
export type { CheckpointRestoreStats } from './podman/stats.js';
export type { PodmanEvent } from './podman/events.js';
export {
  checkpointContainerName,
  describeCheckpointAnnotations,
  type AnnotationField,
  type AnnotationGroup,
} from './describeAnnotations.js';
export { buildInspectModel, type InspectField, type InspectModel, type Verdict } from './inspect.js';
export { Store } from './store/Store.js';
export { defaultStorePath } from './store/storeImages.js';
export type { BuildOptions, BuildResult } from './image/buildFromArchive.js';
export type { LayerCompression } from './image/layer.js';
export type { GcReport, VerifyReport } from './layout/index.js';
export { readCheckpointArchive, extractArchive, detectCompression, DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits, type CheckpointArchiveSummary, type Compression } from './archive/index.js';
export { formatReference, parseReference, podmanNameFor, type ImageReference } from './reference.js';
export { copyImage, intoPodman, type CopyContext, type CopyImageOptions } from './copy/copyImage.js';
export type { CopyProgress } from './copy/copyLayout.js';
export { lookupCheckpointImage } from './store/lookupCheckpointImage.js';
export { createRegistryClient, RegistryClient } from './registry/client.js';
export { Transport, type CredentialSource, type TransportOptions } from './registry/transport.js';
export { findCredentials, authFilePaths, type RegistryCredential, type FoundCredential, type CredentialLookupOptions } from './registry/credentials.js';
export { formatRegistryReference, parseRegistryReference, isLoopbackRegistry, type RegistryReference } from './registry/registryReference.js';
export { listRepositoryImages, registryImage, type RegistryImage } from './registry/browse.js';
export { pushImage, type PushOptions } from './registry/pushImage.js';
export { pullImage } from './registry/pullImage.js';

export { preflightRestore, unallowedHostPaths, type PreflightOptions, type PreflightReport } from './preflight/preflight.js';
export { restoreSanitized, type SanitizedRestoreOptions } from './preflight/sanitizedRestore.js';
export { preflightFindings, type PreflightCheck, type PreflightFacts, type PreflightFinding, type PreflightSeverity } from './preflight/preflightFindings.js';
export type { CheckpointMounts } from './archive/reader.js';
export { planDevContainerRestore, restoreDevContainer, type DevContainerPlan } from './devcontainer/restoreDevContainer.js';
export { devContainerWorkspace, remapPath, workspaceRemapEdit, type DevContainerWorkspace } from './devcontainer/workspaceRemap.js';
export type { MetadataEdit } from './archive/repack.js';
export { parseTop, processesOutsideTree, type ContainerProcess } from './podman/execProcesses.js';
export { checkpointDevContainer, DevContainerAnnotation, gitCommit } from './devcontainer/checkpointDevContainer.js';
export { readArchiveContents, readFolderContents, type ContentsReadStats, type MemoryVisitor, type ReadContentsOptions } from './criu/readContents.js';
export type { Address, CheckpointContents, CheckpointMount, CheckpointProcess, CheckpointVma, OpenFd, SocketState, SocketType, TaskState } from './criu/checkpointModel.js';
export {
  inspectCheckpoint,
  visitCheckpoint,
  subtree,
  type CheckpointInspection,
  type CheckpointVisitor,
  type DumpStats,
  type InspectOptions,
  type RootfsDiffEntry,
} from './checkpoint/inspectCheckpoint.js';
export type { CheckpointPlaces } from './checkpoint/source.js';
export { withCheckpointArchive, type LocalArchive } from './checkpoint/localArchive.js';
export { checkpointToImage, type CheckpointToImageOptions } from './checkpoint/checkpointToImage.js';
export { searchCheckpointMemory, type MemoryMatch, type MemoryReport, type MemorySearchOptions, type ProcessMemory } from './checkpoint/memorySearch.js';
export { diffCheckpoints, CHECKPOINT_DIFF_VERSION, type CheckpointDiff, type DiffableCheckpoint, type FieldChange, type MapDiff, type ProcessChange } from './diff/checkpointDiff.js';
export { describeCheckpointDiff, type DescribeDiffOptions, type DiffLine, type DiffSection } from './diff/describeDiff.js';
export { compareCheckpoints, type CompareOptions, type Comparison } from './diff/compareCheckpoints.js';
export { scanCheckpoint, type ScanOptions, type ScanProgress, type ScanReport } from './scan/scanCheckpoint.js';
export type { SecretKind } from './scan/detectors.js';
export type { SecretFinding, SecretWhere } from './scan/findings.js';
export { memoryByKind } from './diff/checkpointDiff.js';
