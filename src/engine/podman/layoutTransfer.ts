import { EngineError } from '../errors.js';
import type { PodmanExec, RunOptions } from './exec.js';

/**
 * Podman's storage to an OCI layout folder and back, through podman itself (`save --format oci-dir`, `load`):
 * the OCI form keeps the manifest annotations that docker-archive would drop. Podman stores layers
 * uncompressed, so a saved image has new layer and manifest digests; the image ID (the config) stays.
 */
export async function saveToLayout(exec: PodmanExec, name: string, dir: string, options: RunOptions = {}): Promise<void> {
  await exec.podman(['save', '--format', 'oci-dir', '-o', dir, '--', name], `saving ${name} from podman`, options);
}

/** Loads the one image of a layout folder and names it `name`; returns the image ID. */
export async function loadFromLayout(exec: PodmanExec, dir: string, name: string, options: RunOptions = {}): Promise<string> {
  const out = await exec.podman(['load', '-i', dir], `loading ${name} into podman`, options);
  // Podman names a loaded folder after its path; the image is then tagged as asked and that name dropped.
  const loaded = /Loaded image[^:]*:\s*(\S+)/.exec(out)?.[1];
  if (!loaded) throw new EngineError('NOTHING_DONE', `loading ${name} into podman: podman did not say what it loaded`, { log: out });
  await exec.podman(['tag', loaded, name], `naming ${name}`, options);
  if (loaded !== name) await exec.podman(['untag', loaded, loaded], `dropping the temporary name ${loaded}`, options);
  return (await exec.podman(['image', 'inspect', '--format', '{{.Id}}', '--', name], `inspecting ${name}`, options)).trim();
}
