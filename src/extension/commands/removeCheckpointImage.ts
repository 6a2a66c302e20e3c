import * as vscode from 'vscode';
import type { Services } from '../services.js';
import { imageRef, pickCheckpointImage } from './pick.js';
import { UserCancelled } from './runCommand.js';

/** Takes a tree node (asks to confirm), `{ image, confirm: false }` (no prompt), or nothing (asks which). */
export async function removeCheckpointImage(services: Services, arg?: unknown): Promise<void> {
  const direct = typeof arg === 'object' && arg !== null && typeof (arg as { image?: unknown }).image === 'string'
    ? (arg as { image: string; confirm?: boolean })
    : undefined;
  const ref = direct?.image ?? imageRef(await pickCheckpointImage(services, arg, 'Remove Checkpoint Image'));
  if (direct?.confirm !== false) await confirm(ref);
  await services.podman().removeCheckpointImage(ref);
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
