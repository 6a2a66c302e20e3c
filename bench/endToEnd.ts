/**
 * Issue 14 P6: checkpoint -> push -> pull -> restore of a container with 256 MiB of touched memory, end to end,
 * through `ckpt` against the raw podman + skopeo commands a podman user would type, in the same run. Target:
 * ckpt's end-to-end time <= 1.10x the raw one.
 *
 * The container: busybox holding MiB of memory-like bytes (bench/checkpointInput.ts's generator: heap, text,
 * zero and random pages; NULs made 0x01, as a shell variable cannot hold them) in a shell variable, then
 * counting (test/support/counter.ts). The file is copied in and deleted before the checkpoint, so the
 * checkpoint's weight is the memory, not the rootfs diff. Every restore must bring back the memory (VmRSS) and
 * the counter must go on from where it was frozen, or the round fails.
 *
 * The paths, each round in a fresh registry (CNCF distribution on loopback), a repository each, the container
 * and its images removed between push and pull as if the pull ran on another machine (the base image stays):
 *   podman   podman container checkpoint --create-image IMG CTR; skopeo copy containers-storage:IMG docker://…
 *            (gzip layer); podman rm CTR; podman rmi IMG; skopeo copy docker://… containers-storage:IMG2;
 *            podman container restore IMG2. --print-stats is added to both podman commands (it costs nothing) to
 *            split CRIU's time from podman's.
 *   ckpt     what a user of ckpt or the extension does: ckpt checkpoint CTR --image store:TAG (podman's --export,
 *            uncompressed, and the engine's build of a gzip layer into the embedded store); ckpt copy store:TAG
 *            docker://… (the push); ckpt restore docker://… (the layer downloaded, verified and decompressed into
 *            an archive, preflight, a sanitized copy, podman container restore --import).
 * Each command runs in its own process under GNU time, after a `sync`; the paths' order rotates from round to
 * round. ckpt runs with --verbose, and the times at which its lines arrive split a command into stages (podman's
 * calls, the registry's first request, the notes); podman's --print-stats splits CRIU from podman.
 *
 *   npm run bench endToEnd
 *   (or: source /var/cache/checkpoint-studio/env.sh && node scripts/build.mjs && node out/bench/endToEnd.js)
 * About 15 s a path a round, plus a minute to make the memory. It needs the checkpoint stack of the tests,
 * skopeo and docker-registry, and runs dist/cli.js beside out/.
 *
 * BENCH_MIB     MiB of touched memory (default 256)
 * BENCH_ROUNDS  rounds (default 3)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStatsOutput, type CheckpointRestoreStats } from '../src/engine/podman/stats.js';
import { COUNTER_SCRIPT } from '../test/support/counter.js';
import { measured, type Measured } from '../test/support/measured.js';
import { startRegistry, type TestRegistry } from '../test/support/registry.js';
import {
  BASE_IMAGE,
  ensureStack,
  podman,
  podmanArgs,
  PODMAN,
  readCounter,
  removeContainers,
  removeImages,
  STORE_DIR,
  TEST_LABEL,
  uniqueName,
  waitForCounter,
} from '../test/support/stack.js';
import { median, MiB, Rng, sh, writePages } from './checkpointInput.js';

const MEMORY_MIB = Number(process.env.BENCH_MIB ?? 256);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const TARGET = 1.1;
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

/**
 * A process of its own waits for the memory file, holds it in a variable and removes it; the shell counts. The
 * counter's shell forks applets (ln, mv) without exec: holding the memory itself, a checkpoint that met such a
 * child would dump the memory twice.
 */
const MEMORY_SCRIPT =
  '(while [ ! -f /tmp/mem.done ]; do sleep 0.1; done; x=$(tr "\\0" "\\001" < /tmp/mem); rm /tmp/mem /tmp/mem.done; touch /tmp/loaded; ' +
  `while :; do sleep 1; done) & ${COUNTER_SCRIPT}`;

type PathName = 'podman' | 'ckpt';
const PATHS: Record<PathName, string> = {
  podman: 'podman + skopeo (gzip layer)',
  ckpt: 'ckpt checkpoint --image store:TAG, copy, restore (gzip layer), as the extension does it',
};

/** Seconds per stage of one command, in order. */
type Stages = Array<[string, number]>;

/** Per path: per command, its wall seconds, CPU seconds and stages, one entry per round. */
interface CommandSamples {
  secs: number[];
  cpu: number[];
  stages: Map<string, number[]>;
}
const results = new Map<PathName, Map<string, CommandSamples>>();
const totals = new Map<PathName, number[]>();

function record(path: PathName, command: string, run: Measured, stages: Stages): void {
  const byPath = results.get(path) ?? new Map<string, CommandSamples>();
  results.set(path, byPath);
  const c: CommandSamples = byPath.get(command) ?? { secs: [], cpu: [], stages: new Map() };
  byPath.set(command, c);
  c.secs.push(run.seconds);
  c.cpu.push(run.cpu);
  for (const [name, secs] of stages) c.stages.set(name, [...(c.stages.get(name) ?? []), secs]);
}

/** Runs one command under GNU time after a sync (the last step's dirty pages are not this one's cost). */
async function step(cmd: string, args: string[]): Promise<Measured> {
  execFileSync('sync');
  const run = await measured(cmd, args);
  if (run.code !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')}… exited with ${run.code}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return run;
}

const micros = (n: number) => n / 1e6;

/** CRIU's part and podman's part of a checkpoint or restore (--print-stats), the rest is the tool around them. */
function podmanStages(run: Measured, stats: CheckpointRestoreStats | undefined, what: string): Stages {
  if (!stats) throw new Error(`no --print-stats in the output of ${what}`);
  return [
    [`CRIU ${what} (runc)`, micros(stats.runtimeMicros)],
    ...(stats.criu.pages_written ? [[`  (MiB of memory pages written)`, (stats.criu.pages_written * 4096) / MiB] as [string, number]] : []),
    [`podman ${what}, minus CRIU`, micros(stats.totalMicros - stats.runtimeMicros)],
    ['process start, checks around podman', run.seconds - micros(stats.totalMicros)],
  ];
}

/**
 * Splits a ckpt command by the arrival of its --verbose lines: each stage runs from the first line its pattern
 * matches (the first stage from the start) to the next stage's, the last to the end.
 */
function markedStages(run: Measured, marks: Array<[string, RegExp | undefined]>): Stages {
  const starts = marks.map(([name, re]) => {
    if (!re) return 0;
    const line = run.stderrLines.find((l) => re.test(l.text));
    if (!line) throw new Error(`ckpt printed no line matching ${re} (for "${name}")`);
    return line.seconds;
  });
  return marks.map(([name], i) => [name, (starts[i + 1] ?? run.seconds) - starts[i]!]);
}

// ---------------------------------------------------------------------------------------------------------
// The container.

async function startMemoryContainer(name: string, memoryFile: string): Promise<void> {
  await podman('run', '-d', '--name', name, '--label', TEST_LABEL, BASE_IMAGE, 'sh', '-c', MEMORY_SCRIPT);
  await podman('cp', memoryFile, `${name}:/tmp/mem`);
  await podman('exec', name, 'touch', '/tmp/mem.done');
  for (const until = Date.now() + 180_000; !(await podman('exec', name, 'test', '-f', '/tmp/loaded').then(() => true, () => false)); ) {
    if (Date.now() > until) throw new Error(`${name} did not load its memory in 3 minutes`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const rss = await residentMiB(name);
  if (rss < MEMORY_MIB * 0.95 || rss > MEMORY_MIB * 1.1) throw new Error(`${name} holds ${rss.toFixed(0)} MiB, not ${MEMORY_MIB}`);
  await waitForCounter(name, 3);
}

/** The resident memory of the container's largest process (the one holding the memory), in MiB. */
async function residentMiB(name: string): Promise<number> {
  const pids = (await podman('top', name, 'hpid')).split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
  // A sleep may be gone by the time its status is read.
  const status = (pid: string) => { try { return readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return ''; } };
  const kib = pids.map((pid) => Number(/VmRSS:\s+(\d+)/.exec(status(pid))?.[1] ?? 0));
  return Math.max(...kib) / 1024;
}

/** The restored container holds its memory and counts on from the value it had before the checkpoint. */
async function checkRestored(name: string, before: number): Promise<void> {
  const rss = await residentMiB(name);
  if (rss < MEMORY_MIB * 0.95) throw new Error(`${name} came back with ${rss.toFixed(0)} MiB resident, not ${MEMORY_MIB}`);
  const first = await readCounter(name);
  const later = await waitForCounter(name, first + 3, 10_000);
  if (!(first >= before && later > first)) throw new Error(`${name}'s counter went ${before} -> ${first} -> ${later}`);
}

// ---------------------------------------------------------------------------------------------------------
// The paths.

interface Round {
  registry: TestRegistry;
  dir: string;
  memoryFile: string;
  /** The driver of podman's storage, for skopeo's containers-storage: references. */
  driver: string;
}

async function runPath(path: PathName, round: Round, n: number): Promise<void> {
  const name = uniqueName(`p6-${path}`);
  const image = path === 'podman' ? `localhost/${name}:ckpt` : `store:${name}`;
  const remote = `${round.registry.host}/p6/${path}-${n}:v1`;
  const pulled = `localhost/${name}:pulled`;
  const storage = (ref: string) => `containers-storage:[${round.driver}@${join(STORE_DIR, 'root')}+${join(STORE_DIR, 'run')}]${ref}`;
  const ckpt = (...args: string[]) => step(process.execPath, [CLI, '--podman', PODMAN, '--podman-store', STORE_DIR, '--store', join(round.dir, 'store'), '-v', ...args]);
  const skopeo = (from: string, to: string) => step('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', from, to]);
  const stats = (run: Measured) => (path === 'podman' ? parseStatsOutput(run.stdout) : (JSON.parse(run.stdout) as { stats?: CheckpointRestoreStats }).stats);
  let total = 0;
  const timed = async (command: string, run: () => Promise<Measured>, stages: (r: Measured) => Stages): Promise<void> => {
    const r = await run();
    record(path, command, r, stages(r));
    total += r.seconds;
  };
  try {
    await startMemoryContainer(name, round.memoryFile);
    const before = await readCounter(name);
    // Checkpoint.
    if (path === 'podman') {
      await timed('podman container checkpoint --create-image', () => step(PODMAN, [...podmanArgs, 'container', 'checkpoint', '--print-stats', '--create-image', image, name]),
        (r) => podmanStages(r, stats(r), 'checkpoint'));
    } else {
      await timed('ckpt checkpoint --image store:TAG', () => ckpt('checkpoint', name, '--image', image, '--json'), (r) => {
        const marked = markedStages(r, [
          ['process start, checks before podman', undefined],
          ['podman container checkpoint --export', /^checkpointing with CRIU/],
          ['checking the archive', /^checking the result/],
          ['gzip layer build into the store', /^making the checkpoint image/],
        ]);
        // podman's stage splits into CRIU's part and the rest, as its stats tell.
        const s = stats(r);
        if (!s) throw new Error('ckpt checkpoint --json gave no stats');
        const [first, [, podmanSecs], ...rest] = marked;
        return [first!, ['CRIU checkpoint (runc)', micros(s.runtimeMicros)], ['podman checkpoint --export, minus CRIU', podmanSecs - micros(s.runtimeMicros)], ...rest];
      });
    }
    // Push.
    if (path === 'podman') {
      await timed('skopeo copy containers-storage: docker://', () => skopeo(storage(image), `docker://${remote}`), () => []);
    } else {
      await timed('ckpt copy store:TAG docker://', () => ckpt('copy', image, `docker://${remote}`), (r) => markedStages(r, [
        ['process start', undefined],
        ['upload', /^(HEAD|POST) http/],
      ]));
    }
    if (n === 0) await noteWire(path, round.registry, remote);
    // The other machine: neither the container nor its image is there.
    await removeContainers(name);
    if (path === 'podman') await removeImages(image);
    // Pull and restore.
    if (path === 'podman') {
      await timed('skopeo copy docker:// containers-storage:', () => skopeo(`docker://${remote}`, storage(pulled)), () => []);
      await timed('podman container restore IMG', () => step(PODMAN, [...podmanArgs, 'container', 'restore', '--print-stats', pulled]), (r) => podmanStages(r, stats(r), 'restore'));
    } else {
      await timed('ckpt restore docker://', () => ckpt('restore', `docker://${remote}`, '--json'), (r) => {
        const marked = markedStages(r, [
          ['process start, download, verify, gunzip into an archive', undefined],
          ['preflight', /^read .* into a checkpoint archive/],
          ['sanitized copy of the archive', /^restoring /],
          ['podman container restore --import', / container restore /],
        ]);
        // The last stage splits into CRIU's part and the rest, as podman's stats tell.
        const [, last] = marked.pop()!;
        const s = stats(r);
        if (!s) throw new Error('ckpt restore --json gave no stats');
        return [...marked, ['CRIU restore (runc)', micros(s.runtimeMicros)], ['podman restore --import, minus CRIU', last - micros(s.runtimeMicros)]];
      });
    }
    await checkRestored(name, before);
    totals.set(path, [...(totals.get(path) ?? []), total]);
  } finally {
    await removeContainers(name);
    await removeImages(...(path === 'podman' ? [image] : []), pulled);
  }
}

const wire = new Map<PathName, string>();
/** What went over the wire: the layers of the manifest the registry serves. */
async function noteWire(path: PathName, registry: TestRegistry, remote: string): Promise<void> {
  const [repository, tag] = remote.slice(registry.host.length + 1).split(':');
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const manifest = (await res.json()) as { layers: Array<{ mediaType: string; size: number }> };
  wire.set(path, manifest.layers.map((l) => `${(l.size / MiB).toFixed(0)} MiB ${l.mediaType.replace('application/vnd.oci.image.', '')}`).join(', '));
}

// ---------------------------------------------------------------------------------------------------------

function print(): void {
  const base = median(totals.get('podman') ?? [Number.NaN]);
  for (const [path, commands] of results) {
    const ok = totals.get(path)?.length ?? 0;
    console.log(`\n== ${PATHS[path]}: ${wire.get(path) ?? '?'} on the wire; ${ok} of ${ROUNDS} round(s) ==`);
    console.log(`${'command / stage'.padEnd(56)} ${'median s'.padStart(8)} ${'CPU s'.padStart(6)}   all rounds`);
    for (const [command, c] of commands) {
      console.log(`${command.padEnd(56)} ${median(c.secs).toFixed(2).padStart(8)} ${median(c.cpu).toFixed(1).padStart(6)}   ${c.secs.map((s) => s.toFixed(2)).join(' ')}`);
      for (const [stage, xs] of c.stages) console.log(`  ${stage.padEnd(54)} ${median(xs).toFixed(2).padStart(8)}`);
    }
    const t = totals.get(path);
    if (!t?.length) continue;
    const e2e = median(t);
    const ratio = path === 'podman' ? 'baseline' : `${(e2e / base).toFixed(2)}x podman + skopeo, target <= ${TARGET.toFixed(2)} ${e2e / base <= TARGET ? 'met' : 'NOT MET'}`;
    console.log(`${'end to end (sum of the commands)'.padEnd(56)} ${e2e.toFixed(2).padStart(8)}          ${t.map((s) => s.toFixed(2)).join(' ')}   ${ratio}`);
  }
}

async function main(): Promise<void> {
  if (!process.env.CONTAINERS_CONF) throw new Error('source /var/cache/checkpoint-studio/env.sh first (podman and CRIU need it)');
  for (const tool of ['skopeo', '/usr/bin/docker-registry', '/usr/bin/time']) sh(`command -v ${tool} >/dev/null`);
  await ensureStack();
  const dir = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), 'ckpt-bench-e2e-'));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (rmSync(dir, { recursive: true, force: true }), process.exit(130)));
  try {
    const memoryFile = join(dir, 'memory');
    writePages(memoryFile, MEMORY_MIB * MiB, new Rng(0x5eed ^ MEMORY_MIB));
    const driver = await podman('info', '--format', '{{.Store.GraphDriverName}}');
    console.log(
      `checkpoint -> push -> pull -> restore of a container with ${MEMORY_MIB} MiB of touched memory; ${await podman('--version')}, ` +
        `${sh('skopeo --version')}, CRIU ${sh('criu --version | head -1')}, node ${process.version}, registry on loopback, ${ROUNDS} round(s)`,
    );
    const order = Object.keys(PATHS) as PathName[];
    for (let n = 0; n < ROUNDS; n++) {
      const registry = await startRegistry('none');
      try {
        // Who goes first rotates, so each path meets the machine in each state.
        for (const path of [...order.slice(n % order.length), ...order.slice(0, n % order.length)]) {
          await runPath(path, { registry, dir, memoryFile, driver }, n).catch((err: Error) => console.log(`round ${n + 1}, ${path}: FAILED: ${err.message}`));
        }
      } finally {
        await registry.stop();
      }
    }
    print();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
