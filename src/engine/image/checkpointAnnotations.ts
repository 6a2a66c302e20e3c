import { CriuAnnotation, CrioAnnotation, PodmanAnnotation } from '../annotations.js';
import { EngineError } from '../errors.js';
import type { HostFacts } from '../podman/hostFacts.js';

/** What a checkpoint archive tells about where it came from (from its config.dump and spec.dump). */
export interface CheckpointOrigin {
  /** podman, cri-o or containerd: the engine that wrote the archive. */
  engine: string;
  containerName?: string;
  /** The base image as the user typed it. */
  rawImageName?: string;
  rootfsImageName?: string;
  rootfsImageID?: string;
  /** The OCI runtime the container ran with (runc, crun). */
  runtimeName?: string;
  podName?: string;
  podNamespace?: string;
}

const RESERVED = ['io.podman.annotations.checkpoint.', 'io.kubernetes.cri-o.annotations.checkpoint.', 'org.criu.checkpoint.'];

/**
 * The manifest annotations of all three families for a checkpoint image. Values the archive knows come from
 * the archive; the rest (versions, kernel, arch...) from this host, which is where the image is built and
 * where, for a podman export, the checkpoint was made. `extra` adds the user's own annotations (a description
 * for teammates) but may not overwrite checkpoint keys.
 */
export function checkpointAnnotations(
  origin: CheckpointOrigin,
  host: HostFacts,
  extra: Record<string, string> = {},
): Record<string, string> {
  const reserved = Object.keys(extra).find((k) => RESERVED.some((p) => k.startsWith(p)));
  if (reserved) {
    throw new EngineError('INVALID_ARGUMENT', `annotation ${reserved} is set by the checkpoint itself`, {
      hint: 'use a key of your own, e.g. org.opencontainers.image.description',
    });
  }
  const criu = host.criu ? String(host.criu.number) : undefined;
  // Podman restores only when runtime.name equals its default runtime: prefer the runtime the container used.
  const runtime = origin.runtimeName || host.runtimeName;
  const pairs: [string, string | undefined][] = [
    [PodmanAnnotation.Name, origin.containerName],
    [PodmanAnnotation.RawImageName, origin.rawImageName],
    [PodmanAnnotation.RootfsImageID, origin.rootfsImageID],
    [PodmanAnnotation.RootfsImageName, origin.rootfsImageName],
    [PodmanAnnotation.PodmanVersion, host.podmanVersion],
    [PodmanAnnotation.CriuVersion, criu],
    [PodmanAnnotation.RuntimeName, runtime],
    [PodmanAnnotation.RuntimeVersion, host.runtimeVersion],
    [PodmanAnnotation.ConmonVersion, host.conmonVersion],
    [PodmanAnnotation.HostArch, host.arch],
    [PodmanAnnotation.HostKernel, host.kernel],
    [PodmanAnnotation.CgroupsVersion, host.cgroupsVersion],
    [PodmanAnnotation.DistributionVersion, host.distributionVersion],
    [PodmanAnnotation.DistributionName, host.distributionName],
    [CrioAnnotation.Name, origin.containerName],
    [CrioAnnotation.RawImageName, origin.rawImageName],
    [CrioAnnotation.RootfsImageID, origin.rootfsImageID],
    [CrioAnnotation.RootfsImageName, origin.rootfsImageName],
    [CrioAnnotation.CriuVersion, criu],
    [CriuAnnotation.EngineName, origin.engine],
    [CriuAnnotation.ContainerName, origin.containerName],
    [CriuAnnotation.PodName, origin.podName],
    [CriuAnnotation.PodNamespace, origin.podNamespace],
    [CriuAnnotation.RootfsImageName, origin.rootfsImageName],
    [CriuAnnotation.RootfsImageUserRequested, origin.rawImageName],
    [CriuAnnotation.RootfsImageID, origin.rootfsImageID],
    [CriuAnnotation.RawImageName, origin.rawImageName],
    [CriuAnnotation.RuntimeName, runtime],
    [CriuAnnotation.RuntimeVersion, host.runtimeVersion],
    [CriuAnnotation.CriuVersion, criu],
    [CriuAnnotation.ConmonVersion, host.conmonVersion],
    [CriuAnnotation.HostArch, host.arch],
    [CriuAnnotation.HostKernel, host.kernel],
    [CriuAnnotation.CgroupVersion, host.cgroupsVersion],
    [CriuAnnotation.DistributionName, host.distributionName],
    [CriuAnnotation.DistributionVersion, host.distributionVersion],
  ];
  const out: Record<string, string> = { ...extra };
  for (const [key, value] of pairs) if (value) out[key] = value;
  return out;
}
