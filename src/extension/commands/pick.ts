import * as vscode from 'vscode';
import { readSettings } from '../config.js';
import {
  EngineError,
  formatReference,
  isCheckpointAnnotations,
  lookupCheckpointImage,
  parseReference,
  type CheckpointImage,
  type ContainerSummary,
} from '../../engine/index.js';
import { formatAge, formatSize } from '../../shared/format.js';
import { CheckpointImageNode, type ImageLocation } from '../tree/CheckpointImageNode.js';
import { ContainerNode } from '../tree/ContainerNode.js';
import { RegistryTagNode } from '../tree/RegistryNodes.js';
import type { Services } from '../services.js';
import { required } from './runCommand.js';

/** The running container the command was invoked on, or one the user picks. */
export async function pickRunningContainer(services: Services, node: unknown, title: string): Promise<ContainerSummary> {
  if (node instanceof ContainerNode) return node.container;
  await services.refresh.now();
  const running = services.model.containers.filter((c) => c.state === 'running');
  if (running.length === 0) {
    throw new Error('No container is running. Start one with podman run, then try again');
  }
  const pick = await vscode.window.showQuickPick(
    running.map((c) => ({ label: c.name, description: c.image, detail: c.devContainer?.localFolder, container: c })),
    { title, placeHolder: 'Pick a running container' },
  );
  return required(pick).container;
}

/** A checkpoint image with where it is: `ref` is a podman name, store:TAG or docker://HOST/REPO:TAG, as the engine takes it. */
export interface PickedImage {
  image: CheckpointImage;
  location: ImageLocation | 'registry';
  ref: string;
}

/**
 * The checkpoint image the command was invoked on (a tree node, or a reference such as `localhost/web:1`,
 * `store:web-bug` or `docker://registry.example/team/web:bug`), or one the user picks from podman's storage
 * and the embedded store.
 */
export async function pickCheckpointImage(
  services: Services,
  arg: unknown,
  title: string,
  only?: ImageLocation,
): Promise<PickedImage> {
  if (arg instanceof CheckpointImageNode) return { image: arg.image, location: arg.location, ref: arg.ref };
  if (arg instanceof RegistryTagNode) return findImage(services, arg.ref, arg.image);
  if (typeof arg === 'string') return findImage(services, arg);
  await services.refresh.now();
  const all: PickedImage[] = [
    ...services.model.images.map((image) => picked(image, 'podman')),
    ...services.model.storeImages.map((image) => picked(image, 'store')),
  ].filter((p) => !only || p.location === only);
  if (all.length === 0) {
    throw new Error('There are no checkpoint images yet. Create one from a running container first');
  }
  const pick = await vscode.window.showQuickPick(
    all.map((p) => ({
      label: p.ref,
      description: `${formatSize(p.image.size)} · ${formatAge(p.image.created)}`,
      detail: p.location === 'store' ? 'Embedded store' : 'Podman',
      item: p,
    })),
    { title, placeHolder: 'Pick a checkpoint image' },
  );
  return required(pick).item;
}

function picked(image: CheckpointImage, location: ImageLocation): PickedImage {
  const name = image.names[0] ?? image.id;
  return { image, location, ref: location === 'store' ? `store:${name}` : name };
}

/** An image by reference, from podman, the embedded store or a registry (`known`: already read from there). */
export async function findImage(services: Services, text: string, known?: CheckpointImage): Promise<PickedImage> {
  const ref = parseReference(text);
  const image = known ?? (await lookupCheckpointImage(ref, { podman: services.podman(), store: services.store(), registry: services.registries.client }));
  if (!image) {
    throw new EngineError('IMAGE_NOT_FOUND', `${text}: no such checkpoint image`, { hint: 'refresh the Checkpoint Images view' });
  }
  // A registry describes any image it holds; podman and the store list checkpoint images only.
  if (!isCheckpointAnnotations(image.annotations)) {
    throw new EngineError('NOT_A_CHECKPOINT_IMAGE', `${text} is not a checkpoint image`, { hint: 'it has none of the checkpoint annotations' });
  }
  if (ref.kind === 'registry') return { image, location: 'registry', ref: formatReference(ref) };
  return picked(image, ref.kind === 'store' ? 'store' : 'podman');
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
