import { posix } from 'node:path';
import type { MetadataEdit } from '../archive/repack.js';
import type { CheckpointArchiveSummary } from '../archive/reader.js';
import { DevContainerLabel } from '../podman/containers.js';
import { isUnder } from '../preflight/preflightFindings.js';

/** What a checkpoint of a dev container says about its workspace (from its labels and mounts). */
export interface DevContainerWorkspace {
  /** The author's workspace folder on their machine. */
  localFolder: string;
  /** devcontainer.json, as the author's absolute path. */
  configFile?: string;
  /** The workspace's mount inside the container, when it is a bind mount of the folder. */
  mountDestination?: string;
}

export function devContainerWorkspace(contents: CheckpointArchiveSummary): DevContainerWorkspace | undefined {
  const localFolder = contents.labels[DevContainerLabel.LocalFolder];
  if (!localFolder) return undefined;
  return {
    localFolder,
    configFile: contents.labels[DevContainerLabel.ConfigFile],
    mountDestination: contents.mounts.bind.find((m) => m.source === localFolder)?.destination,
  };
}

/**
 * `path` moved from under `from` to under `to`; undefined when it is not under `from`. Judged and moved on
 * normalised paths: `<from>/../../etc` is not under `from`, and stays as recorded for the preflight to refuse.
 */
export function remapPath(path: string, from: string, to: string): string | undefined {
  if (!isUnder(path, from)) return undefined;
  return `${to.replace(/\/+$/, '')}${posix.normalize(path).slice(posix.normalize(from).replace(/\/+$/, '').length)}`;
}

/** Recorded bind-mount source → the one under `to`, for the mounts under the author's workspace only. */
export function workspaceRemapping(contents: CheckpointArchiveSummary, from: string, to: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of contents.mounts.bind) {
    const moved = remapPath(m.source, from, to);
    if (moved) map.set(m.source, moved);
  }
  return map;
}

/**
 * The metadata edit that makes a dev container's checkpoint belong to another clone of the workspace: bind
 * mounts under the author's folder (in both copies of the spec) and the devcontainer labels move to `to`,
 * so the devcontainers tooling finds the restored container as that folder's. Nothing else changes: other
 * host mounts stay as recorded, for the preflight to show.
 */
export function workspaceRemapEdit(from: string, to: string): MetadataEdit {
  const mounts = (list: unknown) =>
    Array.isArray(list)
      ? list.map((m) => {
          if (typeof m !== 'object' || m === null) return m;
          const mount = m as Record<string, unknown>;
          const moved = typeof mount.source === 'string' ? remapPath(mount.source, from, to) : undefined;
          return moved ? { ...mount, source: moved } : mount;
        })
      : list;
  return (name, value) => {
    if (name === 'spec.dump') return { ...value, mounts: mounts(value.mounts) };
    const spec = typeof value.spec === 'object' && value.spec !== null ? (value.spec as Record<string, unknown>) : undefined;
    const labels = { ...(value.labels as Record<string, unknown> | undefined) };
    for (const key of [DevContainerLabel.LocalFolder, DevContainerLabel.ConfigFile]) {
      const moved = typeof labels[key] === 'string' ? remapPath(labels[key] as string, from, to) : undefined;
      if (moved) labels[key] = moved;
    }
    return { ...value, labels, ...(spec ? { spec: { ...spec, mounts: mounts(spec.mounts) } } : {}) };
  };
}
