import * as vscode from 'vscode';
import { checkpointToImage, type CheckpointResult } from '../../engine/index.js';
import { transferReporter } from '../adapters/progress.js';
import { readSettings } from '../config.js';
import type { Services } from '../services.js';
import { copyContext } from './copy.js';
import { lostProcessesNotice } from './notices.js';
import { pickCheckpointOptions, pickRunningContainer } from './pick.js';
import { required, UserCancelled, withProgress } from './runCommand.js';

/**
 * `store:<container>-checkpoint:<yyyymmdd-hhmmss>` in the embedded store, or `localhost/…` in podman's storage:
 * sorts by time and never collides in practice.
 */
export function defaultImageName(container: string, destination: 'store' | 'podman', now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const repo = container.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'container';
  return `${destination === 'store' ? 'store:' : 'localhost/'}${repo}-checkpoint:${stamp}`;
}

/** Arguments for running the command without prompts (keybindings, other extensions, tests). */
export interface CreateCheckpointRequest {
  container: string;
  /** A podman name (`localhost/web:1`), or `store:TAG` for the embedded store. */
  imageName: string;
  leaveRunning?: boolean;
  tcpEstablished?: boolean;
  fileLocks?: boolean;
  /** false: checkpoint without asking when processes started with exec would be left out (they are logged). */
  confirm?: boolean;
}

function isRequest(arg: unknown): arg is CreateCheckpointRequest {
  return typeof arg === 'object' && arg !== null && typeof (arg as CreateCheckpointRequest).container === 'string'
    && typeof (arg as CreateCheckpointRequest).imageName === 'string';
}

export async function createCheckpointImage(services: Services, arg?: unknown): Promise<CheckpointResult> {
  const request = isRequest(arg) ? arg : await ask(services, arg);
  await checkLostProcesses(services, request.container, request.confirm !== false);
  const result = await withProgress(`Checkpointing ${request.container}`, async (report, signal) => {
    const podman = services.podman();
    const building = transferReporter(report);
    const options = {
      leaveRunning: request.leaveRunning,
      tcpEstablished: request.tcpEstablished,
      fileLocks: request.fileLocks,
      onStage: report,
      onBuildProgress: (bytes: number, totalBytes: number) => building({ stage: 'making the checkpoint image', bytes, totalBytes }),
      signal,
    };
    const container = await podman.container(request.container, { signal });
    // Not found: the checkpoint says so, with its hint.
    return container ? checkpointToImage(copyContext(services, signal), container, request.imageName, options) : podman.checkpoint(request.container, { kind: 'image', name: request.imageName }, options);
  });
  await services.refresh.now();
  void vscode.window
    .showInformationMessage(`Checkpointed ${result.containerName} into ${request.imageName}.`, 'Inspect', 'Restore', 'Push…')
    .then((choice) => {
      if (choice === 'Inspect') void vscode.commands.executeCommand('checkpointStudio.inspectCheckpointImage', request.imageName);
      if (choice === 'Restore') void vscode.commands.executeCommand('checkpointStudio.restoreFromCheckpointImage', request.imageName);
      if (choice === 'Push…') void vscode.commands.executeCommand('checkpointStudio.pushCheckpointImage', request.imageName);
    });
  return result;
}

/**
 * Logs the processes the checkpoint would leave out (started with exec: a terminal, a debugger) and, when `ask`,
 * lets the user stop. A container whose processes cannot be listed goes on: the checkpoint then says why.
 */
async function checkLostProcesses(services: Services, container: string, ask: boolean): Promise<void> {
  const lost = await services.podman().processesOutsideCheckpoint(container).catch(() => []);
  const notice = lostProcessesNotice(container, lost);
  if (!notice) return;
  services.log.warn(`${notice.message}: ${lost.map((p) => `${p.pid} ${p.command}`).join('; ')}`);
  if (!ask) return;
  const choice = await vscode.window.showWarningMessage(notice.message, { modal: true, detail: notice.detail }, 'Checkpoint Anyway');
  if (choice !== 'Checkpoint Anyway') throw new UserCancelled();
}

async function ask(services: Services, node: unknown): Promise<CreateCheckpointRequest> {
  const title = 'Create Checkpoint Image';
  const container = await pickRunningContainer(services, node, title);
  const imageName = required(
    await vscode.window.showInputBox({
      title,
      prompt: `Image name for the checkpoint of ${container.name}: store:TAG for the embedded store (quickest to make, push and restore), or a name like localhost/app:1 for podman's storage`,
      value: defaultImageName(container.name, readSettings().checkpointDestination),
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
