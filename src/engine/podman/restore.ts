import { access } from 'node:fs/promises';
import { basename, dirname, isAbsolute } from 'node:path';
import { PodmanAnnotation } from '../annotations.js';
import { EngineError } from '../errors.js';
import { findContainer, type ContainerSummary } from './containers.js';
import { findCheckpointImage } from './checkpointImages.js';
import { withCriuLog } from './criuLog.js';
import { runUnderCriuWatchdog } from './criuWatchdog.js';
import { killQuietly, processesInCgroupsOf } from './procfs.js';
import type { PodmanExec, ProgressOptions } from './exec.js';
import { parseStatsOutput, type CheckpointRestoreStats } from './stats.js';

/** What to restore: a checkpoint image, an archive file, or a checkpointed container in place. */
export type RestoreSource =
  | { kind: 'image'; ref: string }
  | { kind: 'archive'; path: string }
  | { kind: 'container'; nameOrId: string };

export interface RestoreOptions extends ProgressOptions {
  /** Name of the new container (image or archive only). Podman then also gives it a new IP/MAC. */
  name?: string;
  /** Port mappings in podman's `--publish` form, e.g. `8080:80` (image or archive only). */
  publish?: string[];
  ignoreStaticIp?: boolean;
  ignoreStaticMac?: boolean;
  /** Restore established TCP connections; needs a checkpoint made with the same option. */
  tcpEstablished?: boolean;
  /** Keep CRIU's files and logs (`--keep`). */
  keep?: boolean;
}

export interface RestoreResult {
  container: ContainerSummary;
  stats?: CheckpointRestoreStats;
}

/** The podman arguments for a restore. Pure, so option rules are unit-tested without podman. */
export function restoreArgs(source: RestoreSource, options: RestoreOptions = {}): string[] {
  const args = ['container', 'restore', '--print-stats'];
  const fromFileOrImage = source.kind !== 'container';
  if ((options.name || options.publish?.length) && !fromFileOrImage) {
    throw new EngineError('INVALID_ARGUMENT', 'a new name or published ports need an image or archive to restore from', {
      hint: 'restore the checkpointed container in place without --name/--publish, or restore from a checkpoint image',
    });
  }
  if (options.name && options.tcpEstablished) {
    // Podman refuses this pair: a new name means a new IP, and established connections cannot move.
    throw new EngineError('INVALID_ARGUMENT', 'a new name cannot be combined with restoring established TCP connections', {
      hint: 'drop one of the two options',
    });
  }
  if (options.keep) args.push('--keep');
  if (options.tcpEstablished) args.push('--tcp-established');
  if (options.ignoreStaticIp) args.push('--ignore-static-ip');
  if (options.ignoreStaticMac) args.push('--ignore-static-mac');
  if (options.name) args.push('--name', options.name);
  for (const p of options.publish ?? []) args.push('--publish', p);
  if (source.kind === 'archive') {
    if (!isAbsolute(source.path)) throw new EngineError('INVALID_ARGUMENT', `archive path must be absolute: ${source.path}`);
    args.push('--import', source.path);
  } else {
    args.push('--', source.kind === 'image' ? source.ref : source.nameOrId);
  }
  return args;
}

export async function restoreContainer(
  exec: PodmanExec,
  source: RestoreSource,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const args = restoreArgs(source, options);
  const what = `restoring ${describeSource(source)}`;
  options.onStage?.('checking before the restore');
  const inPlace = await preflight(exec, source, options, what);
  options.signal?.throwIfAborted();
  options.onStage?.('restoring with CRIU');
  const stdout = await withCriuLog(what, inPlace?.staticDir, 'restore.log', async () => exec.podmanOutput(
    await runUnderCriuWatchdog(exec, {
      what,
      args,
      logName: 'restore.log',
      staticDir: inPlace?.staticDir,
      // A restore from an image or archive was making a new container: a half-made one must not stay behind.
      recover: inPlace ? undefined : async ({ logPath }) => {
        const id = logPath ? containerIdOfFolder(dirname(logPath)) : undefined;
        if (!id) return;
        // CRIU restores the root task beside itself, not below it: the cgroup is where the half-made tasks are.
        for (const pid of await processesInCgroupsOf(id)) killQuietly(pid);
        await exec.podman(['rm', '-f', '-t', '0', '--ignore', '--', id], `removing the half-restored container ${id.slice(0, 12)}`, { signal: AbortSignal.timeout(30_000) });
      },
      signal: options.signal,
    }),
    what,
  ));
  const stats = parseStatsOutput(stdout);
  options.onStage?.('checking the result');
  const wanted = stats?.containerId ?? options.name ?? (source.kind === 'container' ? source.nameOrId : undefined);
  const container = wanted ? await findContainer(exec, wanted, options) : undefined;
  // Podman can exit 0 with nothing restored: only a running container counts as success.
  if (!container || container.state !== 'running') {
    throw new EngineError('NOTHING_DONE', `${what}: podman reported success but no restored container is running`, {
      hint: 'look at `podman ps -a` and the container logs',
    });
  }
  return { container, stats };
}

/** Checks podman would otherwise report late or confusingly; returns the container a restore in place brings back. */
async function preflight(exec: PodmanExec, source: RestoreSource, options: RestoreOptions, what: string): Promise<ContainerSummary | undefined> {
  if (source.kind === 'archive') {
    await access(source.path).catch((cause) => {
      throw new EngineError('INVALID_ARGUMENT', `${what}: cannot read ${source.path}`, { cause, hint: 'check the path' });
    });
    return;
  }
  if (source.kind === 'container') {
    const c = await findContainer(exec, source.nameOrId, options);
    if (!c) throw new EngineError('CONTAINER_NOT_FOUND', `${what}: no such container`, { hint: 'list containers with `ckpt ps`' });
    if (c.state !== 'checkpointed') {
      throw new EngineError('INVALID_ARGUMENT', `${what}: the container is ${c.state}, not checkpointed`, {
        hint: 'only a checkpointed container can be restored in place; restore a checkpoint image instead',
      });
    }
    return c;
  }
  const image = await findCheckpointImage(exec, source.ref, options);
  if (!image) {
    // `podman container restore` does not pull a checkpoint image by itself.
    throw new EngineError('IMAGE_NOT_FOUND', `${what}: no such image in podman's storage`, {
      hint: `pull it first (podman pull ${source.ref}) or check the name with \`ckpt images\``,
    });
  }
  if (!options.name) {
    // Without a new name podman reuses the original ID and name, and fails while the original exists.
    const original = image.annotations[PodmanAnnotation.Name];
    if (original && (await findContainer(exec, original, options))) {
      throw new EngineError('NAME_IN_USE', `${what}: the original container "${original}" still exists`, {
        hint: `restore under a new name (ckpt restore ${source.ref} --name ${original}-restored) or remove "${original}" first`,
      });
    }
  }
}

function describeSource(source: RestoreSource): string {
  if (source.kind === 'image') return source.ref;
  if (source.kind === 'archive') return source.path;
  return source.nameOrId;
}

/** The container a runtime folder belongs to: podman keeps them as `…/overlay-containers/<64-hex ID>/userdata`. */
export function containerIdOfFolder(folder: string): string | undefined {
  const id = basename(dirname(folder));
  return basename(folder) === 'userdata' && /^[0-9a-f]{64}$/.test(id) ? id : undefined;
}
