/**
 * What the image benchmarks share (bench/buildImage.ts, bench/registry.ts): a realistic large checkpoint archive
 * made from a real podman export, steps timed in child processes under GNU time (wall and CPU seconds, peak RSS),
 * rows of samples recorded per step with failures kept, and the table that prints them with ratios.
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, copyFileSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { measured } from '../test/support/measured.js';

export const MiB = 1 << 20;

/**
 * NODE_EXTRA_CA_CERTS as this environment sets it, if it does. Node 20 reads and parses that file as every process
 * starts, before its first line runs: for the system's whole CA bundle, as these machines set it, about 60 ms. No
 * benchmark here speaks TLS and users seldom set it, so every step runs without it; bench/startup.ts shows its cost.
 */
export const EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
if (EXTRA_CA_CERTS !== undefined) {
  delete process.env.NODE_EXTRA_CA_CERTS;
  console.log(`NODE_EXTRA_CA_CERTS=${EXTRA_CA_CERTS} is set here: every step runs without it (Node parses it at each start; npm run bench startup shows the cost)`);
}
const PAGES_FILES = 4;

// ---------------------------------------------------------------------------------------------------------
// The input: a real podman export with large, realistic memory pages.

/** xorshift32: deterministic, fast, good enough to make memory look like memory. */
export class Rng {
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
export function writePages(path: string, bytes: number, rng: Rng): void {
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

export function sh(cmd: string, opts: { quiet?: boolean } = {}): string {
  return execFileSync('bash', ['-o', 'pipefail', '-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', opts.quiet ? 'ignore' : 'inherit'], maxBuffer: 64 * MiB }).trim();
}

/** A real export of a counter container (uncompressed), made once per run with the test helpers. */
export async function realExport(dir: string, containerPrefix: string): Promise<string> {
  const { ensureStack, removeContainers, startCounter, testPodman, uniqueName, waitForCounter } = await import('../test/support/stack.js');
  await ensureStack();
  const name = uniqueName(containerPrefix);
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

export interface CheckpointTar {
  mib: number;
  /** The extracted archive. */
  tree: string;
  tar: string;
  tarBytes: number;
}

/** The real export with its pages files replaced by `mib` MiB of memory-like pages, tarred as podman does. */
export function makeCheckpointTar(dir: string, real: string, mib: number): CheckpointTar {
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
  sh(`tar -C ${tree} -cf ${tar} ${names.join(' ')}`);
  return { mib, tree, tar, tarBytes: statSync(tar).size };
}

// ---------------------------------------------------------------------------------------------------------
// Timing.

export interface Sample {
  secs: number;
  /** User + system CPU seconds of the step's processes: a measure that others' load on the machine moves less. */
  cpu: number;
  rssMiB: number;
  /** The engine's own time for the step, measured inside the child (no Node start). */
  inProcess?: number;
}

/**
 * The children run a copy of the benchmark's bundle from the temp folder: other people's `node scripts/build.mjs`
 * empties out/ while a run goes on. zstd-napi is still found in the project's node_modules (NODE_PATH).
 */
let childScript = __filename;
export function copySelf(dir: string): void {
  childScript = join(dir, basename(__filename));
  copyFileSync(__filename, childScript);
  const modules = dirname(dirname(createRequire(__filename).resolve('zstd-napi/package.json')));
  process.env.NODE_PATH = [modules, process.env.NODE_PATH].filter(Boolean).join(':');
}

/**
 * The child's side of timedChild: runs one engine step and prints its in-process seconds, peak RSS and what it
 * returns as one JSON line. A promise that never settles would let Node exit with 0 and no word: `stalled` says so.
 */
export async function childStep(stalled: string, step: () => Promise<object>): Promise<void> {
  let finished = false;
  process.on('beforeExit', () => {
    if (!finished) {
      console.error(`stalled: the event loop emptied before ${stalled}`);
      process.exit(2);
    }
  });
  const t = process.hrtime.bigint();
  const result = await step();
  finished = true;
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(JSON.stringify({ secs, maxRssKiB: process.resourceUsage().maxRSS, ...result }));
}

/**
 * The bundle's entry: `--STEP args…` runs that child step (a failure exits 1 at once), anything else the
 * benchmark itself.
 */
export function benchEntry(main: () => Promise<void>, children: Record<string, (args: string[]) => Promise<void>>): void {
  const [mode, ...args] = process.argv.slice(2);
  const child = mode === undefined ? undefined : children[mode];
  if (child) {
    child(args).catch((err) => {
      console.error(err);
      process.exit(1);
    });
  } else {
    main().catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
  }
}

/** Runs the benchmark's own bundle (the copy) as a child: `args` tell it which step to run. */
export function timedChild(args: string[]): Promise<Sample & { out: string; err: string }> {
  return timed(process.execPath, [childScript, ...args]);
}

/** Runs one command under GNU time; wall seconds from here, CPU seconds and peak RSS (largest process) from GNU time. */
export async function timed(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Sample & { out: string; err: string }> {
  execFileSync('sync'); // the last step's dirty pages are not this one's cost
  const run = await measured(cmd, args, env);
  if (run.code !== 0) {
    const said = run.stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('Command exited'));
    throw new Error(`${args[0] === childScript ? 'the engine' : cmd} exited with ${run.code}: ${said.slice(-1)[0] ?? 'no message'}`);
  }
  return { secs: run.seconds, cpu: run.cpu, rssMiB: run.rssMiB, out: run.stdout, err: run.stderr };
}

export const bash = (cmd: string) => timed('bash', ['-o', 'pipefail', '-c', cmd]);

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---------------------------------------------------------------------------------------------------------
// Rows and the table.

export interface Row {
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

/** Runs a step unless it failed before; a failure is recorded, and the run goes on with the other steps. */
export async function recordStep<S extends Sample>(
  rows: Map<string, Row>, key: string, name: string, run: () => Promise<S>, extra: (s: S) => Omit<Row, 'step' | 'samples'> = () => ({}),
): Promise<void> {
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
}

/** The median wall seconds of a row, if it ran. */
export function medianSecs(rows: Map<string, Row>, key: string): number | undefined {
  const row = rows.get(key);
  return row && !row.failure && row.samples.length ? median(row.samples.map((s) => s.secs)) : undefined;
}

export const peakRss = (row: Row) => Math.max(...row.samples.map((s) => s.rssMiB));

/**
 * One line per row: median seconds, the ratio to the row it is compared with (and its target), median CPU
 * seconds, the largest peak RSS, and a note (in-process time, the row's note, the ratio to `also`, named by
 * `labels`). Paths under `dir` are shown as $TMP.
 */
export function printRows(dir: string, rows: Map<string, Row>, options: { ratioHeader?: string; labels?: Record<string, string> } = {}): void {
  console.log(`${'step'.padEnd(52)} ${'seconds'.padStart(7)}  ${(options.ratioHeader ?? 'ratio vs baseline').padEnd(44)} ${'CPU s'.padStart(6)} ${'peak RSS MiB'.padStart(12)}  note`);
  const time = (key: string) => medianSecs(rows, key);
  for (const [key, row] of rows) {
    if (row.failure) {
      console.log(`${row.step.padEnd(52)} ${'FAILED'.padStart(7)}  ${row.failure.replaceAll(dir, '$TMP').slice(0, 200)}`);
      continue;
    }
    const secs = time(key)!;
    const rss = peakRss(row);
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
    const inProcess = row.samples[0]?.inProcess === undefined ? '' : `in-process ${median(row.samples.map((x) => x.inProcess!)).toFixed(2)} s`;
    const note = [inProcess, row.note, also ? `${(secs / also).toFixed(2)}x ${options.labels?.[row.also!] ?? row.also}` : ''].filter(Boolean).join('; ');
    console.log(`${row.step.padEnd(52)} ${secs.toFixed(2).padStart(7)}  ${ratio.padEnd(44)} ${cpu.toFixed(1).padStart(6)} ${rss.toFixed(0).padStart(12)}  ${note}`);
  }
}

/** The peak RSS of the rows whose key `pick` accepts, one line per row and one column per input size. */
export function printRssBySize(title: string, results: Array<{ mib: number; rows: Map<string, Row> }>, pick: (key: string) => boolean): void {
  console.log(`\n${title}`);
  for (const [key, row] of results[0]!.rows) {
    if (!pick(key)) continue;
    const cells = results.map((r) => {
      const s = r.rows.get(key);
      return `${r.mib} MiB input: ${s && !s.failure ? peakRss(s).toFixed(0).padStart(4) : ' n/a'}`;
    });
    console.log(`  ${row.step.padEnd(42)} ${cells.join('   ')}`);
  }
}
