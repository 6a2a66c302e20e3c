import { readCheckpointArchive, type CheckpointArchiveSummary } from '../archive/reader.js';
import { folderTar } from '../image/folderTar.js';
import type { PodmanExec, RunOptions } from './exec.js';

/**
 * What a checkpoint image in podman's storage holds (config.dump, spec.dump, sizes), read through
 * `podman image mount`: its one layer is the checkpoint folder, so nothing is copied or saved.
 */
export async function readCheckpointContents(exec: PodmanExec, image: string, options: RunOptions = {}): Promise<CheckpointArchiveSummary> {
  const dir = (await exec.podman(['image', 'mount', '--', image], `mounting ${image} to read its checkpoint`, options)).trim();
  try {
    return await readCheckpointArchive(folderTar(dir), { signal: options.signal });
  } finally {
    await exec.podman(['image', 'unmount', '--', image], `unmounting ${image}`).catch(() => undefined);
  }
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
