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

/**
 * What `podman load` said it loaded, and whether that is a name to drop afterwards: podman 4 names a loaded folder
 * after its path; podman 5 names nothing and prints the image ID (`sha256:HEX`), which is no tag and cannot be
 * untagged ("untag by digest not supported"). Undefined when the output names no image.
 */
export function parseLoadOutput(out: string): { loaded: string; temporaryName: boolean } | undefined {
  const loaded = /Loaded image[^:]*:\s*(\S+)/.exec(out)?.[1];
  if (!loaded) return undefined;
  return { loaded, temporaryName: !/^sha256:[0-9a-f]{64}$/.test(loaded) };
}

/** Loads the one image of a layout folder and names it `name`; returns the image ID. */
export async function loadFromLayout(exec: PodmanExec, dir: string, name: string, options: RunOptions = {}): Promise<string> {
  const out = await exec.podman(['load', '-i', dir], `loading ${name} into podman`, options);
  const result = parseLoadOutput(out);
  if (!result) throw new EngineError('NOTHING_DONE', `loading ${name} into podman: podman did not say what it loaded`, { log: out });
  const { loaded, temporaryName } = result;
  await exec.podman(['tag', loaded, name], `naming ${name}`, options);
  if (temporaryName && loaded !== name) await exec.podman(['untag', loaded, loaded], `dropping the temporary name ${loaded}`, options);
  return (await exec.podman(['image', 'inspect', '--format', '{{.Id}}', '--', name], `inspecting ${name}`, options)).trim();
}
