import type { CopyContext } from '../copy/copyImage.js';
import { checkpointDevContainer, devContainerAnnotations } from '../devcontainer/checkpointDevContainer.js';
import { EngineError } from '../errors.js';
import { checkTagName } from '../layout/indexFile.js';
import type { CheckpointOptions, CheckpointResult } from '../podman/checkpoint.js';
import type { ContainerSummary } from '../podman/containers.js';
import { formatReference, parseReference } from '../reference.js';
import { checkpointThroughArchive } from './throughArchive.js';

export interface CheckpointToImageOptions extends CheckpointOptions {
  /** Into the store: bytes of the exported checkpoint built into the image so far, of `totalBytes`. */
  onBuildProgress?: (bytes: number, totalBytes: number) => void;
}

/**
 * Checkpoints a running container into a checkpoint image: `image` is a podman name (podman's `--create-image`)
 * or `store:TAG`, the embedded store. A dev container's image also records its workspace either way.
 */
export async function checkpointToImage(ctx: CopyContext, container: ContainerSummary, image: string, options: CheckpointToImageOptions = {}): Promise<CheckpointResult> {
  const ref = parseReference(image);
  if (ref.kind === 'store') return checkpointIntoStore(ctx, container, ref.tag, options);
  if (ref.kind !== 'podman') {
    throw new EngineError('INVALID_ARGUMENT', `${formatReference(ref)}: a checkpoint goes into podman (a name like localhost/app:1) or the embedded store (store:TAG)`, {
      hint: 'checkpoint into store:TAG, then copy it where it should go',
    });
  }
  return container.devContainer
    ? checkpointDevContainer(ctx, container, ref.name, options)
    : ctx.podman.checkpoint(container, { kind: 'image', name: ref.name }, options);
}

/**
 * Into the embedded store: podman exports the checkpoint uncompressed (`--create-image` costs seconds per 100 MiB
 * beyond CRIU), and the engine builds the image from that archive in one pass, its layer gzipped as a push wants it.
 */
async function checkpointIntoStore(ctx: CopyContext, container: ContainerSummary, tag: string, options: CheckpointToImageOptions): Promise<CheckpointResult> {
  // A bad tag would otherwise fail only after the checkpoint and the whole build.
  checkTagName(tag);
  const [host, annotations] = await Promise.all([ctx.hostFacts(), container.devContainer ? devContainerAnnotations(container.devContainer, options.signal) : undefined]);
  return checkpointThroughArchive(ctx.podman, container, `store:${tag}`, options, async (archive, totalBytes) => {
    await ctx.store.buildFromArchive(archive, tag, {
      host,
      compression: 'gzip',
      annotations,
      signal: options.signal,
      onProgress: options.onBuildProgress && ((bytes) => options.onBuildProgress!(bytes, totalBytes)),
    });
    return ctx.store.checkpointImage(tag);
  });
}
