import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { EngineError } from '../errors.js';
import { findContainer, type ContainerSummary } from './containers.js';
import type { PodmanExec, ProgressOptions } from './exec.js';
import { findCheckpointImage, type CheckpointImage } from './checkpointImages.js';
import { parseStatsOutput, type CheckpointRestoreStats } from './stats.js';
import { withCriuLog } from './criuLog.js';
import { runUnderCriuWatchdog } from './criuWatchdog.js';
import { thawProcessCgroup } from './thaw.js';

export type ArchiveCompression = 'zstd' | 'gzip' | 'none';

/** Where a checkpoint goes: a checkpoint image in podman's storage, or an archive file. Never both. */
export type CheckpointTarget =
  | { kind: 'image'; name: string }
  | { kind: 'archive'; path: string; compression?: ArchiveCompression };

export interface CheckpointOptions extends ProgressOptions {
  /** Keep the container running after the checkpoint (`--leave-running`). */
  leaveRunning?: boolean;
  /** Keep CRIU's files and logs in the container's folder (`--keep`). */
  keep?: boolean;
  /** Checkpoint established TCP connections; the restore must use it too. */
  tcpEstablished?: boolean;
  /** Checkpoint file locks. */
  fileLocks?: boolean;
}

export interface CheckpointResult {
  containerId: string;
  containerName: string;
  /** Set for an image target: the image as podman now lists it. */
  image?: CheckpointImage;
  /** Set for an archive target. */
  archive?: { path: string; size: number };
  stats?: CheckpointRestoreStats;
}

/** The podman arguments for a checkpoint. Pure, so the option mapping is unit-tested. */
export function checkpointArgs(container: string, target: CheckpointTarget, options: CheckpointOptions = {}): string[] {
  const args = ['container', 'checkpoint', '--print-stats'];
  if (options.leaveRunning) args.push('--leave-running');
  if (options.keep) args.push('--keep');
  if (options.tcpEstablished) args.push('--tcp-established');
  if (options.fileLocks) args.push('--file-locks');
  if (target.kind === 'image') {
    if (!target.name.trim()) throw new EngineError('INVALID_ARGUMENT', 'checkpoint image name is empty');
    args.push('--create-image', target.name);
  } else {
    if (!isAbsolute(target.path)) {
      throw new EngineError('INVALID_ARGUMENT', `archive path must be absolute: ${target.path}`);
    }
    args.push('--export', target.path, '--compress', target.compression ?? 'zstd');
  }
  args.push('--', container);
  return args;
}

/** Checkpoints `container`: a name or ID, or the container as the caller just looked it up (spares a podman call). */
export async function checkpointContainer(
  exec: PodmanExec,
  container: string | ContainerSummary,
  target: CheckpointTarget,
  options: CheckpointOptions = {},
): Promise<CheckpointResult> {
  const args = checkpointArgs(typeof container === 'string' ? container : container.id, target, options);
  options.onStage?.('checking the container');
  const found = typeof container === 'string' ? await findContainer(exec, container, options) : container;
  if (!found) {
    throw new EngineError('CONTAINER_NOT_FOUND', `checkpointing ${container}: no such container`, {
      hint: 'list containers with `ckpt ps` and use an existing name or ID',
    });
  }
  if (found.state !== 'running') {
    throw new EngineError('CONTAINER_NOT_RUNNING', `checkpointing ${found.name}: the container is ${found.state}, not running`, {
      hint: found.state === 'checkpointed'
        ? 'it is already checkpointed: restore it (`ckpt restore`) and checkpoint again'
        : 'start the container first; only running containers can be checkpointed',
    });
  }
  const what = `checkpointing ${found.name}`;
  options.signal?.throwIfAborted();
  options.onStage?.('checkpointing with CRIU');
  const stdout = await withCriuLog(what, found.staticDir, 'dump.log', async () => exec.podmanOutput(
    await runUnderCriuWatchdog(exec, {
      what,
      args,
      logName: 'dump.log',
      staticDir: found.staticDir,
      recover: async () => void (await thawProcessCgroup(found.pid)),
      signal: options.signal,
    }),
    what,
  ));
  const stats = parseStatsOutput(stdout);
  options.onStage?.('checking the result');
  const base = { containerId: found.id, containerName: found.name, stats };
  // Podman can exit 0 having done nothing (e.g. --export with --create-image): check the result exists.
  if (target.kind === 'image') {
    const image = await findCheckpointImage(exec, target.name, options);
    if (!image) throw nothingDone(what, `no checkpoint image ${target.name} was created`);
    return { ...base, image };
  }
  const size = await stat(target.path).then((s) => s.size, () => 0);
  if (size === 0) throw nothingDone(what, `no archive was written to ${target.path}`);
  return { ...base, archive: { path: target.path, size } };
}

function nothingDone(what: string, detail: string): EngineError {
  return new EngineError('NOTHING_DONE', `${what}: podman reported success but ${detail}`, {
    hint: 'run the same podman command by hand to see what it did; this podman version may not support the option',
  });
}

