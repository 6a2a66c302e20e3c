/**
 * Start-up (issue 14): people run `ckpt` as a process many times, and the extension is activated at each window's
 * start or first use, so the cost of starting counts. Each step runs as its own process under GNU time, in rounds
 * whose order alternates; the table shows medians in milliseconds beside Node's floor (`node -e 0`) and the
 * competitor doing the same kind of thing (podman and skopeo are Go binaries: they pay no interpreter start).
 *   - `ckpt --version` and `ckpt --help` (they load none of the engine) against `podman --version`, `skopeo --version`
 *   - `ckpt images --location store` on an empty embedded store against `podman images` (its storage, here empty)
 *   - `ckpt host --json` (podman info and CRIU, read by the engine) against `podman info --format json`
 *   - the extension: dist/extension.js loaded and `activate()` called in a plain Node process with a stand-in for
 *     the `vscode` module (no VS Code here can be timed per round; the stand-in only records what activation asks
 *     of VS Code, so the figure is the extension's own module load and activation, not the workbench's). What
 *     activation did is printed: commands registered, views created, processes started (podman is the stand-in
 *     `true`, so nothing reaches a real podman).
 *
 *   npm run bench startup
 *   (or: source /var/cache/checkpoint-studio/env.sh && node scripts/build.mjs && node out/bench/startup.js)
 * Under a minute; it needs podman and skopeo (the test stack's).
 *
 * BENCH_ROUNDS  rounds (default 11)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import Module from 'node:module';
import childProcess from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { benchEntry, childStep, EXTRA_CA_CERTS, median, recordStep, timed, timedChild, type Row, type Sample } from './checkpointInput.js';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 11));
/** The bundles that ship, beside out/ (out/bench/startup.js → dist/). */
const DIST = resolve(__dirname, '..', '..', 'dist');

// ---------------------------------------------------------------------------------------------------------
// The extension's side: load and activate dist/extension.js with a stand-in for `vscode`, in this child.

/** What activation asked of VS Code and of the system. */
interface Activity {
  commands: string[];
  views: string[];
  contexts: string[];
  spawned: string[];
}

/**
 * Just enough of the `vscode` module for module load and activate(): explicit where activation reads a value
 * (settings, tree views hidden, as when a command activates the extension), anything else an inert class.
 */
function standIn(activity: Activity, storePath: string): object {
  const disposable = { dispose() {} };
  const event = () => disposable;
  const inert: object = new Proxy(class {}, { get: (target, key) => (key in target ? target[key as keyof typeof target] : inert) });
  const settings: Record<string, unknown> = { podmanPath: 'true', storePath };
  const channel = new Proxy({ name: 'Checkpoint Studio', onDidChangeLogLevel: event }, { get: (target, key) => (key in target ? target[key as keyof typeof target] : () => {}) });
  const api = {
    EventEmitter: class {
      event = event;
      fire() {}
      dispose() {}
    },
    Uri: { joinPath: (base: { path: string }, ...parts: string[]) => ({ path: join(base.path, ...parts) }), file: (path: string) => ({ path }) },
    window: {
      createOutputChannel: () => channel,
      createTreeView: (id: string) => {
        activity.views.push(id);
        return { visible: false, onDidChangeVisibility: event, dispose() {} };
      },
    },
    commands: {
      registerCommand: (id: string) => (activity.commands.push(id), disposable),
      executeCommand: (id: string, ...args: unknown[]) => (activity.contexts.push(`${id} ${args.join(' ')}`), Promise.resolve()),
    },
    workspace: { getConfiguration: () => ({ get: (key: string) => settings[key] }), onDidChangeConfiguration: event, workspaceFolders: undefined },
  };
  // Through the prototype: esbuild's namespace for `import * as vscode` copies own keys and inherits the rest.
  return Object.setPrototypeOf(api, new Proxy({}, { get: () => inert }));
}

async function activateChild([dist, storePath]: string[]): Promise<void> {
  const activity: Activity = { commands: [], views: [], contexts: [], spawned: [] };
  const vscode = standIn(activity, storePath!);
  const load = (Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load;
  (Module as unknown as { _load: typeof load })._load = (request, ...rest) => (request === 'vscode' ? vscode : load(request, ...rest));
  const spawn = childProcess.spawn;
  childProcess.spawn = ((cmd: string, args: string[] = [], ...rest: never[]) => {
    activity.spawned.push([cmd, ...args].join(' '));
    return spawn(cmd, args, ...rest);
  }) as typeof spawn;
  const memento = { get: (_key: string, fallback: unknown) => fallback, update: () => Promise.resolve(), keys: () => [] };
  const context = {
    subscriptions: [] as { dispose(): void }[],
    globalState: memento,
    workspaceState: memento,
    secrets: { onDidChange: () => ({ dispose() {} }), get: () => Promise.resolve(undefined) },
    extensionUri: { path: resolve(dist!, '..') },
    logUri: { path: tmpdir() },
  };
  await childStep('activate() returned', async () => {
    const started = process.hrtime.bigint();
    const extension = require(join(dist!, 'extension.js')) as { activate(c: typeof context): unknown };
    const loaded = process.hrtime.bigint();
    extension.activate(context);
    const activated = process.hrtime.bigint();
    // What activation started runs on after it returns: give it a moment to show itself, then stop it.
    await new Promise((r) => setTimeout(r, 300));
    for (const d of context.subscriptions) d.dispose();
    return { loadMs: Number(loaded - started) / 1e6, activateMs: Number(activated - loaded) / 1e6, activity };
  });
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------------------
// The run.

interface StartSample extends Sample {
  /** The extension's module load and activate() in milliseconds (in-process). */
  loadMs?: number;
  activateMs?: number;
}

type Step = [key: string, name: string, run: () => Promise<StartSample>, extra?: Omit<Row, 'step' | 'samples'>];

/** What NODE_EXTRA_CA_CERTS, where this environment sets it, adds to every Node start (the other steps run without it). */
function withExtraCaCerts(file: string | undefined): Step[] {
  if (file === undefined) return [];
  return [['node-ca', 'node -e 0 with NODE_EXTRA_CA_CERTS as set here', () => timed(process.execPath, ['-e', '0'], { NODE_EXTRA_CA_CERTS: file })]];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), 'ckpt-bench-startup-'));
  const store = join(dir, 'store');
  const ckpt = (...args: string[]) => timed(process.execPath, [join(DIST, 'cli.js'), ...args]);
  let activity: Activity | undefined;
  const steps: Step[] = [
    ['node', 'node -e 0 (Node\'s floor)', () => timed(process.execPath, ['-e', '0'])],
    ...withExtraCaCerts(EXTRA_CA_CERTS),
    ['podman-version', 'podman --version', () => timed('podman', ['--version'])],
    ['skopeo-version', 'skopeo --version', () => timed('skopeo', ['--version'])],
    ['ckpt-version', 'ckpt --version', () => ckpt('--version'), { vs: 'podman-version', also: 'node' }],
    ['ckpt-help', 'ckpt --help', () => ckpt('--help'), { vs: 'podman-version', also: 'node' }],
    ['podman-images', 'podman images', () => timed('podman', ['images'])],
    ['ckpt-images', 'ckpt images --location store (empty store)', () => ckpt('images', '--location', 'store', '--store', store), { vs: 'podman-images', also: 'node' }],
    ['podman-info', 'podman info --format json', () => timed('podman', ['info', '--format', 'json'])],
    ['ckpt-host', 'ckpt host --json', () => ckpt('host', '--json'), { vs: 'podman-info' }],
    // In-process milliseconds: the child also waits to see what activation started, which is not activation
    // (its CPU and RSS are the whole child's).
    ['extension', 'extension: load + activate() (vscode stand-in)', async () => {
      const r = await timedChild(['--activate', DIST, store]);
      const parsed = JSON.parse(r.out) as { loadMs: number; activateMs: number; activity: Activity };
      activity = parsed.activity;
      return { ...r, secs: (parsed.loadMs + parsed.activateMs) / 1000, loadMs: parsed.loadMs, activateMs: parsed.activateMs };
    }],
  ];
  const rows = new Map<string, Row>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Who goes first alternates, so no step always meets the machine warmed by the same neighbour.
      for (const [key, name, run, extra] of round % 2 === 0 ? steps : [...steps].reverse()) {
        await recordStep(rows, key, name, run, () => extra ?? {});
      }
    }
    print(rows, steps.map(([key]) => key), activity);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(rows: Map<string, Row>, order: string[], activity: Activity | undefined): void {
  console.log(`\n== start-up, median of ${ROUNDS} rounds, each step its own process (GNU time); node ${process.version} ==`);
  console.log(`${'step'.padEnd(50)} ${'ms'.padStart(6)}  ${'vs'.padEnd(30)} ${'CPU ms'.padStart(6)} ${'RSS MiB'.padStart(7)}  note`);
  const ms = (key: string | undefined) => {
    const row = key ? rows.get(key) : undefined;
    return row && !row.failure ? median(row.samples.map((s) => s.secs)) * 1000 : undefined;
  };
  for (const key of order) {
    const row = rows.get(key)!;
    if (row.failure) {
      console.log(`${row.step.padEnd(50)} FAILED  ${row.failure.slice(0, 200)}`);
      continue;
    }
    const own = ms(key)!;
    const base = ms(row.vs);
    const vs = base === undefined ? '' : `${(own / base).toFixed(2)}x ${rows.get(row.vs!)!.step}`;
    const samples = row.samples as StartSample[];
    const notes = [
      row.also ? `node's floor ${signed(own - ms(row.also)!)} ms` : '',
      samples[0]?.loadMs === undefined ? '' : `in-process (no Node start): module load ${median(samples.map((s) => s.loadMs!)).toFixed(1)} ms, activate() ${median(samples.map((s) => s.activateMs!)).toFixed(1)} ms`,
    ].filter(Boolean);
    const cpu = median(row.samples.map((s) => s.cpu)) * 1000;
    const rss = Math.max(...row.samples.map((s) => s.rssMiB));
    console.log(`${row.step.padEnd(50)} ${own.toFixed(0).padStart(6)}  ${vs.padEnd(30)} ${cpu.toFixed(0).padStart(6)} ${rss.toFixed(0).padStart(7)}  ${notes.join('; ')}`);
  }
  if (!activity) return;
  console.log('\nWhat activate() did (views hidden, as when a command activates the extension; podman is `true`):');
  console.log(`  commands registered: ${activity.commands.length}; tree views created: ${activity.views.join(', ') || 'none'}`);
  console.log(`  setContext and other commands run: ${activity.contexts.join('; ') || 'none'}`);
  console.log(`  processes started within 300 ms: ${activity.spawned.join('; ') || 'none'}`);
}

const signed = (n: number) => `${n < 0 ? '-' : '+'}${Math.abs(n).toFixed(0)}`;

benchEntry(main, { '--activate': activateChild });
