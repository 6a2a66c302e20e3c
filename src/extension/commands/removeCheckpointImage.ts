import * as vscode from 'vscode';
import type { Services } from '../services.js';
import { imageRef, pickCheckpointImage } from './pick.js';
import { UserCancelled } from './runCommand.js';

export async function removeCheckpointImage(services: Services, node?: unknown): Promise<void> {
  const image = await pickCheckpointImage(services, node, 'Remove Checkpoint Image');
  const ref = imageRef(image);
  const ok = await vscode.window.showWarningMessage(
    `Remove the checkpoint image ${ref}?`,
    { modal: true, detail: 'The saved process state is lost unless the image exists elsewhere.' },
    'Remove',
  );
  if (ok !== 'Remove') throw new UserCancelled();
  await services.podman().removeCheckpointImage(ref);
  void vscode.window.showInformationMessage(`Removed ${ref}.`);
}
