/**
 * Listing 500 checkpoint images with their annotations (issue 14, P4), each step its own process under GNU time,
 * in rounds whose order alternates, against the competitor in the same run:
 *   - podman's storage: `ckpt images --location podman --json` (the engine reads containers/storage's files after
 *     one `podman info`) against ONE batched `podman image inspect` of all 500 IDs (IDs found beforehand,
 *     untimed). Also the engine's in-process time, and podman's own way the engine listed before (`podman
 *     images` + one inspect, what it still does when it cannot read the store). Target: <= 1.00x the inspect.
 *   - the embedded store: `ckpt images --location store --json`, and the engine's in-process listing
 *     (Store.listCheckpointImages in a child). Target: <= 100 ms.
 * The input is made once, untimed: 500 checkpoint images built by the engine from small podman-like checkpoint
 * archives (each its own container ID and layer, 25 containers), tagged in an embedded store, and pulled into an
 * ISOLATED podman store of this run's own (--root/--runroot in the temp folder; about a minute). The first round
 * checks every lister found all 500. Everything lives in a temp folder removed at the end.
 *
 *   npm run bench listImages
 *   (or: source /var/cache/checkpoint-studio/env.sh && node scripts/build.mjs && node out/bench/listImages.js)
 * About 3 minutes; it needs podman (CKPT_PODMAN, default podman in PATH) and the built dist/cli.js.
 *
 * BENCH_IMAGES  how many images (default 500)
 * BENCH_ROUNDS  rounds (default 3)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { isolatedStoreArgs, Podman, Store } from '../src/engine/index.js';
import { openLayout } from '../src/engine/layout/index.js';
import { buildFromArchive } from '../src/engine/image/buildFromArchive.js';
import { PodmanExec } from '../src/engine/podman/exec.js';
import { inspectCheckpointImages } from '../src/engine/podman/checkpointImages.js';
import { checkpointEntries, tarOf } from '../test/unit/archive/fixtures.js';
import { benchEntry, childStep, copySelf, median, printRows, recordStep, timed, timedChild, type Row, type Sample } from './checkpointInput.js';

const COUNT = Math.max(1, Number(process.env.BENCH_IMAGES ?? 500));
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const CONTAINERS = 25;
const PODMAN = process.env.CKPT_PODMAN ?? 'podman';
/** The bundles that ship, beside out/ (out/bench/listImages.js → dist/). */
const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js');

// ---------------------------------------------------------------------------------------------------------
// The engine's side, in a child: one listing, its in-process time and how many images it found.

async function listChild(where: string, path: string): Promise<void> {
  await childStep(`listing ${where}`, async () => {
    const globalArgs = isolatedStoreArgs(path);
    const images =
      where === 'podman' ? await new Podman({ podmanPath: PODMAN, globalArgs }).listCheckpointImages()
      : where === 'podman-inspect' ? await inspectCheckpointImages(new PodmanExec({ podmanPath: PODMAN, globalArgs }))
      : await new Store(path, { create: false }).listCheckpointImages();
    return { images: images.length };
  });
}

// ---------------------------------------------------------------------------------------------------------
// The input.

/** COUNT checkpoint images in an embedded store at `store`, each its own container ID (so its own layer). */
async function buildImages(store: string, podman: string): Promise<void> {
  const host = await new Podman({ podmanPath: PODMAN, globalArgs: isolatedStoreArgs(podman) }).hostFactsForBuild();
  const layout = await openLayout(store, { create: true });
  for (let i = 0; i < COUNT; i++) {
    const container = `web-${i % CONTAINERS}`;
    const entries = checkpointEntries().map((e) =>
      e.name === 'config.dump'
        ? { ...e, body: JSON.stringify({ id: randomBytes(32).toString('hex'), name: container, rootfsImageName: 'localhost/busybox:latest', rootfsImageID: 'abc123', runtime: 'runc', createdTime: '2026-01-02T03:04:05Z' }) }
        : e,
    );
    await buildFromArchive(layout, Readable.from([tarOf(entries)]), `${container}-${i}`, { host, compression: 'none' });
  }
  await layout.close();
}

/**
 * The store's images pulled into podman's storage in ONE `podman pull`: each through a one-image layout of its
 * own (its blobs the store's), which podman names after the folder.
 */
async function pullIntoPodman(dir: string, store: string, podman: string): Promise<string[]> {
  const layout = await openLayout(store);
  const sources: string[] = [];
  for (const { name, descriptor } of await layout.tags()) {
    const one = join(dir, 'pull', name);
    mkdirSync(one, { recursive: true });
    symlinkSync(join(store, 'blobs'), join(one, 'blobs'));
    writeFileSync(join(one, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(join(one, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size }] }));
    sources.push(`oci:${one}`);
  }
  const args = isolatedStoreArgs(podman);
  execFileSync(PODMAN, [...args, 'pull', '-q', ...sources], { stdio: ['ignore', 'ignore', 'inherit'] });
  return execFileSync(PODMAN, [...args, 'images', '-q', '--no-trunc'], { encoding: 'utf8' }).split('\n').filter(Boolean).map((id) => id.replace(/^sha256:/, ''));
}

// ---------------------------------------------------------------------------------------------------------
// The run.

interface ListSample extends Sample {
  /** Images the step listed, checked in the first round. */
  found: number;
  /** The engine's own milliseconds (no Node start), for the child steps. */
  ms?: number;
}

async function main(): Promise<void> {
  // Podman names a pulled layout after its path, and names are lower case: no mkdtemp's capitals.
  const dir = join(process.env.TMPDIR ?? tmpdir(), `ckpt-bench-list-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir);
  const store = join(dir, 'store');
  const podman = join(dir, 'podman');
  try {
    copySelf(dir);
    console.log(`making ${COUNT} checkpoint images (engine builds into ${store.replace(dir, '$TMP')}, one podman pull into an isolated store)...`);
    let t = Date.now();
    await buildImages(store, podman);
    const built = (Date.now() - t) / 1000;
    t = Date.now();
    const ids = await pullIntoPodman(dir, store, podman);
    console.log(`  built in ${built.toFixed(1)} s, pulled in ${((Date.now() - t) / 1000).toFixed(1)} s; podman has ${ids.length} images`);

    const args = isolatedStoreArgs(podman);
    const jsonCount = (out: string) => (JSON.parse(out) as unknown[]).length;
    const child = async (...a: string[]): Promise<ListSample> => {
      const r = await timedChild(a);
      const said = JSON.parse(r.out.trim().split('\n').pop()!) as { secs: number; images: number };
      return { ...r, found: said.images, ms: said.secs * 1000 };
    };
    const steps: Array<[key: string, name: string, run: () => Promise<ListSample>, extra?: Omit<Row, 'step' | 'samples'>]> = [
      ['inspect', `podman image inspect (${ids.length} IDs, one call)`, async () => {
        const r = await timed(PODMAN, [...args, 'image', 'inspect', '--', ...ids]);
        return { ...r, found: jsonCount(r.out) };
      }],
      ['ckpt-podman', 'ckpt images --location podman --json', async () => {
        const r = await timed(process.execPath, [CLI, 'images', '--location', 'podman', '--podman-store', podman, '--json']);
        return { ...r, found: jsonCount(r.out) };
      }, { vs: 'inspect', target: 1 }],
      ['engine-podman', 'engine: Podman.listCheckpointImages (child)', () => child('--list', 'podman', podman), { vs: 'inspect', target: 1 }],
      ['engine-before', 'engine before P4: podman images + inspect (child)', () => child('--list', 'podman-inspect', podman), { vs: 'inspect' }],
      ['ckpt-store', 'ckpt images --location store --json', async () => {
        const r = await timed(process.execPath, [CLI, 'images', '--location', 'store', '--store', store, '--json']);
        return { ...r, found: jsonCount(r.out) };
      }],
      ['engine-store', 'engine: Store.listCheckpointImages (child)', () => child('--list', 'store', store)],
    ];
    const rows = new Map<string, Row>();
    for (let round = 0; round < ROUNDS; round++) {
      // Who goes first alternates, so no step always meets the machine warmed by the same neighbour.
      for (const [key, name, run, extra] of round % 2 === 0 ? steps : [...steps].reverse()) {
        await recordStep(rows, key, name, async () => {
          const s = await run();
          if (s.found !== COUNT) throw new Error(`listed ${s.found} images, not ${COUNT}`);
          return s;
        }, () => extra ?? {});
      }
    }
    for (const row of rows.values()) {
      const ms = (row.samples as ListSample[]).map((s) => s.ms).filter((x) => x !== undefined);
      if (ms.length) row.note = `in-process ${median(ms).toFixed(0)} ms (samples ${ms.map((x) => x.toFixed(0)).join(', ')})`;
    }
    console.log(`\n== listing ${COUNT} checkpoint images, median of ${ROUNDS} rounds; ${execFileSync(PODMAN, ['--version'], { encoding: 'utf8' }).trim()}, node ${process.version} ==`);
    printRows(dir, rows);
    const store_ = rows.get('engine-store');
    if (store_ && !store_.failure) {
      const ms = median((store_.samples as ListSample[]).map((s) => s.ms!));
      console.log(`\nembedded store, ${COUNT} images in-process: ${ms.toFixed(0)} ms (target <= 100 ms ${ms <= 100 ? 'met' : 'NOT MET'})`);
    }
  } finally {
    // No container ever ran in the isolated store, so nothing of it is mounted: the folder goes as it is.
    rmSync(dir, { recursive: true, force: true });
  }
}

benchEntry(main, { '--list': ([where, path]) => listChild(where!, path!) });
