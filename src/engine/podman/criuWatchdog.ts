import { readdir, stat } from 'node:fs/promises';
import { release } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError } from '../errors.js';
import type { PodmanExec, ProcessResult } from './exec.js';
import { readTail } from './failures.js';
import { readCriu } from './hostFacts.js';
import { ioBytes, isCriu, killQuietly, listProcesses, openFiles, processTree, type ProcessInfo } from './procfs.js';

/** A podman command that runs CRIU: a checkpoint (dump) or a restore. */
export interface CriuCommand {
  /** In words for messages: "checkpointing web". */
  what: string;
  args: readonly string[];
  logName: 'dump.log' | 'restore.log';
  /** The container's folder, when known before the command (a checkpoint): its CRIU logs there. */
  staticDir?: string;
  /**
   * Puts things back as they were once CRIU was stopped half-way and podman has ended: thaws a checkpointed
   * container, removes the container a restore was making. `logPath` is the stopped CRIU's log.
   */
  recover?: (stopped: { logPath?: string }) => Promise<void>;
  signal?: AbortSignal;
}

const TICK_MS = 1000;
/** How long podman gets to notice CRIU is gone and clean up before it is ended too. */
const PODMAN_GRACE_MS = 20_000;

interface Progress {
  criuPids: number[];
  logPath?: string;
  /** Bytes CRIU read and wrote, its log's size and its images' total size: any change is progress. */
  criuSignals: number[];
  /** Bytes podman and runc read and wrote: progress only in larger steps, as Go's runtime ticks over a few bytes. */
  podmanIo: number;
}

/** Podman's own work (committing an image, writing an archive) moves at least this much between ticks. */
const PODMAN_IO_STEP = 64 * 1024;

function moved(before: Progress | undefined, now: Progress): boolean {
  return !before
    || before.criuPids.join() !== now.criuPids.join()
    || before.criuSignals.join() !== now.criuSignals.join()
    || now.podmanIo - before.podmanIo >= PODMAN_IO_STEP;
}

/**
 * Runs a podman command that runs CRIU under a stall watchdog. Progress is CRIU's log and image files growing and
 * bytes read or written by CRIU, runc and podman; when none of it moves for the stall timeout, or the signal
 * aborts, CRIU is stopped, the container recovered, podman given time to clean up, and the run fails with
 * CRIU_STALLED (or CANCELLED). Returns podman's result otherwise, whatever its exit code.
 */
export async function runUnderCriuWatchdog(exec: PodmanExec, command: CriuCommand): Promise<ProcessResult> {
  command.signal?.throwIfAborted();
  const earlier = new Set((await listProcesses()).filter(isCriu).map((p) => p.pid));
  const child = exec.startPodman(command.args);
  const done = child.result.then((result) => ({ result }), (error: unknown) => ({ error }));
  let last: Progress | undefined;
  let lastChange = Date.now();
  for (;;) {
    // The tick's timer is cleared as soon as podman ends, so it never holds a CLI process open.
    const tick = new AbortController();
    const signal = command.signal ? AbortSignal.any([command.signal, tick.signal]) : tick.signal;
    const outcome = await Promise.race([done, sleep(TICK_MS, undefined, { signal }).catch(() => undefined)]);
    tick.abort();
    if (outcome && 'result' in outcome) return outcome.result;
    if (outcome) throw outcome.error;
    const now = await progress(command, child.pid, earlier);
    const aborted = command.signal?.aborted === true;
    if (!aborted && moved(last, now)) {
      last = now;
      lastChange = Date.now();
      continue;
    }
    const stalledFor = Date.now() - lastChange;
    if (!aborted && stalledFor < exec.criuStallTimeoutMs) continue;
    exec.logger.warn(aborted
      ? `  cancelled: stopping ${now.criuPids.length ? `CRIU (PID ${now.criuPids.join(', ')})` : 'podman'}`
      : `  no progress for ${Math.round(stalledFor / 1000)} s: stopping ${now.criuPids.length ? `CRIU (PID ${now.criuPids.join(', ')})` : 'podman'}`);
    // Read before recovery: a restore's log goes with the half-made container's folder.
    const log = now.logPath ? await readTail(now.logPath) : undefined;
    await stop(exec, command, child, now, done);
    if (aborted) throw new EngineError('CANCELLED', `cancelled: ${command.what}`, { cause: command.signal?.reason });
    throw await stallError(exec, command, now, stalledFor, log);
  }
}

async function progress(command: CriuCommand, podmanPid: number | undefined, earlier: Set<number>): Promise<Progress> {
  const all = await listProcesses();
  const files = new Map(await Promise.all(all.filter((p) => isCriu(p) && !earlier.has(p.pid))
    .map(async (p) => [p.pid, await openFiles(p.pid)] as const)));
  const ours = [...files].filter(([, open]) => !command.staticDir || open.some((f) => f.startsWith(`${command.staticDir}/`)));
  const criuPids = ours.map(([pid]) => pid);
  const logPath = ours.flatMap(([, open]) => open).find((f) => basename(f) === command.logName)
    ?? (command.staticDir ? join(command.staticDir, command.logName) : undefined);
  // Below CRIU are the container's processes during a restore: their I/O is not CRIU's progress.
  const podmanTree = [...processTree(all, podmanPid ? [podmanPid] : [], (p: ProcessInfo) => isCriu(p))].filter((pid) => !files.has(pid));
  const [criuIo, podmanIo, sizes] = await Promise.all([
    Promise.all(criuPids.map(ioBytes)),
    Promise.all(podmanTree.map(ioBytes)),
    logPath ? folderSizes(logPath) : [],
  ]);
  return { criuPids, logPath, criuSignals: [...criuIo, ...sizes], podmanIo: podmanIo.reduce((a, b) => a + b, 0) };
}

/** The log's size and the total size of the CRIU images beside it (`checkpoint/`). */
async function folderSizes(logPath: string): Promise<number[]> {
  const log = await stat(logPath).then((s) => s.size, () => 0);
  const images = join(dirname(logPath), 'checkpoint');
  const names = await readdir(images).catch(() => [] as string[]);
  const sizes = await Promise.all(names.map((n) => stat(join(images, n)).then((s) => s.size, () => 0)));
  return [log, sizes.reduce((a, b) => a + b, 0)];
}

async function stop(
  exec: PodmanExec,
  command: CriuCommand,
  child: ReturnType<PodmanExec['startPodman']>,
  now: Progress,
  done: Promise<unknown>,
): Promise<void> {
  // Ending CRIU makes runc and podman fail and clean up; ending podman first could leave CRIU holding the container.
  // CRIU's children are the processes a restore was rebuilding: half-made, they go with it.
  if (now.criuPids.length) for (const pid of processTree(await listProcesses(), now.criuPids)) killQuietly(pid);
  else child.kill('SIGTERM');
  if (!(await within(done, PODMAN_GRACE_MS))) {
    exec.logger.warn(`  podman did not end ${PODMAN_GRACE_MS / 1000} s after CRIU: ending it`);
    child.kill('SIGKILL');
    await within(done, 5000);
  }
  await command.recover?.({ logPath: now.logPath }).catch((err: unknown) => exec.logger.warn(`  could not put things back: ${(err as Error).message}`));
}

/** Whether `promise` settles within `ms`; the timer is cleared either way, so it never holds the process open. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([promise.then(() => true), sleep(ms, false, { signal: timer.signal })]);
  } finally {
    timer.abort();
  }
}

async function stallError(exec: PodmanExec, command: CriuCommand, now: Progress, stalledFor: number, log: string | undefined): Promise<EngineError> {
  // CRIU as podman finds it, read the way host facts read it; a version that cannot be read still leaves a message.
  const found = await readCriu(exec, release(), {}).catch(() => undefined);
  const criu = found?.criu ? `CRIU ${found.criu.text}` : 'CRIU';
  const seconds = Math.round(stalledFor / 1000);
  const who = now.criuPids.length ? `${criu} made no progress` : `podman made no progress (${criu} never started)`;
  const logKept = now.logPath !== undefined && (await stat(now.logPath).then(() => true, () => false));
  return new EngineError('CRIU_STALLED', `${command.what}: ${who} for ${seconds} s on kernel ${release()} and was stopped`, {
    hint: `${command.logName === 'dump.log' ? 'the container was left running as it was' : 'nothing was restored'}. Run \`ckpt host --check\` (VS Code: "Checkpoint: Check This Host") to test this CRIU on this kernel; `
      + 'a CRIU release newer than this one may support it. A larger stall timeout (--stall-timeout, checkpointStudio.criu.stallTimeoutSeconds) only helps a host that is very slow',
    log,
    logPath: logKept ? now.logPath : undefined,
  });
}
