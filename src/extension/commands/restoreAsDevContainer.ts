import { basename } from 'node:path';
import { checkpointContainerName } from '../../engine/index.js';
import type { Services } from '../services.js';
import { pickCheckpointImage } from './pick.js';
import { defaultRestoreName } from './restoreFromCheckpointImage.js';
import { devContainerFolder, restoreWithPreflight, type RestoreOutcome } from './restoreWithPreflight.js';

/** Arguments for running the command without prompts (keybindings, other extensions, tests). */
export interface DevContainerRestoreRequest {
  /** A podman name, store:TAG or docker://HOST/REPO:TAG of a dev container's checkpoint image. */
  image: string;
  /** Default: a free name (the original's, or `<original>-restored`, ...). */
  name?: string;
  /** The clone of the workspace to restore for. Default: this window's first workspace folder. */
  workspaceFolder?: string;
  /** false: restore despite the preflight's warnings without asking. Errors always refuse. */
  confirm?: boolean;
}

function isRequest(arg: unknown): arg is DevContainerRestoreRequest {
  return typeof arg === 'object' && arg !== null && typeof (arg as DevContainerRestoreRequest).image === 'string';
}

/**
 * Restores a teammate's dev container checkpoint as the dev container of this window's folder (their clone of
 * the workspace): its workspace mount and dev container labels move here, so the Dev Containers tooling finds it.
 */
export async function restoreAsDevContainer(services: Services, arg?: unknown): Promise<RestoreOutcome> {
  const request = isRequest(arg) ? arg : undefined;
  const folder = devContainerFolder(request?.workspaceFolder);
  const { image, ref } = await pickCheckpointImage(services, request?.image ?? arg, 'Restore as Dev Container for This Workspace');
  await services.refresh.now();
  const taken = new Set(services.model.containers.map((c) => c.name));
  const name = request?.name ?? defaultRestoreName(checkpointContainerName(image.annotations) ?? basename(folder), taken);
  return restoreWithPreflight(services, { image: ref, name, confirm: request?.confirm }, { devContainer: true, workspaceFolder: folder });
}
