/**
 * Pushing and pulling a large checkpoint image to and from a registry on loopback (issues 5 and 14): `ckpt copy`
 * (dist/cli.js, as users run it: its process start and engine load count) against `skopeo copy` of the same image,
 * in the same script, to the same kind of registry (CNCF distribution, /usr/bin/docker-registry, started by the
 * tests' helper). Targets: no slower than skopeo (ratio <= 1.00), peak RSS under 128 MiB and flat in the image size.
 *   - push: `ckpt copy oci:LAYOUT:TAG docker://127.0.0.1:PORT/...` against `skopeo copy` of the same
 *   - pull: `ckpt copy docker://... oci:FRESHDIR:TAG` into a fresh empty layout, against `skopeo copy` of the same
 * The input is the one bench/buildImage.ts uses (a real podman export with its pages files replaced by
 * memory-like ones), built once per size into an OCI layout with a gzip layer (untimed). Each round starts two
 * fresh, empty registries, one per tool, so no blob is ever there already (no HEAD skip, no cross-repository
 * mount, no reuse from skopeo's blob info cache, whose entries name another host:port); each tool pushes
 * to and pulls from its own. The order of the tools alternates from round to round. Every step runs in its
 * own process under GNU time (wall and CPU time, peak RSS of that process). The first round checks that both tools moved the image
 * as it is: the same manifest digest in both registries and in both pulled layouts, the same layer blob
 * (skopeo copies OCI to OCI without recompressing). Everything lives in a temp folder removed at the end.
 *
 *   npm run bench registry
 *   (or: source /var/cache/checkpoint-studio/env.sh && node scripts/build.mjs && node out/bench/registry.js)
 * About 2 minutes for both sizes (half of it making the inputs); it needs skopeo, docker-registry and the
 * checkpoint stack of the tests.
 *
 * BENCH_SIZES   MiB of memory pages per input, comma-separated (default 256,1024)
 * BENCH_ROUNDS  rounds per size (default 5: a step at 256 MiB takes under half a second, where 3 rounds left the
 *               ratio to the machine's noise)
 * BENCH_KEEP=1  keep the temp folder (inputs, layouts; the registries are stopped all the same)
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostFacts } from '../src/engine/index.js';
import { buildFromArchive } from '../src/engine/image/buildFromArchive.js';
import { openLayout } from '../src/engine/layout/index.js';
import { startRegistry, type TestRegistry } from '../test/support/registry.js';
import { makeCheckpointTar, MiB, peakRss, printRows, printRssBySize, realExport, recordStep, sh, timed, type Row, type Sample } from './checkpointInput.js';

const SIZES = (process.env.BENCH_SIZES ?? '256,1024').split(',').map(Number).filter((n) => n > 0);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const KEEP = process.env.BENCH_KEEP === '1';
const TAG = 'bench';
const TARGET_RSS_MIB = 128;
/** The peak RSS at the largest size may be this much of the smallest's and still count as flat. */
const FLAT = 1.1;

// ---------------------------------------------------------------------------------------------------------
// The input: the checkpoint archive of bench/checkpointInput.ts, built into an OCI layout with a gzip layer.

interface Input {
  mib: number;
  tarBytes: number;
  layout: string;
  /** The manifest's digest, and the gzip layer's digest and size. */
  manifest: string;
  layer: { digest: string; size: number };
}

async function makeInput(dir: string, real: string, mib: number, host: HostFacts): Promise<Input> {
  const { tree, tar, tarBytes } = makeCheckpointTar(dir, real, mib);
  const path = join(dir, `image-${mib}`);
  const layout = await openLayout(path, { create: true });
  const built = await buildFromArchive(layout, tar, TAG, { host, compression: 'gzip' });
  const manifest = (await layout.resolve(TAG)).digest;
  await layout.close();
  rmSync(tree, { recursive: true, force: true });
  rmSync(tar, { force: true });
  return { mib, tarBytes, layout: path, manifest, layer: { digest: built.layer.digest, size: built.layer.size } };
}

// ---------------------------------------------------------------------------------------------------------
// The steps.

/** The CLI that ships, beside out/ (out/bench/registry.js -> dist/cli.js). */
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const ckpt = (from: string, to: string) => timed(process.execPath, [CLI, 'copy', from, to]);
const skopeo = (from: string, to: string) => timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', from, to]);

/** Registries for the run, each on a port none before it had: skopeo's blob info cache then knows no blob there. */
const seenHosts = new Set<string>();
async function freshRegistry(): Promise<TestRegistry> {
  for (;;) {
    const registry = await startRegistry('none');
    if (!seenHosts.has(registry.host)) {
      seenHosts.add(registry.host);
      return registry;
    }
    await registry.stop();
  }
}

/**
 * What a tool changed on the way, if anything: the manifest its registry serves for the tag, the manifest its
 * pulled layout names and that layout's layer blob must be the source's. (Both tools check each blob's digest
 * as they write it, so a blob of the layer's digest and size is the layer.)
 */
async function changes(registry: TestRegistry, repository: string, pulledPath: string, input: Input): Promise<string[]> {
  const found: string[] = [];
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/v1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const served = res.headers.get('docker-content-digest');
  if (served !== input.manifest) found.push(`the registry serves ${served ?? `no manifest (${res.status})`} (${res.headers.get('content-type')})`);
  try {
    const index = JSON.parse(readFileSync(join(pulledPath, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
    const named = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === TAG)?.digest;
    if (named !== input.manifest) found.push(`the pulled layout names ${named ?? 'nothing'}`);
    const size = statSync(join(pulledPath, 'blobs', 'sha256', input.layer.digest.slice('sha256:'.length)), { throwIfNoEntry: false })?.size;
    if (size !== input.layer.size) found.push(`the pulled layout has ${size === undefined ? 'no blob' : `${size} bytes`} for the layer's digest`);
  } catch (err) {
    found.push(`the pulled layout cannot be read (${(err as Error).message})`);
  }
  return found;
}

interface SizeResult {
  input: Input;
  rows: Map<string, Row>;
  /** What each tool changed on the way, checked in the first round. */
  changed: Record<'engine' | 'skopeo', string[]>;
}

const ORDER = ['skopeo-push', 'engine-push', 'skopeo-pull', 'engine-pull'];

async function benchSize(dir: string, real: string, mib: number, host: HostFacts): Promise<SizeResult> {
  const input = await makeInput(dir, real, mib, host);
  const rows = new Map<string, Row>();
  const changed: SizeResult['changed'] = { engine: [], skopeo: [] };
  const rate = (s: Sample) => `${(input.layer.size / MiB / s.secs).toFixed(0)} MiB/s`;
  for (let round = 0; round < ROUNDS; round++) {
    const registries = { engine: await freshRegistry(), skopeo: await freshRegistry() };
    const repo = { engine: `bench/engine-${mib}-${round}`, skopeo: `bench/skopeo-${mib}-${round}` };
    const pulled = { engine: join(dir, `pulled-engine-${mib}-${round}`), skopeo: join(dir, `pulled-skopeo-${mib}-${round}`) };
    const push = {
      engine: () => recordStep(rows, 'engine-push', 'ckpt copy oci: docker:// (push)', () => ckpt(`oci:${input.layout}:${TAG}`, `docker://${registries.engine.host}/${repo.engine}:v1`),
        (s) => ({ vs: 'skopeo-push', target: 1, note: rate(s) })),
      skopeo: () => recordStep(rows, 'skopeo-push', 'skopeo copy oci: docker:// (push)', () => skopeo(`oci:${input.layout}:${TAG}`, `docker://${registries.skopeo.host}/${repo.skopeo}:v1`),
        (s) => ({ note: rate(s) })),
    };
    const pull = {
      engine: () => recordStep(rows, 'engine-pull', 'ckpt copy docker:// oci: (pull)', () => ckpt(`docker://${registries.engine.host}/${repo.engine}:v1`, `oci:${pulled.engine}:${TAG}`),
        (s) => ({ vs: 'skopeo-pull', target: 1, note: rate(s) })),
      skopeo: () => recordStep(rows, 'skopeo-pull', 'skopeo copy docker:// oci: (pull)', () => skopeo(`docker://${registries.skopeo.host}/${repo.skopeo}:v1`, `oci:${pulled.skopeo}:${TAG}`),
        (s) => ({ note: rate(s) })),
    };
    try {
      // Who goes first alternates, so both see the machine in each state.
      const order = round % 2 === 0 ? (['skopeo', 'engine'] as const) : (['engine', 'skopeo'] as const);
      for (const tool of order) await push[tool]();
      for (const tool of order) await pull[tool]();
      if (round === 0) for (const tool of order) changed[tool] = await changes(registries[tool], repo[tool], pulled[tool], input);
    } finally {
      await Promise.all([registries.engine.stop(), registries.skopeo.stop()]);
      if (!KEEP) for (const p of Object.values(pulled)) rmSync(p, { recursive: true, force: true });
    }
  }
  const ordered = new Map(ORDER.filter((k) => rows.has(k)).map((k) => [k, rows.get(k)!]));
  return { input, rows: ordered, changed };
}

function print(dir: string, { input, rows, changed }: SizeResult): void {
  console.log(
    `\n== ${input.mib} MiB of memory pages: archive.tar ${(input.tarBytes / MiB).toFixed(0)} MiB, ` +
      `image with a gzip layer of ${(input.layer.size / MiB).toFixed(0)} MiB (1/${(input.tarBytes / input.layer.size).toFixed(2)}); ` +
      `median of ${ROUNDS} round(s), two fresh registries each ==`,
  );
  printRows(dir, rows, { ratioHeader: 'ratio vs skopeo' });
  for (const tool of ['engine', 'skopeo'] as const) {
    const found = changed[tool];
    console.log(
      found.length === 0
        ? `  ${tool}: moved the image as it is: its registry serves and its pulled layout names manifest ${input.manifest.slice(0, 19)}…, with the gzip layer blob unchanged (no decompression or recompression)`
        : `  ${tool}: CHANGED the image on the way, not like for like: ${found.join('; ')}`,
    );
  }
  for (const key of ['engine-push', 'engine-pull']) {
    const row = rows.get(key);
    if (!row || row.failure) continue;
    const rss = peakRss(row);
    console.log(`  ${key}: peak RSS ${rss.toFixed(0)} MiB, target < ${TARGET_RSS_MIB} MiB ${rss < TARGET_RSS_MIB ? 'met' : 'NOT MET'}`);
  }
}

function printFlat(results: SizeResult[]): void {
  printRssBySize('peak RSS by input size (MiB):', results.map((r) => ({ mib: r.input.mib, rows: r.rows })), () => true);
  const first = results[0]!;
  const last = results.at(-1)!;
  for (const key of ['engine-push', 'engine-pull']) {
    const a = first.rows.get(key);
    const b = last.rows.get(key);
    if (!a || !b || a.failure || b.failure) continue;
    const growth = peakRss(b) / peakRss(a);
    const image = last.input.layer.size / first.input.layer.size;
    console.log(`  ${key}: ${growth.toFixed(2)}x the peak RSS for ${image.toFixed(1)}x the layer, target flat (<= ${FLAT.toFixed(2)}x) ${growth <= FLAT ? 'met' : 'NOT MET'}`);
  }
}

async function main(): Promise<void> {
  if (!process.env.CONTAINERS_CONF) throw new Error('source /var/cache/checkpoint-studio/env.sh first (podman and CRIU need it)');
  for (const tool of ['skopeo', '/usr/bin/docker-registry', 'tar', '/usr/bin/time']) sh(`command -v ${tool} >/dev/null`);
  const dir = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), 'ckpt-bench-registry-'));
  const cleanup = () => {
    if (KEEP) return console.log(`kept ${dir}`);
    rmSync(dir, { recursive: true, force: true });
  };
  // The registries go with this process (test/support/registry.ts kills them on exit).
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (cleanup(), process.exit(130)));
  try {
    const { testPodman } = await import('../test/support/stack.js');
    const host = await testPodman().hostFacts();
    const real = await realExport(dir, 'bench-registry');
    console.log(
      `push and pull a checkpoint image to and from a registry on loopback; node ${process.version}, ${sh('skopeo --version')}, ` +
        `registry ${sh('/usr/bin/docker-registry --version').split(' ').slice(1).join(' ')}`,
    );
    const results: SizeResult[] = [];
    for (const mib of SIZES) {
      const r = await benchSize(dir, real, mib, host);
      results.push(r);
      print(dir, r);
      if (!KEEP) rmSync(r.input.layout, { recursive: true, force: true });
    }
    if (results.length > 1) printFlat(results);
  } finally {
    cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
