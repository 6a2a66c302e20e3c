import { setTimeout as sleep } from 'node:timers/promises';
import * as vscode from 'vscode';
import { formatRegistryReference, parseRegistryReference, podmanNameFor, type ImageReference } from '../../engine/index.js';
import { readSettings } from '../config.js';
import type { Services } from '../services.js';
import { RegistryTagNode } from '../tree/RegistryNodes.js';
import { copyReporting } from './copy.js';
import { askRestore } from './restoreFromCheckpointImage.js';
import { restoreWithPreflight, type RestoreOutcome } from './restoreWithPreflight.js';
import { required, withProgress } from './runCommand.js';

/** Arguments for running without prompts: `{ reference: 'registry.example/team/web:bug', destination: 'store' }`. */
export interface PullRequest {
  /** `HOST[:PORT]/REPO:TAG` or `…@sha256:…`. */
  reference: string;
  /** Default: the checkpointStudio.pull.destination setting. */
  destination?: 'podman' | 'store';
  /** The name in podman or the store's tag; default: the reference itself. */
  tag?: string;
}

function isRequest(arg: unknown): arg is PullRequest {
  return typeof arg === 'object' && arg !== null && typeof (arg as PullRequest).reference === 'string';
}

/** Pulls a checkpoint image into podman or the embedded store; returns its local name (`store:TAG` for the store). */
export async function pullCheckpointImage(services: Services, arg?: unknown): Promise<string> {
  const request = isRequest(arg) ? arg : { reference: await askReference(arg, 'Pull Checkpoint Image') };
  const src = { kind: 'registry' as const, ...parseRegistryReference(request.reference) };
  const reference = formatRegistryReference(src);
  const destination = request.destination ?? readSettings().pullDestination;
  const name = request.tag ?? (destination === 'store' ? reference : podmanNameFor(src));
  const dst: ImageReference = destination === 'store' ? { kind: 'store', tag: name } : { kind: 'podman', name };
  const local = destination === 'store' ? `store:${name}` : name;
  await withProgress(`Pulling ${reference}`, (report, signal) => copyReporting(services, src, dst, report, signal));
  void vscode.window
    .showInformationMessage(`Pulled ${reference} into ${destination === 'store' ? 'the embedded store' : 'podman'} as ${local}.`, 'Inspect', 'Restore')
    .then((choice) => {
      if (choice === 'Inspect') void vscode.commands.executeCommand('checkpointStudio.inspectCheckpointImage', local);
      if (choice === 'Restore') void vscode.commands.executeCommand('checkpointStudio.restoreFromCheckpointImage', local);
    });
  return local;
}

/** Arguments of Pull and Restore without prompts: `{ reference, name }`. */
export interface PullAndRestoreRequest {
  /** `HOST[:PORT]/REPO:TAG` or `…@sha256:…`. */
  reference: string;
  name?: string;
  /** true: restore a dev container's checkpoint as this window's workspace's dev container. Default: plainly. */
  asDevContainer?: boolean;
  /** false: restore despite the preflight's warnings without asking. */
  confirm?: boolean;
}

/**
 * Pull and Restore in one step and one notification: the image is read from the registry, checked and restored
 * as the Restore command does; a dev container's checkpoint, with a folder open, as the user chooses: as this
 * workspace's dev container or plainly.
 */
export async function pullAndRestore(services: Services, arg?: unknown): Promise<RestoreOutcome> {
  // A tag node is the image itself; a pasted reference is looked up in the registry for the name to suggest.
  if (arg instanceof RegistryTagNode) return restoreWithPreflight(services, await askRestore(services, arg), { devContainer: 'ask' });
  const request = arg as Partial<PullAndRestoreRequest> | undefined;
  if (typeof request?.reference !== 'string') {
    const image = registryImage(await askReference(arg, 'Pull and Restore'));
    return restoreWithPreflight(services, await askRestore(services, image), { devContainer: 'ask' });
  }
  const image = registryImage(request.reference);
  return restoreWithPreflight(services, { image, name: request.name, confirm: request.confirm }, { devContainer: request.asDevContainer === true });
}

/** The engine's reference to an image in a registry. */
function registryImage(reference: string): string {
  return `docker://${formatRegistryReference(parseRegistryReference(reference))}`;
}

/** The tag node's reference, or one the user pastes (the clipboard's, when it holds one). */
async function askReference(arg: unknown, title: string): Promise<string> {
  if (arg instanceof RegistryTagNode) return arg.reference;
  const problem = (v: string) => {
    try {
      parseRegistryReference(v.trim());
      return undefined;
    } catch {
      return 'Paste a reference such as registry.example.com/team/web:bug';
    }
  };
  const clipboard = (await clipboardText()).trim();
  return required(
    await vscode.window.showInputBox({
      title,
      prompt: 'Reference of the checkpoint image: HOST[:PORT]/REPOSITORY:TAG',
      placeHolder: 'registry.example.com/team/web:bug',
      value: clipboard.includes('/') && !clipboard.includes('\n') && !problem(clipboard) ? clipboard : undefined,
      validateInput: problem,
    }),
  ).trim();
}

/**
 * The clipboard's text, or '' when it cannot be had at once: in a browser VS Code waits on the page's clipboard
 * permission (with a Retry notification) and the prompt would never open.
 */
async function clipboardText(): Promise<string> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      Promise.resolve(vscode.env.clipboard.readText()).catch(() => ''),
      sleep(1000, '', { signal: timer.signal }),
    ]);
  } finally {
    timer.abort();
  }
}
