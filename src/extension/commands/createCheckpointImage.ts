import * as vscode from 'vscode';
import { readSettings } from '../config.js';
import type { Services } from '../services.js';
import { pickOptions, pickRunningContainer } from './pick.js';
import { required, withProgress } from './runCommand.js';

/** `localhost/<container>-checkpoint:<yyyymmdd-hhmmss>`: sorts by time and never collides in practice. */
export function defaultImageName(container: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const repo = container.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'container';
  return `localhost/${repo}-checkpoint:${stamp}`;
}

export async function createCheckpointImage(services: Services, node?: unknown): Promise<void> {
  const title = 'Create Checkpoint Image';
  const container = await pickRunningContainer(services, node, title);
  const name = required(
    await vscode.window.showInputBox({
      title,
      prompt: `Image name for the checkpoint of ${container.name}`,
      value: defaultImageName(container.name),
      validateInput: (v) => (v.trim() && !/\s/.test(v.trim()) ? undefined : 'Enter an image name without spaces'),
    }),
  ).trim();
  const defaults = readSettings().checkpoint;
  const options = await pickOptions(title, [
    { id: 'leaveRunning', label: 'Leave running', detail: 'Keep the container running after the checkpoint', picked: defaults.leaveRunning },
    { id: 'tcpEstablished', label: 'TCP established', detail: 'Include open TCP connections (restore must use it too)', picked: defaults.tcpEstablished },
    { id: 'fileLocks', label: 'File locks', detail: 'Include file locks', picked: defaults.fileLocks },
  ]);
  const result = await withProgress(`Checkpointing ${container.name}`, (report, signal) =>
    services.podman().checkpoint(container.id, { kind: 'image', name }, {
      leaveRunning: options.has('leaveRunning'),
      tcpEstablished: options.has('tcpEstablished'),
      fileLocks: options.has('fileLocks'),
      onStage: report,
      signal,
    }),
  );
  await services.refresh.now();
  const choice = await vscode.window.showInformationMessage(
    `Checkpointed ${result.containerName} into ${name}.`,
    'Inspect',
    'Restore',
  );
  if (choice === 'Inspect') await vscode.commands.executeCommand('checkpointStudio.inspectCheckpointImage', name);
  if (choice === 'Restore') await vscode.commands.executeCommand('checkpointStudio.restoreFromCheckpointImage', name);
}
