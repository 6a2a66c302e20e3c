import type { PodmanExec, RunOptions } from './exec.js';
import { asArray, asObject, bool, str, stringMap, time } from './json.js';

export type ContainerState =
  | 'running'
  | 'paused'
  | 'created'
  | 'exited'
  | 'stopped'
  | 'checkpointed'
  | 'restored'
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
  /** The image name as podman shows it. */
  image: string;
  imageId: string;
  /** Podman's own state, with `checkpointed` for a stopped container whose checkpoint can be restored in place. */
  state: ContainerState;
  /** Running after a restore (podman keeps `running` as the state). */
  restored: boolean;
  status: string;
  created?: Date;
  labels: Record<string, string>;
  /** Present when the devcontainers tooling made this container. */
  devContainer?: { localFolder: string; configFile?: string };
}

const KNOWN_STATES = new Set<ContainerState>(['running', 'paused', 'created', 'exited', 'stopped']);

/** Parses `podman ps -a --format json`. */
export function parseContainerList(json: unknown): ContainerSummary[] {
  return asArray(json).map((item) => {
    const c = asObject(item);
    const labels = stringMap(c.Labels);
    const rawState = str(c.State).toLowerCase() as ContainerState;
    return {
      id: str(c.Id),
      name: str(asArray(c.Names)[0]),
      image: str(c.Image),
      imageId: str(c.ImageID),
      state: KNOWN_STATES.has(rawState) ? rawState : 'unknown',
      restored: false,
      status: str(c.Status),
      created: time(c.Created) ?? time(c.CreatedAt),
      labels,
      devContainer: devContainerOf(labels),
    };
  });
}

/** The fields of `podman container inspect` that `ps` lacks: whether a checkpoint or restore happened. */
export interface ContainerInspectState {
  id: string;
  checkpointed: boolean;
  restored: boolean;
  /** The folder holding the container's runtime files (dump.log ends up here). */
  staticDir: string;
}

export function parseContainerInspect(json: unknown): ContainerInspectState[] {
  return asArray(json).map((item) => {
    const c = asObject(item);
    const state = asObject(c.State);
    return {
      id: str(c.Id),
      checkpointed: bool(state.Checkpointed),
      restored: bool(state.Restored) || time(state.RestoredAt) !== undefined,
      staticDir: str(c.StaticDir),
    };
  });
}

/** Folds inspect's checkpoint/restore flags into the list. */
export function mergeInspect(list: ContainerSummary[], states: ContainerInspectState[]): ContainerSummary[] {
  const byId = new Map(states.map((s) => [s.id, s]));
  return list.map((c) => {
    const s = byId.get(c.id);
    if (!s) return c;
    const state = s.checkpointed && c.state !== 'running' ? 'checkpointed' : c.state;
    return { ...c, state, restored: s.restored && c.state === 'running' };
  });
}

export function devContainerOf(labels: Record<string, string>): ContainerSummary['devContainer'] {
  const localFolder = labels[DevContainerLabel.LocalFolder];
  if (!localFolder) return undefined;
  return { localFolder, configFile: labels[DevContainerLabel.ConfigFile] };
}

/** Lists containers in two podman calls whatever their number: `ps` and one `inspect` of them all. */
export async function listContainers(exec: PodmanExec, options: RunOptions = {}): Promise<ContainerSummary[]> {
  const list = parseContainerList(await exec.podmanJson(['ps', '-a', '--format', 'json'], 'listing containers', options));
  if (list.length === 0) return list;
  try {
    const ids = list.map((c) => c.id);
    const inspected = await exec.podmanJson(['container', 'inspect', '--', ...ids], 'inspecting containers', options);
    return mergeInspect(list, parseContainerInspect(inspected));
  } catch (err) {
    // A container removed between the two calls makes inspect fail; the list itself is still right.
    exec.logger.warn(`could not read checkpoint states: ${(err as Error).message}`);
    return list;
  }
}

/** One container by name or ID, or undefined when there is none. */
export async function findContainer(
  exec: PodmanExec,
  nameOrId: string,
  options: RunOptions = {},
): Promise<ContainerSummary | undefined> {
  const all = await listContainers(exec, options);
  return (
    all.find((c) => c.name === nameOrId || c.id === nameOrId) ??
    (nameOrId.length >= 3 ? all.find((c) => c.id.startsWith(nameOrId)) : undefined)
  );
}
