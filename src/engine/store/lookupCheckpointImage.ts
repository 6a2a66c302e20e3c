import { EngineError } from '../errors.js';
import type { CheckpointImage } from '../podman/checkpointImages.js';
import type { RunOptions } from '../podman/exec.js';
import type { Podman } from '../podman/Podman.js';
import { formatReference, type ImageReference } from '../reference.js';
import { Store } from './Store.js';

/**
 * The checkpoint image a reference names, in podman's storage, the embedded store or an OCI layout; undefined
 * when it is not there. An archive is no image: INVALID_ARGUMENT.
 */
export async function lookupCheckpointImage(
  ref: ImageReference,
  places: { podman: Podman; store: Store },
  options: RunOptions = {},
): Promise<CheckpointImage | undefined> {
  switch (ref.kind) {
    case 'podman':
      return places.podman.checkpointImage(ref.name, options);
    case 'store':
      return places.store.checkpointImage(ref.tag);
    case 'oci':
      return new Store(ref.path, { create: false }).checkpointImage(ref.tag);
    case 'archive':
      throw new EngineError('INVALID_ARGUMENT', `${formatReference(ref)}: an archive is not an image`, {
        hint: 'build one with `ckpt image create ARCHIVE store:TAG` (or Import Archive in VS Code)',
      });
  }
}
