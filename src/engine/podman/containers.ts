import { isEngineError } from '../errors.js';
import type { PodmanExec, RunOptions } from './exec.js';
import { asArray, asObject, bool, num, str, stringMap, time } from './json.js';

export type ContainerState =
  | 'running'
  | 'paused'
  | 'created'
  | 'exited'
  | 'stopped'
  | 'checkpointed'
  | 'unknown';

/** The labels the devcontainers CLI puts on a dev container (devcontainers/cli singleContainer.ts). */
export const DevContainerLabel = {
  LocalFolder: 'devcontainer.local_folder',
  ConfigFile: 'devcontainer.config_file',
  Metadata: 'devcontainer.metadata',
} as const;

export interface ContainerSummary {
  id: string;
  name: string;
  /** The image name the container was created from. */
  image: string;
  imageId: string;
  /** Podman's state, with `checkpointed` for a stopped container whose checkpoint can be restored in place. */
  state: ContainerState;
  /** Running from a restore (podman shows it as plain `running`). */
  restored: boolean;
  created?: Date;
  startedAt?: Date;
  exitCode: number;
  labels: Record<string, string>;
  /** Present when the devcontainers tooling made this container. */
  devContainer?: { localFolder: string; configFile?: string; workspaceMount?: string };
  /** The folder holding the container's runtime files (CRIU's dump.log ends up here). */
  staticDir: string;
  /** The container's first process on the host, 0 when it is not running. */
  pid: number;
}

const KNOWN_STATES = new Set<ContainerState>(['running', 'paused', 'created', 'exited', 'stopped']);

/**
 * Parses `podman container inspect` output. Inspect (unlike `ps`) says whether a container was checkpointed
 * or restored, so it is the one source for container records.
 */
export function parseContainers(json: unknown): ContainerSummary[] {
  return asArray(json).map((item) => {
    const c = asObject(item);
    const s = asObject(c.State);
    const labels = stringMap(asObject(c.Config).Labels);
    const raw = str(s.Status).toLowerCase() as ContainerState;
    const podmanState: ContainerState = KNOWN_STATES.has(raw) ? raw : 'unknown';
    const checkpointed = bool(s.Checkpointed) && podmanState !== 'running';
    return {
      id: str(c.Id),
      name: str(c.Name),
      image: str(c.ImageName),
      imageId: str(c.Image),
      state: checkpointed ? 'checkpointed' : podmanState,
      restored: podmanState === 'running' && (bool(s.Restored) || time(s.RestoredAt) !== undefined),
      created: time(c.Created),
      startedAt: time(s.StartedAt),
      exitCode: num(s.ExitCode),
      labels,
      devContainer: devContainerOf(labels, asArray(c.Mounts)),
      staticDir: str(c.StaticDir),
      pid: num(s.Pid),
    };
  });
}

/** The dev container a container is, from its labels; `workspaceMount`: where its workspace folder is mounted. */
export function devContainerOf(labels: Record<string, string>, mounts: unknown[] = []): ContainerSummary['devContainer'] {
  const localFolder = labels[DevContainerLabel.LocalFolder];
  if (!localFolder) return undefined;
  const mount = mounts.map((m) => asObject(m)).find((m) => str(m.Source) === localFolder);
  return { localFolder, configFile: labels[DevContainerLabel.ConfigFile], ...(mount ? { workspaceMount: str(mount.Destination) } : {}) };
}

/** Lists containers in two podman calls whatever their number: the IDs, then one inspect of them all. */
export async function listContainers(exec: PodmanExec, options: RunOptions = {}): Promise<ContainerSummary[]> {
  const ids = (await exec.podman(['ps', '-a', '-q', '--no-trunc'], 'listing containers', options)).split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  try {
    return parseContainers(await exec.podmanJson(['container', 'inspect', '--', ...ids], 'inspecting containers', options));
  } catch (err) {
    // A container removed between the two calls fails the whole inspect: list again once.
    if (!isEngineError(err, 'CONTAINER_NOT_FOUND')) throw err;
    const again = (await exec.podman(['ps', '-a', '-q', '--no-trunc'], 'listing containers', options)).split('\n').filter(Boolean);
    if (again.length === 0) return [];
    return parseContainers(await exec.podmanJson(['container', 'inspect', '--', ...again], 'inspecting containers', options));
  }
}

/** One container by name or ID (one podman call), or undefined when there is none. */
export async function findContainer(
  exec: PodmanExec,
  nameOrId: string,
  options: RunOptions = {},
): Promise<ContainerSummary | undefined> {
  try {
    const [found] = parseContainers(
      await exec.podmanJson(['container', 'inspect', '--', nameOrId], `inspecting container ${nameOrId}`, options),
    );
    return found;
  } catch (err) {
    if (isEngineError(err, 'CONTAINER_NOT_FOUND')) return undefined;
    throw err;
  }
}
