import { readdir, stat } from 'node:fs/promises';
import { release } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCriuVersionOutput } from '../criuVersion.js';
import { EngineError } from '../errors.js';
import type { PodmanExec, ProcessResult } from './exec.js';
import { readTail } from './failures.js';
import { ioBytes, isCriu, listProcesses, openFiles, processTree, type ProcessInfo } from './procfs.js';

/** A podman command that runs CRIU: a checkpoint (dump) or a restore. */
export interface CriuCommand {
  /** In words for messages: "checkpointing web". */
  what: string;
  args: readonly string[];
  logName: 'dump.log' | 'restore.log';
  /** The container's folder, when known before the command (a checkpoint): its CRIU logs there. */
  staticDir?: string;
  /** Puts the container back as it was once CRIU is stopped half-way (thaws a checkpointed container). */
  recover?: () => Promise<void>;
  signal?: AbortSignal;
}

const TICK_MS = 1000;
/** How long podman gets to notice CRIU is gone and clean up before it is ended too. */
const PODMAN_GRACE_MS = 20_000;

interface Progress {
  /** Changes whenever anything moved. */
  fingerprint: string;
  criuPids: number[];
  logPath?: string;
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
    const outcome = await Promise.race([done, sleep(TICK_MS, undefined, { signal: command.signal }).catch(() => undefined)]);
    if (outcome && 'result' in outcome) return outcome.result;
    if (outcome) throw outcome.error;
    const now = await progress(command, child.pid, earlier);
    const aborted = command.signal?.aborted === true;
    if (!aborted && now.fingerprint !== last?.fingerprint) {
      last = now;
      lastChange = Date.now();
      continue;
    }
    const stalledFor = Date.now() - lastChange;
    if (!aborted && stalledFor < exec.criuStallTimeoutMs) continue;
    exec.logger.warn(aborted
      ? `  cancelled: stopping ${now.criuPids.length ? `CRIU (PID ${now.criuPids.join(', ')})` : 'podman'}`
      : `  no progress for ${Math.round(stalledFor / 1000)} s: stopping ${now.criuPids.length ? `CRIU (PID ${now.criuPids.join(', ')})` : 'podman'}`);
    await stop(exec, command, child, now, done);
    if (aborted) throw new EngineError('CANCELLED', `cancelled: ${command.what}`, { cause: command.signal?.reason });
    throw await stallError(exec, command, now, stalledFor);
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
  // CRIU's own children are the container's processes during a restore: their I/O is not CRIU's progress.
  const tree = processTree(all, [...(podmanPid ? [podmanPid] : []), ...criuPids], (p: ProcessInfo) => criuPids.includes(p.pid));
  const io = await Promise.all([...tree].map(ioBytes));
  const sizes = logPath ? await folderSizes(logPath) : [];
  return { fingerprint: [criuPids.join(','), io.reduce((a, b) => a + b, 0), ...sizes].join(' '), criuPids, logPath };
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
  if (now.criuPids.length) for (const pid of now.criuPids) killQuietly(pid);
  else child.kill('SIGTERM');
  await command.recover?.().catch(() => undefined);
  const finished = await Promise.race([done.then(() => true), sleep(PODMAN_GRACE_MS).then(() => false)]);
  if (!finished) {
    exec.logger.warn(`  podman did not end ${PODMAN_GRACE_MS / 1000} s after CRIU: ending it`);
    child.kill('SIGKILL');
    await Promise.race([done, sleep(5000)]);
  }
  await command.recover?.().catch(() => undefined);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone: nothing to stop.
  }
}

async function stallError(exec: PodmanExec, command: CriuCommand, now: Progress, stalledFor: number): Promise<EngineError> {
  const versionOutput = await exec.runProgram('criu', ['--version']).then((r) => r.stdout + r.stderr, () => '');
  let criu = 'CRIU';
  try {
    criu = `CRIU ${parseCriuVersionOutput(versionOutput).text}`;
  } catch {
    // An unreadable version still leaves a useful message.
  }
  const seconds = Math.round(stalledFor / 1000);
  const who = now.criuPids.length ? `${criu} made no progress` : `podman made no progress (${criu} never started)`;
  const log = now.logPath ? await readTail(now.logPath) : undefined;
  return new EngineError('CRIU_STALLED', `${command.what}: ${who} for ${seconds} s on kernel ${release()} and was stopped`, {
    hint: `the container was left as it was. Run \`ckpt host --check\` (VS Code: "Checkpoint: Check This Host") to test this CRIU on this kernel; `
      + 'a CRIU release newer than this one may support it. A larger stall timeout (--stall-timeout, checkpointStudio.criu.stallTimeoutSeconds) only helps a host that is very slow',
    log,
    logPath: now.logPath,
  });
}
