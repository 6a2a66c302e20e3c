/**
 * The shared vocabulary of checkpoint images and archives: annotation keys and archive entry names.
 * No imports, no logic — every other module names these things through this file.
 */

/** Podman's manifest annotations (libpod/define/annotations.go); `runtime.name` is the key restore checks. */
export const PodmanAnnotation = {
  Name: 'io.podman.annotations.checkpoint.name',
  RawImageName: 'io.podman.annotations.checkpoint.rawImageName',
  RootfsImageID: 'io.podman.annotations.checkpoint.rootfsImageID',
  RootfsImageName: 'io.podman.annotations.checkpoint.rootfsImageName',
  PodmanVersion: 'io.podman.annotations.checkpoint.podman.version',
  /** An integer string: CRIU 4.1.1 is "40101". */
  CriuVersion: 'io.podman.annotations.checkpoint.criu.version',
  RuntimeName: 'io.podman.annotations.checkpoint.runtime.name',
  /** The whole `<runtime> --version` output: several lines. */
  RuntimeVersion: 'io.podman.annotations.checkpoint.runtime.version',
  ConmonVersion: 'io.podman.annotations.checkpoint.conmon.version',
  HostArch: 'io.podman.annotations.checkpoint.host.arch',
  HostKernel: 'io.podman.annotations.checkpoint.host.kernel',
  CgroupsVersion: 'io.podman.annotations.checkpoint.cgroups.version',
  DistributionVersion: 'io.podman.annotations.checkpoint.distribution.version',
  DistributionName: 'io.podman.annotations.checkpoint.distribution.name',
} as const;

/** CRI-O's keys (internal/annotations/checkpoint.go); CRI-O detects a checkpoint image by `name` alone. */
export const CrioAnnotation = {
  Name: 'io.kubernetes.cri-o.annotations.checkpoint.name',
  RawImageName: 'io.kubernetes.cri-o.annotations.checkpoint.rawImageName',
  RootfsImageID: 'io.kubernetes.cri-o.annotations.checkpoint.rootfsImageID',
  RootfsImageName: 'io.kubernetes.cri-o.annotations.checkpoint.rootfsImageName',
  CrioVersion: 'io.kubernetes.cri-o.annotations.checkpoint.cri-o.version',
  CriuVersion: 'io.kubernetes.cri-o.annotations.checkpoint.criu.version',
} as const;

/** checkpointctl's engine-neutral keys (lib/annotations.go), read by containerd from an OCI index. */
export const CriuAnnotation = {
  EngineName: 'org.criu.checkpoint.engine.name',
  EngineVersion: 'org.criu.checkpoint.engine.version',
  ContainerName: 'org.criu.checkpoint.container.name',
  PodName: 'org.criu.checkpoint.pod.name',
  PodId: 'org.criu.checkpoint.pod.id',
  PodNamespace: 'org.criu.checkpoint.pod.namespace',
  PodUid: 'org.criu.checkpoint.pod.uid',
  RootfsImageName: 'org.criu.checkpoint.rootfsImageName',
  RootfsImageUserRequested: 'org.criu.checkpoint.rootfsImageUserRequested',
  RootfsImageSha: 'org.criu.checkpoint.rootfsImageSha',
  RootfsImageID: 'org.criu.checkpoint.rootfsImageID',
  RawImageName: 'org.criu.checkpoint.rawImageName',
  RuntimeName: 'org.criu.checkpoint.runtime.name',
  RuntimeVersion: 'org.criu.checkpoint.runtime.version',
  CriuVersion: 'org.criu.checkpoint.criu.version',
  ConmonVersion: 'org.criu.checkpoint.conmon.version',
  HostArch: 'org.criu.checkpoint.host.arch',
  HostKernel: 'org.criu.checkpoint.host.kernel',
  /** Singular `cgroup`, unlike Podman's `cgroups`. */
  CgroupVersion: 'org.criu.checkpoint.cgroup.version',
  DistributionName: 'org.criu.checkpoint.distribution.name',
  DistributionVersion: 'org.criu.checkpoint.distribution.version',
} as const;

/**
 * Keys whose presence marks an image as a checkpoint image, in the order consumers check them:
 * Podman's restore key, then CRI-O's, then checkpointctl's.
 */
export const CheckpointMarkerAnnotations = [
  PodmanAnnotation.RuntimeName,
  CrioAnnotation.Name,
  CriuAnnotation.ContainerName,
] as const;

/** Entry names at the root of a checkpoint archive or checkpoint-image layer (checkpointctl lib/metadata.go). */
export const ArchiveEntry = {
  ConfigDump: 'config.dump',
  SpecDump: 'spec.dump',
  NetworkStatus: 'network.status',
  StatsDump: 'stats-dump',
  CheckpointDir: 'checkpoint',
  PreCheckpointDir: 'pre-checkpoint',
  RootfsDiffTar: 'rootfs-diff.tar',
  DeletedFiles: 'deleted.files',
  DevShmTar: 'devshm-checkpoint.tar',
  VolumesDir: 'volumes',
  ArtifactsDir: 'artifacts',
  DumpLog: 'dump.log',
  RestoreLog: 'restore.log',
} as const;
