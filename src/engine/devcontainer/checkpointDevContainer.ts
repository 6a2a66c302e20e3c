import { execFile } from 'node:child_process';
import { basename, relative } from 'node:path';
import { promisify } from 'node:util';
import { checkpointThroughArchive } from '../checkpoint/throughArchive.js';
import { copyImage, type CopyContext } from '../copy/copyImage.js';
import { EngineError } from '../errors.js';
import type { CheckpointOptions, CheckpointResult } from '../podman/checkpoint.js';
import type { ContainerSummary } from '../podman/containers.js';

/** Annotations of our own on a dev container's checkpoint: what a teammate's restore compares with their clone. */
export const DevContainerAnnotation = {
  /** The workspace folder's name (its path is the author's own). */
  Workspace: 'io.checkpoint-studio.devcontainer.workspace',
  /** Where the workspace is mounted in the container. */
  Mount: 'io.checkpoint-studio.devcontainer.mount',
  /** devcontainer.json, relative to the workspace. */
  Config: 'io.checkpoint-studio.devcontainer.config',
  /** The workspace's git commit at checkpoint time. */
  Commit: 'io.checkpoint-studio.devcontainer.commit',
} as const;

/** The commit checked out in `folder`, or undefined when it is no git work tree (or git is missing). */
export async function gitCommit(folder: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('git', ['-C', folder, 'rev-parse', '--verify', 'HEAD'], { timeout: 10_000, signal });
    return /^[0-9a-f]{40,64}$/.test(stdout.trim()) ? stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** What a dev container's checkpoint image records of its workspace (DevContainerAnnotation), read before the checkpoint. */
export async function devContainerAnnotations(dev: NonNullable<ContainerSummary['devContainer']>, signal?: AbortSignal): Promise<Record<string, string>> {
  const commit = await gitCommit(dev.localFolder, signal);
  const annotations: Record<string, string> = { [DevContainerAnnotation.Workspace]: basename(dev.localFolder) };
  if (dev.workspaceMount) annotations[DevContainerAnnotation.Mount] = dev.workspaceMount;
  if (dev.configFile) annotations[DevContainerAnnotation.Config] = relative(dev.localFolder, dev.configFile);
  if (commit) annotations[DevContainerAnnotation.Commit] = commit;
  return annotations;
}

/**
 * Checkpoints a dev container into a checkpoint image in podman's storage that also records its workspace
 * (DevContainerAnnotation). Podman cannot annotate the images it creates, so the checkpoint is exported and
 * the engine builds the image from it (the same format, restorable by podman as any other).
 */
export async function checkpointDevContainer(ctx: CopyContext, container: ContainerSummary, imageName: string, options: CheckpointOptions = {}): Promise<CheckpointResult> {
  const dev = container.devContainer;
  if (!dev) throw new EngineError('INVALID_ARGUMENT', `${container.name} is not a dev container (no devcontainer.local_folder label)`);
  const annotations = await devContainerAnnotations(dev, options.signal);
  return checkpointThroughArchive(ctx.podman, container, imageName, options, async (archive) => {
    await copyImage(ctx, { kind: 'archive', path: archive }, { kind: 'podman', name: imageName }, { compression: 'none', annotations, signal: options.signal });
    return ctx.podman.checkpointImage(imageName, options);
  });
}
