import * as vscode from 'vscode';
import { checkpointContainerName } from '../../engine/index.js';
import type { Services } from '../services.js';
import { pickCheckpointImage, pickOptions } from './pick.js';
import { restoreWithPreflight, type RestoreOutcome, type RestoreRequest } from './restoreWithPreflight.js';
import { required } from './runCommand.js';

/** A free name: the original's when it is gone, else `<original>-restored`, `-restored-2`, ... */
export function defaultRestoreName(original: string, taken: Set<string>): string {
  if (!taken.has(original)) return original;
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? `${original}-restored` : `${original}-restored-${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}

function isRequest(arg: unknown): arg is RestoreRequest {
  return typeof arg === 'object' && arg !== null && typeof (arg as RestoreRequest).image === 'string';
}

/** Takes a checkpoint image node, an image reference, a RestoreRequest, or nothing (asks which image). */
export async function restoreFromCheckpointImage(services: Services, arg?: unknown): Promise<RestoreOutcome> {
  return restoreWithPreflight(services, isRequest(arg) ? arg : await askRestore(services, arg));
}

/** The image (the node's, the reference's, or one the user picks), the new container's name and the restore options. */
export async function askRestore(services: Services, node: unknown): Promise<RestoreRequest> {
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
    { id: 'tcpEstablished', label: 'TCP established', detail: 'Bring back the established TCP connections the checkpoint holds', picked: false },
  ]);
  const publish = options.has('publish') ? await askPorts(title) : [];
  return {
    image: ref,
    // The original's own name is no new name: podman then reuses its ID as well.
    name: name === original ? undefined : name,
    publish,
    ignoreStaticIp: options.has('ignoreStaticIp'),
    ignoreStaticMac: options.has('ignoreStaticMac'),
    tcpEstablished: options.has('tcpEstablished'),
  };
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
