import * as vscode from 'vscode';
import { readSettings } from '../config.js';
import type { CheckpointImage, ContainerSummary } from '../../engine/index.js';
import { formatAge, formatSize } from '../../shared/format.js';
import { CheckpointImageNode } from '../tree/CheckpointImageNode.js';
import { ContainerNode } from '../tree/ContainerNode.js';
import type { Services } from '../services.js';
import { required } from './runCommand.js';

/** The running container the command was invoked on, or one the user picks. */
export async function pickRunningContainer(services: Services, node: unknown, title: string): Promise<ContainerSummary> {
  if (node instanceof ContainerNode) return node.container;
  await services.refresh.now();
  const running = services.model.containers.filter((c) => c.state === 'running');
  if (running.length === 0) {
    throw new Error('No running container to checkpoint. Start one with podman run, then try again');
  }
  const pick = await vscode.window.showQuickPick(
    running.map((c) => ({ label: c.name, description: c.image, detail: c.devContainer?.localFolder, container: c })),
    { title, placeHolder: 'Pick a running container' },
  );
  return required(pick).container;
}

/** The checkpoint image the command was invoked on, or one the user picks. */
export async function pickCheckpointImage(services: Services, node: unknown, title: string): Promise<CheckpointImage> {
  if (node instanceof CheckpointImageNode) return node.image;
  await services.refresh.now();
  if (services.model.images.length === 0) {
    throw new Error('There are no checkpoint images yet. Create one from a running container first');
  }
  const pick = await vscode.window.showQuickPick(
    services.model.images.map((i) => ({
      label: i.names[0] ?? i.id.slice(0, 12),
      description: `${formatSize(i.size)} · ${formatAge(i.created)}`,
      image: i,
    })),
    { title, placeHolder: 'Pick a checkpoint image' },
  );
  return required(pick).image;
}

/** Checkbox options in one quick pick; returns the ids of the checked ones. */
export async function pickOptions<K extends string>(
  title: string,
  options: { id: K; label: string; detail: string; picked: boolean }[],
): Promise<Set<K>> {
  const picked = await vscode.window.showQuickPick(options, {
    title,
    canPickMany: true,
    placeHolder: 'Options (press Enter to go on)',
  });
  return new Set(required(picked).map((o) => o.id));
}

export function imageRef(image: CheckpointImage): string {
  return image.names[0] ?? image.id;
}

export interface CheckpointChoices {
  leaveRunning: boolean;
  tcpEstablished: boolean;
  fileLocks: boolean;
}

/** The checkpoint options, preselected from the settings. */
export async function pickCheckpointOptions(title: string): Promise<CheckpointChoices> {
  const defaults = readSettings().checkpoint;
  const picked = await pickOptions(title, [
    { id: 'leaveRunning', label: 'Leave running', detail: 'Keep the container running after the checkpoint', picked: defaults.leaveRunning },
    { id: 'tcpEstablished', label: 'TCP established', detail: 'Include open TCP connections (restore must use it too)', picked: defaults.tcpEstablished },
    { id: 'fileLocks', label: 'File locks', detail: 'Include file locks', picked: defaults.fileLocks },
  ]);
  return { leaveRunning: picked.has('leaveRunning'), tcpEstablished: picked.has('tcpEstablished'), fileLocks: picked.has('fileLocks') };
}
