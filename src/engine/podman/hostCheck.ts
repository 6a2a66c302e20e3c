import { createWriteStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pack as tarPack } from 'tar-stream';
import { EngineError, isEngineError } from '../errors.js';
import { checkpointContainer } from './checkpoint.js';
import { removeCheckpointImage } from './checkpointImages.js';
import type { PodmanExec, RunOptions } from './exec.js';
import { readHostFacts } from './hostFacts.js';
import { restoreContainer } from './restore.js';
import { withTempFolder } from '../tempFolder.js';

/** One step of the host check, as it ended. */
export interface HostCheckStep {
  title: string;
  ok: boolean;
  ms: number;
  /** What the step found ("counting at 21"), or why it failed. */
  detail?: string;
  error?: unknown;
}

export interface HostCheckReport {
  ok: boolean;
  kernel: string;
  podman?: string;
  criu?: string;
  steps: HostCheckStep[];
}

export interface HostCheckOptions extends RunOptions {
  /** How long a step that runs no CRIU may take; default 60 s (CRIU's are bounded by the stall watchdog). */
  stepTimeoutMs?: number;
  /** Called as each step starts, with its title, for progress. */
  onStart?: (title: string) => void;
  /** Called as each step ends, for live output. */
  onStep?: (step: HostCheckStep) => void;
}

/** Built from this host's static busybox: no registry is needed, and it has the shell and tools the loop uses. */
export const CHECK_IMAGE = 'localhost/checkpoint-studio-check:busybox';
const CHECK_LABEL = 'io.checkpoint-studio.check';
/**
 * A listening web server and a shell loop that forks every round (the subshell and sleep): a process tree that
 * changes all the time and a socket, what CRIU must freeze, save and rebuild in every real service.
 */
const LOOP = 'busybox httpd -p 8080 -h /tmp; i=0; while :; do i=$((i+1)); (echo $i > /tmp/count.new); mv /tmp/count.new /tmp/count; sleep 0.05; done';
const STEP_TIMEOUT_MS = 60_000;
const BUSYBOX_PATHS = ['/bin/busybox', '/usr/bin/busybox'];
const APPLETS = ['sh', 'sleep', 'cat', 'mv', 'echo'];

/**
 * Proves this host can checkpoint and restore, by doing it: a web server and a forking shell loop are checkpointed into an image
 * (left running) and a copy restored from it must go on counting from where it was frozen. Every step is timed
 * and bounded (CRIU by the stall watchdog); what the check made is removed whatever happens.
 */
export async function checkHost(exec: PodmanExec, options: HostCheckOptions = {}): Promise<HostCheckReport> {
  const report: HostCheckReport = { ok: false, kernel: release(), steps: [] };
  const stepTimeout = options.stepTimeoutMs ?? STEP_TIMEOUT_MS;
  const id = `ckpt-check-${process.pid}-${Date.now().toString(36)}`;
  const names = { original: id, copy: `${id}-copy`, image: `localhost/${id}:checkpoint` };
  const bounded = (): RunOptions => ({
    signal: options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(stepTimeout)]) : AbortSignal.timeout(stepTimeout),
  });
  const step = async (title: string, run: () => Promise<string>): Promise<void> => {
    const started = Date.now();
    options.onStart?.(title);
    try {
      const detail = await run();
      const done: HostCheckStep = { title, ok: true, ms: Date.now() - started, detail };
      report.steps.push(done);
      options.onStep?.(done);
    } catch (cause) {
      // Cancelled, but not by the caller: the step's own time ran out, which says something about this host.
      const error = isEngineError(cause, 'CANCELLED') && !options.signal?.aborted
        ? new EngineError('PODMAN_FAILED', `${title}: no answer within ${stepTimeout / 1000} s (${cause.message.replace(/^cancelled: /, '')})`, {
            cause,
            hint: 'podman or a process under it hangs here: see whether `podman info` answers, then check this host again',
          })
        : cause;
      const failed: HostCheckStep = { title, ok: false, ms: Date.now() - started, detail: (error as Error).message, error };
      report.steps.push(failed);
      options.onStep?.(failed);
      throw error;
    }
  };
  let frozenAt = 0;
  try {
    await step('podman and CRIU', async () => {
      const facts = await readHostFacts(exec, bounded());
      report.podman = facts.podmanVersion;
      report.criu = facts.criu?.text;
      if (facts.rootless) throw new EngineError('NEEDS_ROOT', 'podman runs rootless', { hint: 'checkpoint and restore need root: run as root' });
      if (facts.criuProblem || !facts.criu) throw new EngineError('CRIU_FAILED', facts.criuProblem ?? 'CRIU is missing', { hint: 'install CRIU 4.1 or newer' });
      return `podman ${facts.podmanVersion}, CRIU ${facts.criu.text}, ${facts.runtimeName}, kernel ${facts.kernel}`;
    });
    await step('test image', () => ensureCheckImage(exec, bounded()));
    await step('start a container', async () => {
      await exec.podman(['run', '-d', '--name', names.original, '--label', `${CHECK_LABEL}=1`, CHECK_IMAGE, 'sh', '-c', LOOP], 'starting the check container', bounded());
      return `${names.original}: a web server and a shell loop that forks every 50 ms`;
    });
    await step('container counts', async () => `counting at ${await counterReaches(exec, names.original, 10)}`);
    await step('checkpoint into an image (leave running)', async () => {
      frozenAt = await readCounter(exec, names.original);
      const result = await checkpointContainer(exec, names.original, { kind: 'image', name: names.image }, { leaveRunning: true, signal: options.signal });
      const frozen = result.stats?.criu.freezing_time;
      return `${names.image}${frozen === undefined ? '' : `, frozen for ${Math.round(frozen / 1000)} ms`}`;
    });
    await step('original goes on', async () => `counting at ${await counterReaches(exec, names.original, frozenAt + 5)}`);
    await step('restore a copy', async () => {
      await restoreContainer(exec, { kind: 'image', ref: names.image }, { name: names.copy, signal: options.signal });
      return names.copy;
    });
    await step('copy goes on from the checkpoint', async () => {
      const first = await readCounter(exec, names.copy);
      // A copy that started afresh would count from 1; the original was at frozenAt when frozen.
      if (!(first >= frozenAt)) throw new EngineError('CRIU_FAILED', `the restored copy counts from ${first}, below the ${frozenAt} it was checkpointed at`, { hint: 'the restore lost the process state' });
      return `from ${first} (checkpointed at ${frozenAt}) to ${await counterReaches(exec, names.copy, first + 5)}`;
    });
    report.ok = true;
  } catch {
    // The failed step is in the report.
  } finally {
    const cleanup = { signal: AbortSignal.timeout(stepTimeout) };
    await exec.podman(['rm', '-f', '-t', '0', '--ignore', names.original, names.copy], 'removing the check containers', cleanup).catch(() => undefined);
    await removeCheckpointImage(exec, names.image, cleanup).catch(() => undefined);
  }
  return report;
}

async function readCounter(exec: PodmanExec, container: string): Promise<number> {
  const text = (await exec.podman(['exec', container, 'cat', '/tmp/count'], `reading the counter of ${container}`, { signal: AbortSignal.timeout(10_000) })).trim();
  return /^\d+$/.test(text) ? Number(text) : Number.NaN;
}

/** Waits until the counter reaches `min` (10 s at most); returns the value seen. */
async function counterReaches(exec: PodmanExec, container: string, min: number): Promise<number> {
  const until = Date.now() + 10_000;
  let value = Number.NaN;
  while (Date.now() < until) {
    value = await readCounter(exec, container).catch(() => Number.NaN);
    if (value >= min) return value;
    await sleep(100);
  }
  throw new EngineError('CRIU_FAILED', `${container} stopped counting at ${Number.isNaN(value) ? 'nothing' : value} (expected ${min} or more within 10 s)`, {
    hint: 'its processes are stopped or frozen: see `podman logs` and the CRIU log',
  });
}

/** Imports the check image from this host's static busybox unless podman already has it. */
async function ensureCheckImage(exec: PodmanExec, options: RunOptions): Promise<string> {
  if ((await exec.podman(['images', '-q', CHECK_IMAGE], 'looking for the check image', options)).trim()) return `${CHECK_IMAGE} (present)`;
  const busybox = await findStaticBusybox();
  return withTempFolder('check', async (dir) => {
    const tarPath = join(dir, 'rootfs.tar');
    await pipeline(rootfsTar(await readFile(busybox)), createWriteStream(tarPath));
    await exec.podman(['import', '-q', tarPath, CHECK_IMAGE], 'importing the check image', options);
    return `${CHECK_IMAGE} (made from ${busybox})`;
  });
}

function rootfsTar(busybox: Buffer): Readable {
  const tar = tarPack();
  const mtime = new Date(0);
  tar.entry({ name: 'bin', type: 'directory', mode: 0o755, mtime });
  tar.entry({ name: 'bin/busybox', mode: 0o755, mtime }, busybox);
  for (const applet of APPLETS) tar.entry({ name: `bin/${applet}`, type: 'symlink', linkname: 'busybox', mode: 0o777, mtime });
  tar.entry({ name: 'tmp', type: 'directory', mode: 0o1777, mtime });
  tar.finalize();
  // tar-stream's Pack is a streamx Readable; its typings do not say so.
  return tar as unknown as Readable;
}

/** A busybox that runs in an empty image: statically linked (no PT_INTERP program header). */
async function findStaticBusybox(): Promise<string> {
  for (const path of BUSYBOX_PATHS) {
    if (await isStaticElf(path)) return path;
  }
  throw new EngineError('IMAGE_NOT_FOUND', `no statically linked busybox at ${BUSYBOX_PATHS.join(' or ')} to build the check image from`, {
    hint: 'install it (Debian/Ubuntu: apt-get install busybox-static) and run the check again',
  });
}

async function isStaticElf(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return false;
  try {
    const header = Buffer.alloc(64);
    await fh.read(header, 0, 64, 0);
    // 64-bit little-endian ELF only: the hosts CRIU runs on.
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return false;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    await fh.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } finally {
    await fh.close();
  }
}
