import * as vscode from 'vscode';
import { checkpointContainerName, type CheckpointImage } from '../../engine/index.js';
import type { Services } from '../services.js';
import { imageRef, pickCheckpointImage, pickOptions } from './pick.js';
import { required, withProgress } from './runCommand.js';

/** A free name: the original's when it is gone, else `<original>-restored`, `-restored-2`, ... */
export function defaultRestoreName(original: string, taken: Set<string>): string {
  if (!taken.has(original)) return original;
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? `${original}-restored` : `${original}-restored-${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export async function restoreFromCheckpointImage(services: Services, node?: unknown): Promise<void> {
  const title = 'Restore from Checkpoint Image';
  const image = await resolveImage(services, node, title);
  const ref = imageRef(image);
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
  // Podman refuses --name together with --tcp-established, and a name equal to the original is no new name.
  const result = await withProgress(`Restoring ${ref}`, (report, signal) =>
    services.podman().restore({ kind: 'image', ref }, {
      name: name === original ? undefined : name,
      publish,
      ignoreStaticIp: options.has('ignoreStaticIp'),
      ignoreStaticMac: options.has('ignoreStaticMac'),
      onStage: report,
      signal,
    }),
  );
  await services.refresh.now();
  void vscode.window.showInformationMessage(`Restored ${result.container.name} from ${ref}; it is ${result.container.state}.`);
}

async function resolveImage(services: Services, node: unknown, title: string): Promise<CheckpointImage> {
  if (typeof node === 'string') {
    // Invoked with a reference (e.g. from the "Restore" button after a checkpoint).
    const image = await services.podman().checkpointImage(node);
    if (image) return image;
  }
  return pickCheckpointImage(services, node, title);
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
