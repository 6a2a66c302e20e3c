import { lstat, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import { PodmanAnnotation } from '../annotations.js';
import { readCheckpointArchive, type CheckpointArchiveSummary } from '../archive/reader.js';
import { hostHookAnnotations } from '../archive/sanitize.js';
import { EngineError } from '../errors.js';
import type { CheckpointImage } from '../podman/checkpointImages.js';
import type { RunOptions } from '../podman/exec.js';
import type { Podman } from '../podman/Podman.js';
import type { RestoreSource } from '../podman/restore.js';
import { preflightFindings, type PreflightFinding } from './preflightFindings.js';

export interface PreflightOptions extends RunOptions {
  /** The name the restored container will get; default the recorded one. */
  name?: string;
  /** Bind mounts under this folder are the workspace's; every other host path is flagged. */
  workspaceFolder?: string;
  /** Recorded bind-mount source → the one the restore will use (dev container remapping), from the contents read. */
  remap?: (contents: CheckpointArchiveSummary) => ReadonlyMap<string, string>;
  /** The restore will bring back established TCP connections. */
  tcpEstablished?: boolean;
  /** The user chose to restore a checkpoint that ran in the host's network namespace in it again. */
  hostNetwork?: boolean;
  /** For an archive written from a checkpoint image (withCheckpointArchive): the image, named as the user did, and its annotations. */
  image?: { ref: string; annotations: Record<string, string> };
}

export interface PreflightReport {
  /** The image or archive checked, as given. */
  source: string;
  findings: PreflightFinding[];
  /** No errors: the restore may go ahead (after the user has seen the warnings). */
  canRestore: boolean;
  contents: CheckpointArchiveSummary;
  /** The image's annotations (none for an archive). */
  annotations: Record<string, string>;
  restoreName: string;
}

/**
 * Compares a checkpoint (an image in podman's storage or an archive) with this host before a restore: every
 * check of preflightFindings, with the facts read from podman and the file system. Nothing is changed.
 */
export async function preflightRestore(podman: Podman, source: RestoreSource, options: PreflightOptions = {}): Promise<PreflightReport> {
  if (source.kind === 'container') throw new EngineError('INVALID_ARGUMENT', 'a restore in place needs no preflight: the container is still here');
  const label = source.kind === 'image' ? source.ref : options.image?.ref ?? source.path;
  const [contents, image] =
    source.kind === 'image'
      ? await Promise.all([podman.checkpointContents(source.ref, options), imageOrFail(podman, source.ref, options)])
      : [await readCheckpointArchive(source.path, { signal: options.signal }), undefined];
  const [host, containers, volumeNames, hookAnnotations] = await Promise.all([podman.hostFacts(options), podman.listContainers(options), podman.volumeNames(options), hostHookAnnotations()]);
  // An archive carries no annotations; its config.dump names the runtime, which podman checks on import: that
  // one is judged, not what the manifest of an image it was read from says.
  const annotations = image?.annotations ?? { ...options.image?.annotations, ...(contents.runtime ? { [PodmanAnnotation.RuntimeName]: contents.runtime } : {}) };
  const baseName = annotations[PodmanAnnotation.RootfsImageName] ?? contents.imageName;
  const remapped = options.remap?.(contents);
  const sources = contents.mounts.bind.map((m) => remapped?.get(m.source) ?? m.source);
  const existing = new Set<string>();
  const canonicalPaths = new Map<string, string>();
  for (const path of sources) {
    if (await exists(path)) existing.add(path);
    canonicalPaths.set(path, await canonical(path));
  }
  const restoreName = options.name ?? contents.containerName;
  const findings = preflightFindings({
    image: image ?? { id: '', names: [], digest: '', size: 0, annotations },
    contents,
    host,
    restoreName,
    containerNames: containers.map((c) => c.name),
    volumeNames,
    localBaseImageId: baseName ? await podman.imageId(baseName, options) : undefined,
    existingPaths: existing,
    canonicalPaths,
    workspaceFolder: options.workspaceFolder,
    remapped,
    fromArchive: source.kind === 'archive',
    tcpEstablished: options.tcpEstablished,
    hostNetwork: options.hostNetwork,
    hookAnnotations,
  });
  return { source: label, findings, canRestore: !findings.some((f) => f.severity === 'error'), contents, annotations: image || options.image ? annotations : {}, restoreName };
}

async function imageOrFail(podman: Podman, ref: string, options: RunOptions): Promise<CheckpointImage> {
  const image = await podman.checkpointImage(ref, options);
  if (!image) throw new EngineError('IMAGE_NOT_FOUND', `${ref} is not a checkpoint image in podman's storage`, { hint: 'list them with `ckpt images`' });
  return image;
}

/** Where a path really leads here: normalised, and through every symlink (`/proc/<pid>/root` included) as far as it exists. */
async function canonical(path: string): Promise<string> {
  let head = posix.normalize(path);
  let tail = '';
  // A missing path is resolved as far as its folders exist: a link above it still counts.
  for (;;) {
    const real = await realpath(head).catch(() => undefined);
    if (real !== undefined) return tail ? posix.join(real, tail) : real;
    if (head === '/' || head === '.' || !head.startsWith('/')) return posix.normalize(path);
    tail = tail ? posix.join(posix.basename(head), tail) : posix.basename(head);
    head = posix.dirname(head);
  }
}

async function exists(path: string): Promise<boolean> {
  return path.startsWith('/') && (await lstat(path).then(() => true, () => false));
}

/**
 * The host paths outside the workspace a restore would mount that the user has not allowed, one by one:
 * consent is given per path (compared where each really leads), never for all at once.
 */
export async function unallowedHostPaths(report: PreflightReport, allowed: readonly string[]): Promise<string[]> {
  const granted = new Set(await Promise.all(allowed.map(canonical)));
  return [...new Set(report.findings.flatMap((f) => (f.hostPath && !granted.has(f.hostPath) ? [f.hostPath] : [])))];
}
