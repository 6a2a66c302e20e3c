import { EngineError, isEngineError } from '../errors.js';
import type { RegistryClient } from '../registry/client.js';
import { registryImage } from '../registry/browse.js';
import { manifestReference } from '../registry/registryReference.js';
import type { CheckpointImage } from '../podman/checkpointImages.js';
import type { RunOptions } from '../podman/exec.js';
import type { Podman } from '../podman/Podman.js';
import { formatReference, type ImageReference } from '../reference.js';
import { Store } from './Store.js';

/**
 * The checkpoint image a reference names, in podman's storage, the embedded store, an OCI layout or a registry
 * (from its manifest alone); undefined when it is not there. An archive is no image: INVALID_ARGUMENT.
 */
export async function lookupCheckpointImage(
  ref: ImageReference,
  places: { podman: Podman; store: Store; registry?: (registry: string) => RegistryClient },
  options: RunOptions = {},
): Promise<CheckpointImage | undefined> {
  switch (ref.kind) {
    case 'podman':
      return places.podman.checkpointImage(ref.name, options);
    case 'store':
      return places.store.checkpointImage(ref.tag);
    case 'oci':
      return new Store(ref.path, { create: false }).checkpointImage(ref.tag);
    case 'registry': {
      if (!places.registry) throw new EngineError('INVALID_ARGUMENT', `${formatReference(ref)}: registries are not available here`);
      try {
        const image = await registryImage(places.registry(ref.registry), ref.repository, manifestReference(ref), options.signal);
        return image.isCheckpoint ? image : undefined;
      } catch (err) {
        if (isEngineError(err, 'IMAGE_NOT_FOUND')) return undefined;
        throw err;
      }
    }
    case 'archive':
    case 'oci-archive':
    case 'docker-archive':
      throw new EngineError('INVALID_ARGUMENT', `${formatReference(ref)}: an archive is not an image`, {
        hint: 'build one with `ckpt image create ARCHIVE store:TAG` (or Import Archive in VS Code)',
      });
  }
}
