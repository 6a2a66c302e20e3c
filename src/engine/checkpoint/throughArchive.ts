import { join } from 'node:path';
import { EngineError } from '../errors.js';
import type { CheckpointImage } from '../podman/checkpointImages.js';
import type { CheckpointOptions, CheckpointResult } from '../podman/checkpoint.js';
import type { ContainerSummary } from '../podman/containers.js';
import type { Podman } from '../podman/Podman.js';
import { withTempFolder } from '../tempFolder.js';

/**
 * Checkpoints `container` into an uncompressed archive podman exports into a private temporary folder, then has
 * `build` make the image named `image` from it: the way to images podman's `--create-image` cannot make (in the
 * embedded store, or annotated), and a faster one (no image of podman's, no compression). `build` gets the
 * archive's size for its progress and returns the image it made. The archive is removed whatever happens; a
 * failed or cancelled build makes no image, and the container stays checkpointed in podman.
 */
export async function checkpointThroughArchive(
  podman: Podman,
  container: ContainerSummary,
  image: string,
  options: CheckpointOptions,
  build: (archive: string, bytes: number) => Promise<CheckpointImage | undefined>,
): Promise<CheckpointResult> {
  return withTempFolder('checkpoint', async (dir) => {
    const archive = join(dir, 'checkpoint.tar');
    const result = await podman.checkpoint(container, { kind: 'archive', path: archive, compression: 'none' }, options);
    options.onStage?.(`making the checkpoint image ${image}`);
    const made = await build(archive, result.archive?.size ?? 0);
    if (!made) throw new EngineError('NOTHING_DONE', `checkpointing ${container.name}: the image ${image} did not appear`);
    return { ...result, archive: undefined, image: made };
  });
}
