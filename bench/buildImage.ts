/**
 * Building a checkpoint image from a large checkpoint archive (issue 4): the engine's one-pass
 * `buildFromArchive` into the embedded store, against the baselines run in the same script on the same input:
 *   - uncompressed layer: the recipe checkpointctl and the Kubernetes docs give (buildah from scratch, add,
 *     config --annotation, commit; buildah stores the layer uncompressed), timed end to end. Target: 3x faster.
 *   - gzip layer: `tar -c <extracted archive> | pigz -1 -p2 | sha256sum`, the best this machine does (and, for
 *     fairness, `pigz -1 -p2 < archive.tar | sha256sum`). Target: at most 1.3x its time, although the engine
 *     also parses, checks and re-packs the tar, hashes it uncompressed (diff_id) and writes the blob (fsynced).
 *   - zstd layer: `zstd -3 -T2 < archive.tar | sha256sum`, for information.
 * Every step runs in its own process (GNU time gives its CPU time and peak RSS; the engine's wall time
 * includes Node's start, about 0.15 s); steps alternate over BENCH_ROUNDS rounds and the median is printed. The input is a real podman export (a counter container checkpointed with
 * `--compress none`) whose checkpoint/pages-N.img files are replaced by large ones with memory-like content,
 * tarred as podman writes it and also zstd-compressed (podman's default). Everything lives in a temp folder
 * that is removed at the end, buildah's isolated store with it.
 *
 *   npm run bench:build
 *   (or: source /var/cache/checkpoint-studio/env.sh && node scripts/build.mjs && node out/bench/buildImage.js)
 * About 15 minutes for both sizes; it needs buildah, pigz, zstd and the checkpoint stack of the tests.
 *
 * BENCH_SIZES   MiB of memory pages per input, comma-separated (default 256,1024)
 * BENCH_INPUTS  archive compressions to build from: none,zstd (default both)
 * BENCH_ROUNDS  rounds per size (default 3)
 * BENCH_SKIP    steps to leave out, comma-separated: buildah, pigz, engine-none, engine-gzip, engine-zstd
 * BENCH_KEEP=1  keep the temp folder (inputs, buildah store) for a closer look
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { HostFacts } from '../src/engine/index.js';
import { buildFromArchive } from '../src/engine/image/buildFromArchive.js';
import type { LayerCompression } from '../src/engine/image/layer.js';
import { openLayout } from '../src/engine/layout/index.js';

const MiB = 1 << 20;
const SIZES = (process.env.BENCH_SIZES ?? '256,1024').split(',').map(Number).filter((n) => n > 0);
const INPUTS = (process.env.BENCH_INPUTS ?? 'none,zstd').split(',').filter((s): s is 'none' | 'zstd' => s === 'none' || s === 'zstd');
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const KEEP = process.env.BENCH_KEEP === '1';
const PAGES_FILES = 4;

// ---------------------------------------------------------------------------------------------------------
// The engine's side: one build in a child process, so its peak RSS is its own.

async function child(archive: string, compression: LayerCompression, store: string, hostFile: string): Promise<void> {
  const host = JSON.parse(readFileSync(hostFile, 'utf8')) as HostFacts;
  let finished = false;
  // A promise that never settles lets Node exit with 0 and no word: say so.
  process.on('beforeExit', () => {
    if (!finished) {
      console.error(`stalled: the event loop emptied before buildFromArchive settled (${basename(archive)}, ${compression} layer)`);
      process.exit(2);
    }
  });
  const t = process.hrtime.bigint();
  const layout = await openLayout(store, { create: true });
  const built = await buildFromArchive(layout, archive, 'bench', { host, compression });
  await layout.close();
  finished = true;
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(JSON.stringify({ secs, maxRssKiB: process.resourceUsage().maxRSS, layer: built.layer }));
}

// ---------------------------------------------------------------------------------------------------------
// The input: a real podman export with large, realistic memory pages.

/** xorshift32: deterministic, fast, good enough to make memory look like memory. */
class Rng {
  constructor(private s = 0x9e3779b9) {}
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (this.s = s >>> 0);
  }
}

const WORDS = (
  'the of and to in is for on that with error warn info debug request response user id session token cache key value ' +
  'GET POST /api/v1/items /usr/lib/x86_64-linux-gnu/libc.so.6 HTTP/1.1 200 404 500 Content-Type: application/json ' +
  'function return const let if else while true false null undefined {"name": "count": "status": ok, ' +
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin HOME=/root LANG=C.UTF-8 container podman checkpoint ' +
  'java.lang.String java.util.HashMap python3 import numpy SELECT * FROM orders WHERE customer_id = ORDER BY'
).split(' ').map((w) => Buffer.from(w));

/** Text in memory: log lines, strings, environment, source. */
function textPage(page: Buffer, rng: Rng): void {
  let i = 0;
  while (i < page.length) {
    const r = rng.next();
    const w = WORDS[r % WORDS.length]!;
    const n = Math.min(w.length, page.length - i);
    w.copy(page, i, 0, n);
    i += n;
    if (i < page.length) page[i++] = (r >>> 24) < 24 ? 0x0a : (r >>> 24) < 40 ? 0x3d : (r >>> 24) < 48 ? 0 : 0x20;
    if ((r >>> 20 & 15) === 0 && i + 8 < page.length) i += page.write(String(r % 100000), i, 'latin1'); // numbers
  }
}

/** A heap page: 64-bit words (zeros, pointers into a few regions, small integers, short strings, noise) and
 * objects of the same shape repeated with a field changed. */
function memoryPage(page: Buffer, rng: Rng): void {
  const u32 = new Uint32Array(page.buffer, page.byteOffset, page.length >> 2);
  let i = 0;
  while (i < u32.length) {
    const r = rng.next();
    const k = r & 15;
    if (k < 5 && i >= 64 && i + 16 <= u32.length) {
      // a 64-byte object like one just before it
      const back = 16 * (1 + ((r >>> 4) & 3));
      u32.copyWithin(i, i - back, i - back + 16);
      u32[i + 2 * ((r >>> 8) & 7)] = rng.next() & 0xffff;
      i += 16;
      continue;
    }
    const v = rng.next();
    switch ((r >>> 12) & 15) {
      case 0: case 1: case 2: case 3: case 4: // zero
        u32[i] = 0; u32[i + 1] = 0; break;
      case 5: case 6: case 7: // heap pointer
        u32[i] = (0xc2a00000 + (v & 0x3fffff0)) >>> 0; u32[i + 1] = 0x55d4; break;
      case 8: // library or stack pointer
        u32[i] = (0x8a000000 + (v & 0xfffff8)) >>> 0; u32[i + 1] = 0x7f3c; break;
      case 9: case 10: case 11: // small integer, length, flag
        u32[i] = v & 0x3ff; u32[i + 1] = 0; break;
      case 12: case 13: // eight characters
        u32[i] = 0x61616161 + (v & 0x0f0f0f0f); u32[i + 1] = 0x61616161 + ((v >>> 4) & 0x0f0f0f0f); break;
      default: // double, hash, random id
        u32[i] = v; u32[i + 1] = rng.next();
    }
    i += 2;
  }
}

/** `bytes` of memory pages in regions of 1-64 pages: mostly heap, some zero, some text, some random. */
function writePages(path: string, bytes: number, rng: Rng): void {
  const fd = openSync(path, 'w');
  const buf = Buffer.alloc(4 * MiB);
  try {
    let left = bytes / 4096;
    let kind = 0;
    let run = 0;
    while (left > 0) {
      const n = Math.min(left, buf.length / 4096);
      for (let p = 0; p < n; p++) {
        if (run-- <= 0) {
          const r = rng.next() % 100;
          kind = r < 60 ? 0 : r < 75 ? 1 : r < 90 ? 2 : 3; // heap 60%, zero 15%, text 15%, random 10%
          run = 1 + (rng.next() % 64);
        }
        const page = buf.subarray(p * 4096, (p + 1) * 4096);
        if (kind === 0) memoryPage(page, rng);
        else if (kind === 1) page.fill(0);
        else if (kind === 2) textPage(page, rng);
        else randomFillSync(page);
      }
      writeSync(fd, buf, 0, n * 4096);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

function sh(cmd: string, opts: { quiet?: boolean } = {}): string {
  return execFileSync('bash', ['-o', 'pipefail', '-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', opts.quiet ? 'ignore' : 'inherit'], maxBuffer: 64 * MiB }).trim();
}

/** A real export of a counter container (uncompressed), made once per run with the test helpers. */
async function realExport(dir: string): Promise<string> {
  const { ensureStack, removeContainers, startCounter, testPodman, uniqueName, waitForCounter } = await import('../test/support/stack.js');
  await ensureStack();
  const name = uniqueName('bench-build');
  const archive = join(dir, 'real-export.tar');
  try {
    await startCounter(name);
    await waitForCounter(name, 5);
    await testPodman().checkpoint(name, { kind: 'archive', path: archive, compression: 'none' });
  } finally {
    await removeContainers(name);
  }
  const tree = join(dir, 'real-export');
  mkdirSync(tree);
  sh(`tar -C ${tree} -xf ${archive}`);
  rmSync(archive);
  return tree;
}

interface Input {
  mib: number;
  /** The extracted archive, for `tar -c | pigz`. */
  tree: string;
  tar: string;
  zst: string;
  tarBytes: number;
  zstBytes: number;
  gzipBytes: number;
}

function makeInput(dir: string, real: string, mib: number): Input {
  const tree = join(dir, `tree-${mib}`);
  mkdirSync(tree);
  sh(`cp -a ${real}/. ${tree}/`);
  // The real pages files give way to large ones: one per process, as CRIU writes them.
  for (const f of readdirSync(join(tree, 'checkpoint'))) if (/^pages-\d+\.img$/.test(f)) rmSync(join(tree, 'checkpoint', f));
  const rng = new Rng(0x2545f491 ^ mib);
  const each = (mib * MiB) / PAGES_FILES;
  for (let n = 1; n <= PAGES_FILES; n++) writePages(join(tree, 'checkpoint', `pages-${n}.img`), each, rng);
  // podman's order and names: no "./" prefix, metadata first.
  const names = readdirSync(tree).sort((a, b) => (a === 'checkpoint' ? 1 : b === 'checkpoint' ? -1 : a.localeCompare(b)));
  const tar = join(dir, `checkpoint-${mib}.tar`);
  const zst = `${tar}.zst`;
  sh(`tar -C ${tree} -cf ${tar} ${names.join(' ')}`);
  // From stdin and level 3, as podman's streaming writer does.
  sh(`zstd -q -3 -T2 -c < ${tar} > ${zst}`);
  const gzipBytes = Number(sh(`pigz -1 -p2 -c < ${tar} | wc -c`));
  return { mib, tree, tar, zst, tarBytes: statSync(tar).size, zstBytes: statSync(zst).size, gzipBytes };
}

// ---------------------------------------------------------------------------------------------------------
// Timing.

interface Sample {
  secs: number;
  /** User + system CPU seconds of the step's processes: a measure that others' load on the machine moves less. */
  cpu: number;
  rssMiB: number;
  /** The engine's own time for the build, measured inside the child (no Node start). */
  inProcess?: number;
}

/** Runs one command under GNU time; wall seconds from here, CPU seconds and peak RSS (largest process) from GNU time. */
function timed(cmd: string, args: string[]): Promise<Sample & { out: string; err: string }> {
  return new Promise((resolve, reject) => {
    execFileSync('sync'); // the last step's dirty pages are not this one's cost
    const t = process.hrtime.bigint();
    const p = spawn('/usr/bin/time', ['-f', '@@ %U %S %M', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const secs = Number(process.hrtime.bigint() - t) / 1e9;
      const m = /@@ ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(err);
      if (code !== 0 || !m) {
        const said = err.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('@@') && !l.startsWith('Command exited'));
        return reject(new Error(`${args[0] === childScript ? 'the engine' : cmd} exited with ${code}: ${said.slice(-1)[0] ?? 'no message'}`));
      }
      resolve({ secs, cpu: Number(m[1]) + Number(m[2]), rssMiB: Number(m[3]) / 1024, out, err });
    });
  });
}

const bash = (cmd: string) => timed('bash', ['-o', 'pipefail', '-c', cmd]);

/** buildah's recipe, four commands end to end, in its own store; cleaned up (untimed) after. */
async function buildahRecipe(dir: string, archive: string): Promise<Sample> {
  const root = join(dir, 'buildah');
  const b = ['--root', join(root, 'root'), '--runroot', join(root, 'run')];
  try {
    const steps: Sample[] = [];
    const from = await timed('buildah', [...b, 'from', 'scratch']);
    steps.push(from);
    const ctr = from.out.trim();
    steps.push(await timed('buildah', [...b, 'add', ctr, archive, '/']));
    steps.push(await timed('buildah', [...b, 'config', '--annotation', 'io.kubernetes.cri-o.annotations.checkpoint.name=counter', ctr]));
    steps.push(await timed('buildah', [...b, 'commit', '-q', ctr, 'localhost/bench-checkpoint:latest']));
    const sum = (f: (x: Sample) => number) => steps.reduce((s, x) => s + f(x), 0);
    return { secs: sum((x) => x.secs), cpu: sum((x) => x.cpu), rssMiB: Math.max(...steps.map((x) => x.rssMiB)) };
  } finally {
    cleanBuildah(root);
  }
}

function cleanBuildah(root: string): void {
  if (!existsSync(root)) return;
  const b = `buildah --root ${root}/root --runroot ${root}/run`;
  sh(`${b} rm --all >/dev/null 2>&1; ${b} rmi --all --force >/dev/null 2>&1; true`, { quiet: true });
  // Anything still mounted under the store (a run killed midway) goes before the folder does.
  sh(`grep -o " ${root}/[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null; true`, { quiet: true });
  rmSync(root, { recursive: true, force: true });
}

interface EngineSample extends Sample {
  layer: { diffId: string; digest: string; size: number; uncompressedSize: number };
}

/**
 * The children run a copy of this bundle from the temp folder: other people's `node scripts/build.mjs` empties
 * out/ while a run goes on. zstd-napi is still found in the project's node_modules (NODE_PATH).
 */
let childScript = __filename;
function copySelf(dir: string): void {
  childScript = join(dir, 'buildImage.js');
  copyFileSync(__filename, childScript);
  const modules = dirname(dirname(createRequire(__filename).resolve('zstd-napi/package.json')));
  process.env.NODE_PATH = [modules, process.env.NODE_PATH].filter(Boolean).join(':');
}

async function engine(dir: string, archive: string, compression: LayerCompression, hostFile: string, verify: boolean): Promise<EngineSample> {
  const store = join(dir, `store-${compression}`);
  try {
    const r = await timed(process.execPath, [childScript, '--child', archive, compression, store, hostFile]);
    const { layer, secs: inProcess } = JSON.parse(r.out) as { layer: EngineSample['layer']; secs: number };
    if (verify) {
      // Untimed: the blob as stored decompresses to the tar that the diff_id names.
      const blob = join(store, 'blobs', 'sha256', layer.digest.slice('sha256:'.length));
      const unpack = compression === 'gzip' ? `gzip -dc < ${blob}` : compression === 'zstd' ? `zstd -qdc < ${blob}` : `cat ${blob}`;
      const diffId = `sha256:${sh(`${unpack} | sha256sum`).split(' ')[0]}`;
      const digest = `sha256:${sh(`sha256sum < ${blob}`).split(' ')[0]}`;
      if (diffId !== layer.diffId || digest !== layer.digest) {
        throw new Error(`the ${compression} layer is wrong: diff_id ${diffId} != ${layer.diffId} or digest ${digest} != ${layer.digest}`);
      }
    }
    return { secs: r.secs, cpu: r.cpu, rssMiB: r.rssMiB, inProcess, layer };
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---------------------------------------------------------------------------------------------------------

interface Row {
  step: string;
  samples: Sample[];
  /** The first failure, if any: the step is then shown as failed, not timed. */
  failure?: string;
  /** Key of the row this one is compared with, and the target ratio. */
  vs?: string;
  target?: number;
  /** Another row to give the ratio to, in the note. */
  also?: string;
  note?: string;
}

async function benchSize(dir: string, real: string, mib: number, hostFile: string): Promise<{ input: Input; rows: Map<string, Row> }> {
  const input = makeInput(dir, real, mib);
  const rows = new Map<string, Row>();
  /** Runs a step unless it failed before; a failure is recorded, and the run goes on with the other steps. */
  const step = async <S extends Sample>(key: string, name: string, run: () => Promise<S>, extra: (s: S) => Omit<Row, 'step' | 'samples'> = () => ({})) => {
    let row = rows.get(key);
    if (row?.failure) return;
    try {
      const s = await run();
      row ??= { step: name, samples: [], ...extra(s) };
      row.samples.push(s);
    } catch (err) {
      row ??= { step: name, samples: [] };
      row.failure = err instanceof Error ? err.message : String(err);
    }
    rows.set(key, row);
  };
  const archives = { none: input.tar, zstd: input.zst };
  for (let round = 0; round < ROUNDS; round++) {
    const verify = round === 0;
    // Baselines and the engine alternate within each round, so all of them see the same machine state.
    if (!SKIP.has('pigz')) {
      await step('pigz-tree', 'tar -c <tree> | pigz -1 -p2 | sha256sum', () => bash(`tar -C ${input.tree} -cf - . | pigz -1 -p2 | sha256sum`));
      await step('pigz-tar', 'pigz -1 -p2 < archive.tar | sha256sum', () => bash(`pigz -1 -p2 < ${input.tar} | sha256sum`), () => ({ vs: 'pigz-tree' }));
      await step('zstd-tar', 'zstd -3 -T2 < archive.tar | sha256sum', () => bash(`zstd -q -3 -T2 < ${input.tar} | sha256sum`));
    }
    for (const from of INPUTS) {
      const archive = archives[from];
      const tag = from === 'none' ? 'tar' : 'tar.zst';
      if (!SKIP.has('buildah')) await step(`buildah-${from}`, `buildah from/add/config/commit (${tag})`, () => buildahRecipe(dir, archive));
      if (from === 'zstd' && !SKIP.has('pigz')) {
        await step('pigz-zst', 'zstd -dc archive.tar.zst | pigz -1 -p2 | sha256sum', () => bash(`zstd -qdc < ${input.zst} | pigz -1 -p2 | sha256sum`), () => ({ vs: 'pigz-tree' }));
      }
      for (const layer of ['none', 'gzip', 'zstd'] as const) {
        if (SKIP.has(`engine-${layer}`)) continue;
        const cmp =
          layer === 'none' ? { vs: `buildah-${from}`, target: 1 / 3 }
          : layer === 'gzip' ? { vs: 'pigz-tree', target: 1.3, also: from === 'none' ? 'pigz-tar' : 'pigz-zst' }
          : { vs: 'zstd-tar' };
        await step(`engine-${from}-${layer}`, `engine: ${layer === 'none' ? 'uncompressed' : layer} layer (${tag})`, () => engine(dir, archive, layer, hostFile, verify), (s) => ({
          ...cmp,
          note: layer === 'none' ? '' : `blob 1/${(s.layer.uncompressedSize / s.layer.size).toFixed(2)}`,
        }));
      }
    }
  }
  if (!KEEP) for (const f of [input.tree, input.tar, input.zst]) rmSync(f, { recursive: true, force: true });
  return { input, rows };
}

function print(dir: string, input: Input, rows: Map<string, Row>): void {
  console.log(
    `\n== ${input.mib} MiB of memory pages: archive.tar ${(input.tarBytes / MiB).toFixed(0)} MiB, ` +
      `archive.tar.zst ${(input.zstBytes / MiB).toFixed(0)} MiB (1/${(input.tarBytes / input.zstBytes).toFixed(2)}), ` +
      `pigz -1 gives 1/${(input.tarBytes / input.gzipBytes).toFixed(2)}; median of ${ROUNDS} round(s) ==`,
  );
  console.log(`${'step'.padEnd(52)} ${'seconds'.padStart(7)}  ${'ratio vs baseline'.padEnd(44)} ${'CPU s'.padStart(6)} ${'peak RSS MiB'.padStart(12)}  note`);
  const time = (key: string) => {
    const row = rows.get(key);
    return row && !row.failure && row.samples.length ? median(row.samples.map((s) => s.secs)) : undefined;
  };
  for (const [key, row] of rows) {
    if (row.failure) {
      console.log(`${row.step.padEnd(52)} ${'FAILED'.padStart(7)}  ${row.failure.replaceAll(dir, '$TMP').slice(0, 200)}`);
      continue;
    }
    const secs = time(key)!;
    const rss = Math.max(...row.samples.map((s) => s.rssMiB));
    const cpu = median(row.samples.map((s) => s.cpu));
    let ratio = 'baseline';
    const base = row.vs ? time(row.vs) : undefined;
    if (base !== undefined) {
      const r = secs / base;
      const faster = row.target !== undefined && row.target < 1 ? ` (${(1 / r).toFixed(1)}x faster)` : '';
      const target = row.target === undefined ? '' : `, target <=${row.target.toFixed(2)} ${r <= row.target ? 'met' : 'NOT MET'}`;
      ratio = `${r.toFixed(2)}x${faster}${target}`;
    } else if (row.vs) ratio = `(no ${row.vs})`;
    const also = row.also ? time(row.also) : undefined;
    const label: Record<string, string> = { 'pigz-tar': 'pigz < archive.tar', 'pigz-zst': 'zstd -dc | pigz' };
    const inProcess = row.samples[0]?.inProcess === undefined ? '' : `in-process ${median(row.samples.map((x) => x.inProcess!)).toFixed(2)} s`;
    const note = [inProcess, row.note, also ? `${(secs / also).toFixed(2)}x ${label[row.also!] ?? row.also}` : ''].filter(Boolean).join('; ');
    console.log(`${row.step.padEnd(52)} ${secs.toFixed(2).padStart(7)}  ${ratio.padEnd(44)} ${cpu.toFixed(1).padStart(6)} ${rss.toFixed(0).padStart(12)}  ${note}`);
  }
}

async function main(): Promise<void> {
  if (!process.env.CONTAINERS_CONF) throw new Error('source /var/cache/checkpoint-studio/env.sh first (podman, CRIU and buildah need it)');
  for (const tool of ['buildah', 'pigz', 'zstd', 'tar', 'sha256sum', '/usr/bin/time']) sh(`command -v ${tool} >/dev/null`);
  const dir = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), 'ckpt-bench-build-'));
  const cleanup = () => {
    if (KEEP) return console.log(`kept ${dir}`);
    cleanBuildah(join(dir, 'buildah'));
    rmSync(dir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (cleanup(), process.exit(130)));
  try {
    copySelf(dir);
    const { testPodman } = await import('../test/support/stack.js');
    const hostFile = join(dir, 'host.json');
    writeFileSync(hostFile, JSON.stringify(await testPodman().hostFacts()));
    const real = await realExport(dir);
    console.log(
      `build a checkpoint image from a checkpoint archive; node ${process.version}, ${sh('buildah --version')}, ${sh('pigz --version 2>&1')}, ` +
        `${sh('zstd --version').split(',')[0]}; UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '(default 4)'}`,
    );
    const results: { input: Input; rows: Map<string, Row> }[] = [];
    for (const mib of SIZES) {
      const r = await benchSize(dir, real, mib, hostFile);
      results.push(r);
      print(dir, r.input, r.rows);
    }
    if (results.length > 1) {
      console.log('\npeak RSS of the engine by input size (MiB):');
      for (const [key, row] of results[0]!.rows) {
        if (!key.startsWith('engine-')) continue;
        const cells = results.map((r) => {
          const s = r.rows.get(key);
          return `${r.input.mib} MiB input: ${s && !s.failure ? Math.max(...s.samples.map((x) => x.rssMiB)).toFixed(0).padStart(4) : ' n/a'}`;
        });
        console.log(`  ${row.step.padEnd(42)} ${cells.join('   ')}`);
      }
    }
  } finally {
    cleanup();
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3]!, process.argv[4] as LayerCompression, process.argv[5]!, process.argv[6]!).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
