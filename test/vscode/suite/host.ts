/** What the in-host suites share: the extension's API, podman in the tests' store, and waiting for a condition. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import { parseCriuVersionOutput } from '../../../src/engine/index.js';
import type { CheckpointStudioApi } from '../../../src/extension/extension.js';
import type { ImagesViewNode } from '../../../src/extension/tree/CheckpointImagesProvider.js';

export const EXTENSION_ID = 'checkpoint-studio.checkpoint-studio';

/** The extension's API, activating it if no suite has yet, with the Containers view shown. */
export async function activateExtension(): Promise<CheckpointStudioApi> {
  const ext = vscode.extensions.getExtension<CheckpointStudioApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this window`);
  const api = await ext.activate();
  // As a user opens it: the views read podman and follow its events only once one is shown.
  await vscode.commands.executeCommand('checkpointStudio.containers.focus');
  return api;
}

/**
 * podman as the extension runs it: with the workbench's podmanGlobalArgs (the tests' isolated store) and
 * podmanEnvironment (the PATH to the CRIU the setup proved: the extension host's own PATH may not have it first).
 */
export function podman(...args: string[]): string {
  const settings = vscode.workspace.getConfiguration('checkpointStudio');
  const global = settings.get<string[]>('podmanGlobalArgs') ?? [];
  return execFileSync('podman', [...global, ...args], { encoding: 'utf8', env: podmanEnv() }).trim();
}

function podmanEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ...vscode.workspace.getConfiguration('checkpointStudio').get<Record<string, string>>('podmanEnvironment') };
}

/** The version of the CRIU podman finds ("4.2.1"), read from the binary: suites never pin one. */
export function hostCriuText(): string {
  return parseCriuVersionOutput(execFileSync('criu', ['--version'], { encoding: 'utf8', env: podmanEnv() })).text;
}

export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The image nodes of every container group under a location node of the Checkpoint Images view. */
export async function imageNodes(api: CheckpointStudioApi, location: ImagesViewNode | undefined): Promise<ImagesViewNode[]> {
  const groups = await api.views.images.getChildren(location);
  return (await Promise.all(groups.map((g) => api.views.images.getChildren(g)))).flat();
}
