/**
 * Checkpoint/restore through the engine next to the same podman commands typed by hand, in one process, on the
 * same counter container, alternating so both see the same machine state. Prints medians and ratios.
 * Run with `npm run bench checkpointRestore` (it sets up the stack and the isolated store first).
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ensureStack,
  podman,
  podmanArgs,
  removeContainers,
  removeImages,
  scratchDir,
  startCounter,
  testPodman,
  uniqueName,
  waitForCounter,
} from '../test/support/stack.js';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const engine = testPodman();

async function byHand(...args: string[]): Promise<void> {
  await run('podman', [...podmanArgs, ...args]);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Step = 'checkpoint --create-image' | 'restore image --name' | 'checkpoint --export (zstd)' | 'restore --import --name';
const results: Record<Step, { podman: number[]; engine: number[] }> = {
  'checkpoint --create-image': { podman: [], engine: [] },
  'restore image --name': { podman: [], engine: [] },
  'checkpoint --export (zstd)': { podman: [], engine: [] },
  'restore --import --name': { podman: [], engine: [] },
};

async function round(via: 'podman' | 'engine', dir: string): Promise<void> {
  const c = uniqueName(`bench-${via}`);
  const img = `localhost/${c}:ckpt`;
  const archive = join(dir, `${c}.tar.zst`);
  try {
    await startCounter(c);
    await waitForCounter(c, 5);
    if (via === 'podman') {
      results['checkpoint --create-image'].podman.push(await timed(() => byHand('container', 'checkpoint', '--create-image', img, c)));
      results['restore image --name'].podman.push(await timed(() => byHand('container', 'restore', '--name', `${c}-a`, img)));
      results['checkpoint --export (zstd)'].podman.push(await timed(() => byHand('container', 'checkpoint', '--export', archive, `${c}-a`)));
      results['restore --import --name'].podman.push(await timed(() => byHand('container', 'restore', '--import', archive, '--name', `${c}-b`)));
    } else {
      results['checkpoint --create-image'].engine.push(await timed(() => engine.checkpoint(c, { kind: 'image', name: img })));
      results['restore image --name'].engine.push(await timed(() => engine.restore({ kind: 'image', ref: img }, { name: `${c}-a` })));
      results['checkpoint --export (zstd)'].engine.push(await timed(() => engine.checkpoint(`${c}-a`, { kind: 'archive', path: archive })));
      results['restore --import --name'].engine.push(await timed(() => engine.restore({ kind: 'archive', path: archive }, { name: `${c}-b` })));
    }
  } finally {
    await removeContainers(c, `${c}-a`, `${c}-b`);
    await removeImages(img);
  }
}

async function main(): Promise<void> {
  await ensureStack();
  const dir = scratchDir();
  await round('podman', dir); // warm-up: page cache, podman's first-run work
  for (const r of Object.values(results)) r.podman.length = 0;
  for (let i = 0; i < ROUNDS; i++) {
    await round('podman', dir);
    await round('engine', dir);
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`checkpoint/restore of a counter container, ${ROUNDS} rounds each, median ms (podman ${await podman('--version')})`);
  console.log('step                          podman   engine   engine/podman');
  for (const [step, r] of Object.entries(results)) {
    const p = median(r.podman);
    const e = median(r.engine);
    console.log(`${step.padEnd(28)} ${p.toFixed(0).padStart(7)}  ${e.toFixed(0).padStart(7)}   ${(e / p).toFixed(2)}x`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
