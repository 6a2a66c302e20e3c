/**
 * Building a checkpoint image from a large checkpoint archive (issue 4): the engine's one-pass
 * `buildFromArchive` into the embedded store, against the baselines run in the same script on the same input:
 *   - uncompressed layer: the recipe checkpointctl and the Kubernetes docs give (buildah from scratch, add,
 *     config --annotation, commit; buildah stores the layer uncompressed), timed end to end. Target: 3x faster.
 *   - gzip layer: `pigz -1 -p2 < archive.tar | sha256sum` (from a .tar.zst: `zstd -dc archive.tar.zst | pigz ...`),
 *     the best this machine does, and `tar -c <extracted archive> | pigz -1 -p2 | sha256sum`. Target (issue 14):
 *     at most 1.2x the first, although the engine also parses, checks and re-packs the tar, hashes it uncompressed
 *     (diff_id) and writes the blob (fsynced).
 *   - zstd layer: `zstd -3 -T2 < archive.tar | sha256sum`, for information.
 * Every step runs in its own process (GNU time gives its CPU time and peak RSS; the engine's wall time
 * includes Node's start, about 0.15 s); steps alternate over BENCH_ROUNDS rounds and the median is printed. The input is a real podman export (a counter container checkpointed with
 * `--compress none`) whose checkpoint/pages-N.img files are replaced by large ones with memory-like content,
 * tarred as podman writes it and also zstd-compressed (podman's default). Everything lives in a temp folder
 * that is removed at the end, buildah's isolated store with it.
 *
 *   npm run bench buildImage
 *   (or: source /var/cache/checkpoint-studio/env.sh && node scripts/build.mjs && node out/bench/buildImage.js)
 * About 15 minutes for both sizes; it needs buildah, pigz, zstd and the checkpoint stack of the tests.
 *
 * BENCH_SIZES   MiB of memory pages per input, comma-separated (default 256,1024)
 * BENCH_INPUTS  archive compressions to build from: none,zstd (default both)
 * BENCH_ROUNDS  rounds per size (default 3)
 * BENCH_SKIP    steps to leave out, comma-separated: buildah, pigz, engine-none, engine-gzip, engine-zstd
 * BENCH_KEEP=1  keep the temp folder (inputs, buildah store) for a closer look
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { HostFacts } from '../src/engine/index.js';
import { buildFromArchive } from '../src/engine/image/buildFromArchive.js';
import type { LayerCompression } from '../src/engine/image/layer.js';
import { openLayout } from '../src/engine/layout/index.js';
import { bash, benchEntry, childStep, copySelf, makeCheckpointTar, MiB, printRows, printRssBySize, realExport, recordStep, sh, timed, timedChild, type CheckpointTar, type Row, type Sample } from './checkpointInput.js';

const SIZES = (process.env.BENCH_SIZES ?? '256,1024').split(',').map(Number).filter((n) => n > 0);
const INPUTS = (process.env.BENCH_INPUTS ?? 'none,zstd').split(',').filter((s): s is 'none' | 'zstd' => s === 'none' || s === 'zstd');
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const KEEP = process.env.BENCH_KEEP === '1';

// ---------------------------------------------------------------------------------------------------------
// The engine's side: one build in a child process, so its peak RSS is its own.

async function child(archive: string, compression: LayerCompression, store: string, hostFile: string): Promise<void> {
  const host = JSON.parse(readFileSync(hostFile, 'utf8')) as HostFacts;
  await childStep(`buildFromArchive settled (${basename(archive)}, ${compression} layer)`, async () => {
    const layout = await openLayout(store, { create: true });
    const built = await buildFromArchive(layout, archive, 'bench', { host, compression });
    await layout.close();
    return { layer: built.layer };
  });
}

// ---------------------------------------------------------------------------------------------------------
// The input: the archive from bench/checkpointInput.ts, also zstd-compressed.

/** The archive as podman writes it (its extracted tree too, for `tar -c | pigz`), and zstd-compressed. */
interface Input extends CheckpointTar {
  zst: string;
  zstBytes: number;
  gzipBytes: number;
}

function makeInput(dir: string, real: string, mib: number): Input {
  const input = makeCheckpointTar(dir, real, mib);
  const { tar } = input;
  const zst = `${tar}.zst`;
  // From stdin and level 3, as podman's streaming writer does.
  sh(`zstd -q -3 -T2 -c < ${tar} > ${zst}`);
  const gzipBytes = Number(sh(`pigz -1 -p2 -c < ${tar} | wc -c`));
  return { ...input, zst, zstBytes: statSync(zst).size, gzipBytes };
}

// ---------------------------------------------------------------------------------------------------------
// Timing.

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

async function engine(dir: string, archive: string, compression: LayerCompression, hostFile: string, verify: boolean): Promise<EngineSample> {
  const store = join(dir, `store-${compression}`);
  try {
    const r = await timedChild(['--child', archive, compression, store, hostFile]);
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

// ---------------------------------------------------------------------------------------------------------

async function benchSize(dir: string, real: string, mib: number, hostFile: string): Promise<{ input: Input; rows: Map<string, Row> }> {
  const input = makeInput(dir, real, mib);
  const rows = new Map<string, Row>();
  const step = <S extends Sample>(key: string, name: string, run: () => Promise<S>, extra?: (s: S) => Omit<Row, 'step' | 'samples'>) => recordStep(rows, key, name, run, extra);
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
          : layer === 'gzip' ? { vs: from === 'none' ? 'pigz-tar' : 'pigz-zst', target: 1.2, also: from === 'none' ? 'pigz-tree' : 'pigz-tar' }
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
  printRows(dir, rows, { labels: { 'pigz-tar': 'pigz < archive.tar', 'pigz-zst': 'zstd -dc | pigz' } });
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
    const real = await realExport(dir, 'bench-build');
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
      printRssBySize('peak RSS of the engine by input size (MiB):', results.map((r) => ({ mib: r.input.mib, rows: r.rows })), (key) => key.startsWith('engine-'));
    }
  } finally {
    cleanup();
  }
}

benchEntry(main, { '--child': ([archive, compression, store, hostFile]) => child(archive!, compression as LayerCompression, store!, hostFile!) });
