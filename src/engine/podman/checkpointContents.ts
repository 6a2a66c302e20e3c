import { readCheckpointFolder, type CheckpointArchiveSummary } from '../archive/reader.js';
import type { PodmanExec, RunOptions } from './exec.js';

/**
 * Runs `fn` on the folder a checkpoint image's one layer unpacks to (`podman image mount`): the checkpoint's
 * files, readable in place, with nothing copied or saved. Unmounted afterwards whatever happens.
 */
export async function withMountedImage<T>(exec: PodmanExec, image: string, fn: (folder: string) => Promise<T>, options: RunOptions = {}): Promise<T> {
  const dir = (await exec.podman(['image', 'mount', '--', image], `mounting ${image} to read its checkpoint`, options)).trim();
  try {
    return await fn(dir);
  } finally {
    await exec.podman(['image', 'unmount', '--', image], `unmounting ${image}`).catch(() => undefined);
  }
}

/** What a checkpoint image in podman's storage holds (config.dump, spec.dump, sizes). */
export function readCheckpointContents(exec: PodmanExec, image: string, options: RunOptions = {}): Promise<CheckpointArchiveSummary> {
  return withMountedImage(exec, image, (dir) => readCheckpointFolder(dir, { signal: options.signal }), options);
}

/** The image ID podman has under `name`, or undefined when it has no such image. */
export async function imageId(exec: PodmanExec, name: string, options: RunOptions = {}): Promise<string | undefined> {
  const r = await exec.runProgram(exec.podmanPath, [...exec.globalArgs, 'image', 'inspect', '--format', '{{.Id}}', '--', name], options);
  return r.exitCode === 0 ? r.stdout.trim() || undefined : undefined;
}

export async function volumeNames(exec: PodmanExec, options: RunOptions = {}): Promise<string[]> {
  const out = await exec.podman(['volume', 'ls', '--format', '{{.Name}}'], 'listing volumes', options);
  return out.split('\n').map((l) => l.trim()).filter(Boolean);
}
