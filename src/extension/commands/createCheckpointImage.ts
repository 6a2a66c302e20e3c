import * as vscode from 'vscode';
import type { CheckpointResult } from '../../engine/index.js';
import type { Services } from '../services.js';
import { pickCheckpointOptions, pickRunningContainer } from './pick.js';
import { required, withProgress } from './runCommand.js';

/** `localhost/<container>-checkpoint:<yyyymmdd-hhmmss>`: sorts by time and never collides in practice. */
export function defaultImageName(container: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const repo = container.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'container';
  return `localhost/${repo}-checkpoint:${stamp}`;
}

/** Arguments for running the command without prompts (keybindings, other extensions, tests). */
export interface CreateCheckpointRequest {
  container: string;
  imageName: string;
  leaveRunning?: boolean;
  tcpEstablished?: boolean;
  fileLocks?: boolean;
}

function isRequest(arg: unknown): arg is CreateCheckpointRequest {
  return typeof arg === 'object' && arg !== null && typeof (arg as CreateCheckpointRequest).container === 'string'
    && typeof (arg as CreateCheckpointRequest).imageName === 'string';
}

export async function createCheckpointImage(services: Services, arg?: unknown): Promise<CheckpointResult> {
  const request = isRequest(arg) ? arg : await ask(services, arg);
  const result = await withProgress(`Checkpointing ${request.container}`, (report, signal) =>
    services.podman().checkpoint(request.container, { kind: 'image', name: request.imageName }, {
      leaveRunning: request.leaveRunning,
      tcpEstablished: request.tcpEstablished,
      fileLocks: request.fileLocks,
      onStage: report,
      signal,
    }),
  );
  await services.refresh.now();
  void vscode.window
    .showInformationMessage(`Checkpointed ${result.containerName} into ${request.imageName}.`, 'Inspect', 'Restore')
    .then((choice) => {
      if (choice === 'Inspect') void vscode.commands.executeCommand('checkpointStudio.inspectCheckpointImage', request.imageName);
      if (choice === 'Restore') void vscode.commands.executeCommand('checkpointStudio.restoreFromCheckpointImage', request.imageName);
    });
  return result;
}

async function ask(services: Services, node: unknown): Promise<CreateCheckpointRequest> {
  const title = 'Create Checkpoint Image';
  const container = await pickRunningContainer(services, node, title);
  const imageName = required(
    await vscode.window.showInputBox({
      title,
      prompt: `Image name for the checkpoint of ${container.name}`,
      value: defaultImageName(container.name),
      validateInput: (v) => (v.trim() && !/\s/.test(v.trim()) ? undefined : 'Enter an image name without spaces'),
    }),
  ).trim();
  const options = await pickCheckpointOptions(title);
  return {
    container: container.name,
    imageName,
    ...options,
  };
}
