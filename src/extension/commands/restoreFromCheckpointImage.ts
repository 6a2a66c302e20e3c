import * as vscode from 'vscode';
import { checkpointContainerName, parseReference, podmanNameFor, type RestoreResult } from '../../engine/index.js';
import type { Services } from '../services.js';
import { copyReporting } from './copy.js';
import { pickCheckpointImage, pickOptions } from './pick.js';
import { required, withProgress } from './runCommand.js';

/** A free name: the original's when it is gone, else `<original>-restored`, `-restored-2`, ... */
export function defaultRestoreName(original: string, taken: Set<string>): string {
  if (!taken.has(original)) return original;
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? `${original}-restored` : `${original}-restored-${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Arguments for running the command without prompts (keybindings, other extensions, tests). */
export interface RestoreRequest {
  /** A podman name, store:TAG or docker://HOST/REPO:TAG: the last two are copied into podman first. */
  image: string;
  /** Omit to reuse the original container's name (it must not exist any more). */
  name?: string;
  publish?: string[];
  ignoreStaticIp?: boolean;
  ignoreStaticMac?: boolean;
}

function isRequest(arg: unknown): arg is RestoreRequest {
  return typeof arg === 'object' && arg !== null && typeof (arg as RestoreRequest).image === 'string';
}

export async function restoreFromCheckpointImage(services: Services, arg?: unknown): Promise<RestoreResult> {
  const request = isRequest(arg) ? arg : await ask(services, arg);
  const { image: requested, ...options } = request;
  // One notification for the whole way: the copy into podman (a pull, for a registry), then the restore.
  const result = await withProgress(`Restoring ${requested}`, async (report, signal) => {
    const image = await intoPodman(services, requested, report, signal);
    return services.podman().restore({ kind: 'image', ref: image }, { ...options, onStage: report, signal });
  });
  await services.refresh.now();
  void vscode.window.showInformationMessage(`Restored ${result.container.name} from ${requested}; it is ${result.container.state}.`);
  return result;
}

async function ask(services: Services, node: unknown): Promise<RestoreRequest> {
  const title = 'Restore from Checkpoint Image';
  const { image, ref } = await pickCheckpointImage(services, node, title);
  const original = checkpointContainerName(image.annotations) ?? 'restored';
  const taken = new Set(services.model.containers.map((c) => c.name));
  const name = required(
    await vscode.window.showInputBox({
      title,
      prompt: taken.has(original)
        ? `"${original}" still exists, so the restored container needs a new name`
        : 'Name of the restored container',
      value: defaultRestoreName(original, taken),
      validateInput: (v) => (taken.has(v.trim()) ? `A container named "${v.trim()}" exists already` : v.trim() ? undefined : 'Enter a name'),
    }),
  ).trim();
  const options = await pickOptions(title, [
    { id: 'ignoreStaticIp', label: 'New IP address', detail: 'Do not reuse the checkpointed IP address', picked: false },
    { id: 'ignoreStaticMac', label: 'New MAC address', detail: 'Do not reuse the checkpointed MAC address', picked: false },
    { id: 'publish', label: 'Publish ports…', detail: 'Map host ports to the container, as podman run -p does', picked: false },
  ]);
  const publish = options.has('publish') ? await askPorts(title) : [];
  return {
    image: ref,
    // The original's own name is no new name: podman then reuses its ID as well.
    name: name === original ? undefined : name,
    publish,
    ignoreStaticIp: options.has('ignoreStaticIp'),
    ignoreStaticMac: options.has('ignoreStaticMac'),
  };
}

/**
 * Podman restores only from its own storage: an image of the embedded store or a registry is copied there first
 * (a failed or cancelled copy names nothing in podman).
 */
async function intoPodman(services: Services, ref: string, report: (message: string) => void, signal: AbortSignal): Promise<string> {
  const parsed = parseReference(ref);
  if (parsed.kind !== 'store' && parsed.kind !== 'registry') return ref;
  const name = podmanNameFor(parsed);
  await copyReporting(services, parsed, { kind: 'podman', name }, report, signal);
  return name;
}

async function askPorts(title: string): Promise<string[]> {
  const text = required(
    await vscode.window.showInputBox({
      title,
      prompt: 'Ports to publish, separated by spaces (e.g. 8080:80 127.0.0.1:9229:9229)',
      validateInput: (v) => (v.split(/\s+/).filter(Boolean).every((p) => /^[\d.:\[\]a-f/tcpud-]+$/i.test(p)) ? undefined : 'Use podman -p syntax'),
    }),
  );
  return text.split(/\s+/).filter(Boolean);
}
