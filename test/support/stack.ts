/**
 * The real checkpoint stack for integration tests: podman + runc + the CRIU scripts/criu-setup.sh proved on
 * this kernel (the test script sources the setup's env.sh), with an isolated podman store.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync, existsSync } from 'node:fs';
import { after, before } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isolatedStoreArgs, parseCriuVersionOutput, Podman, type PodmanOptions } from '../../src/engine/index.js';
import { COUNTER_SCRIPT, counterValue } from './counter.js';

const run = promisify(execFile);

export const CKPT_HOME = process.env.CKPT_HOME ?? '/var/cache/checkpoint-studio';
/** The podman under test: CKPT_PODMAN, as for `ckpt` (scripts/test-podman5.sh points it at podman 5), or PATH's. */
export const PODMAN = process.env.CKPT_PODMAN ?? 'podman';
/**
 * The isolated podman store: the tests' own, or another one (the demo's, or podman 5's: its store format differs)
 * named by CKPT_PODMAN_STORE.
 */
export const STORE_DIR = process.env.CKPT_PODMAN_STORE ?? join(CKPT_HOME, 'test-store');
export const BASE_IMAGE = 'localhost/busybox:latest';
/**
 * Every test container carries this label with the PID of the run that made it, so a run can clean up what a
 * dead run left behind without touching a run still going.
 */
export const TEST_LABEL_KEY = 'io.checkpoint-studio.test';
export const TEST_LABEL = `${TEST_LABEL_KEY}=${process.pid}`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const podmanArgs = isolatedStoreArgs(STORE_DIR);

export function testPodman(extra: PodmanOptions = {}): Podman {
  return new Podman({ podmanPath: PODMAN, globalArgs: podmanArgs, ...extra });
}

/** podman in the test store, as a person would type it; throws with stderr on failure. */
export async function podman(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run(PODMAN, [...podmanArgs, ...args], { maxBuffer: 64 << 20 });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`podman ${args.join(' ')}: ${e.stderr || e.message}`);
  }
}

/** What podman and CRIU need from this process's environment (set by scripts/host-setup.sh's env.sh). */
export function stackEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'CONTAINERS_CONF']) if (process.env[key]) env[key] = process.env[key]!;
  return env;
}

/** CRIU as this host has it, read from the binary itself: tests never pin a version, the setup picks it by proof. */
export function hostCriu(): { text: string; number: string } {
  const { text, number } = parseCriuVersionOutput(execFileSync('criu', ['--version']).toString());
  return { text, number: String(number) };
}

/** The host's CRIU version ("4.2.1") as a regular expression source, for matching it in output. */
export function hostCriuPattern(): string {
  return hostCriu().text.replaceAll('.', '\\.');
}

let ready: Promise<void> | undefined;

/** Builds the offline busybox base image once per store and removes containers left by earlier runs. */
export function ensureStack(): Promise<void> {
  ready ??= (async () => {
    if (!process.env.CONTAINERS_CONF) {
      throw new Error('the checkpoint stack is not set up: run the tests with `npm test` (it runs scripts/host-setup.sh)');
    }
    mkdirSync(STORE_DIR, { recursive: true });
    const labelled = await podman('ps', '-a', '--filter', `label=${TEST_LABEL_KEY}`, '--format', `{{.ID}} {{index .Labels "${TEST_LABEL_KEY}"}}`);
    const leftovers = labelled.split('\n').filter(Boolean).map((l) => l.split(' ')).filter(([, pid]) => !alive(Number(pid)));
    if (leftovers.length) await podman('rm', '-f', '-t', '0', ...leftovers.map(([id]) => id!));
    if ((await podman('images', '-q', BASE_IMAGE)) === '') await importBusybox();
  })();
  return ready;
}

async function importBusybox(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-rootfs-'));
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  mkdirSync(join(rootfs, 'tmp'));
  if (!existsSync('/bin/busybox')) throw new Error('busybox-static is missing: run scripts/host-setup.sh');
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  const { stdout } = await run('/bin/busybox', ['--list']);
  for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) {
    symlinkSync('busybox', join(rootfs, 'bin', applet));
  }
  await run('tar', ['-C', rootfs, '-cf', join(dir, 'rootfs.tar'), '.']);
  await podman('import', '-q', join(dir, 'rootfs.tar'), BASE_IMAGE);
  await run('rm', ['-rf', dir]);
}

let seq = 0;
/** A name unique to this run, so parallel or aborted runs never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq++}`;
}

/** Starts a container running the counter (see counter.ts). */
export async function startCounter(name: string): Promise<void> {
  await podman(
    'run', '-d', '--name', name, '--label', TEST_LABEL, BASE_IMAGE,
    'sh', '-c', COUNTER_SCRIPT,
  );
}

/** The counter's current value, read inside the container. */
export async function readCounter(name: string): Promise<number> {
  return counterValue(await podman('exec', name, 'cat', '/tmp/count'));
}

/** Waits until the counter has reached at least `min`. */
export async function waitForCounter(name: string, min: number, timeoutMs = 10_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await readCounter(name).catch(() => 0);
    if (value >= min) return value;
    if (Date.now() > until) throw new Error(`counter in ${name} stayed at ${value}, below ${min}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function removeContainers(...names: string[]): Promise<void> {
  for (const n of names) await podman('rm', '-f', '-t', '0', '--ignore', n).catch(() => undefined);
}

export async function removeImages(...refs: string[]): Promise<void> {
  for (const r of refs) await podman('rmi', '-f', '--ignore', r).catch(() => undefined);
}

export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'ckpt-test-'));
}

/**
 * For a describe block: the stack is ready before its tests, and the containers, images and scratch folder
 * they register are removed after them.
 */
export function testResources(): { containers: string[]; images: string[]; readonly dir: string } {
  const r = { containers: [] as string[], images: [] as string[], dir: '' };
  before(async () => {
    await ensureStack();
    r.dir = scratchDir();
  });
  after(async () => {
    await removeContainers(...r.containers);
    await removeImages(...r.images);
    if (r.dir) rmSync(r.dir, { recursive: true, force: true });
  });
  return r;
}
