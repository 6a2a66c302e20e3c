import * as vscode from 'vscode';
import type { Services } from '../services.js';
import { parseReference } from '../../engine/index.js';
import { pickCheckpointImage } from './pick.js';
import { UserCancelled } from './runCommand.js';

/** Takes a tree node (asks to confirm), `{ image, confirm: false }` (no prompt), or nothing (asks which). */
export async function removeCheckpointImage(services: Services, arg?: unknown): Promise<void> {
  const direct = typeof arg === 'object' && arg !== null && typeof (arg as { image?: unknown }).image === 'string'
    ? (arg as { image: string; confirm?: boolean })
    : undefined;
  const { ref } = await pickCheckpointImage(services, direct?.image ?? arg, 'Remove Checkpoint Image');
  if (direct?.confirm !== false) await confirm(ref);
  const parsed = parseReference(ref);
  if (parsed.kind === 'store') await services.store().remove(parsed.tag);
  else await services.podman().removeCheckpointImage(ref);
  void vscode.window.showInformationMessage(`Removed ${ref}.`);
}

async function confirm(ref: string): Promise<void> {
  const ok = await vscode.window.showWarningMessage(
    `Remove the checkpoint image ${ref}?`,
    { modal: true, detail: 'The saved process state is lost unless the image exists elsewhere.' },
    'Remove',
  );
  if (ok !== 'Remove') throw new UserCancelled();
}
