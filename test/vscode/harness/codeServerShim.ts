/**
 * Stands in for the VS Code executable that @vscode/test-electron launches: takes its command line
 * (--extensionDevelopmentPath=, --extensionTestsPath=, --user-data-dir=, --extensions-dir=, a folder),
 * starts code-server, opens the workbench with that payload in Chromium, and exits with the code the
 * workbench reports through window.codeAutomationExit once the in-host tests settle.
 * Bundled by ./build.mjs into node_modules/.cache/checkpoint-studio/codeServerShim.js; runInHost.ts uses it.
 *
 * Environment (test-electron's extensionTestsEnv reaches it, and through code-server the extension host):
 *   CKPT_VSCODE_RUN_DIR    state folder (default: a temporary one, removed after a passing run)
 *   CKPT_VSCODE_ARTIFACTS  where the final screenshot goes (default <run dir>/artifacts, on failure only)
 *   CKPT_VSCODE_TIMEOUT_MS give up after this long (default 600000)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Workbench } from './browser.js';
import { startCodeServer, type CodeServer } from './codeServer.js';

interface ShimArgs {
  extensionDevelopmentPath: string[];
  extensionTestsPath?: string;
  userDataDir?: string;
  extensionsDir?: string;
  folder?: string;
}

const VALUE_FLAGS = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'user-data-dir', 'extensions-dir']);
// Desktop/Electron switches test-electron always passes; they mean nothing to a server and a browser.
const IGNORED_FLAGS = new Set(['no-sandbox', 'disable-gpu-sandbox', 'disable-gpu', 'disable-updates', 'skip-welcome',
  'skip-release-notes', 'disable-workspace-trust', 'new-window', 'disable-telemetry']);

function parseArgs(argv: string[]): ShimArgs {
  const out: ShimArgs = { extensionDevelopmentPath: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      out.folder ??= resolve(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (!VALUE_FLAGS.has(name)) {
      if (!IGNORED_FLAGS.has(name)) process.stderr.write(`[code-server shim] ignoring unsupported ${arg}\n`);
      continue;
    }
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new Error(`${arg} needs a value`);
    if (name === 'extensionDevelopmentPath') out.extensionDevelopmentPath.push(resolve(value));
    else if (name === 'extensionTestsPath') out.extensionTestsPath = resolve(value);
    else if (name === 'user-data-dir') out.userDataDir = resolve(value);
    else out.extensionsDir = resolve(value);
  }
  return out;
}

/** Settings the launcher put into the user data dir (test-electron has no settings option). */
function readSettings(userDataDir: string | undefined): Record<string, unknown> {
  const file = userDataDir && join(userDataDir, 'User/settings.json');
  return file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (!args.extensionTestsPath) throw new Error('--extensionTestsPath is required: this shim only runs in-host tests');
  const tempRun = !process.env.CKPT_VSCODE_RUN_DIR;
  const runDir = process.env.CKPT_VSCODE_RUN_DIR ?? mkdtempSync(join(tmpdir(), 'ckpt-vscode-'));
  const artifactsDir = process.env.CKPT_VSCODE_ARTIFACTS ?? join(runDir, 'artifacts');
  const timeoutMs = Number(process.env.CKPT_VSCODE_TIMEOUT_MS ?? 600_000);

  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  const cleanup = () => Promise.all([workbench?.close().catch(() => undefined), server?.stop()]);
  const abort = () =>
    void cleanup().finally(() => {
      if (tempRun) rmSync(runDir, { recursive: true, force: true });
      process.exit(130);
    });
  // test-electron forwards Ctrl+C as SIGINT: tear down rather than orphan the server and browser.
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  // Nor outlive a launcher that died (a test runner's timeout, say): then our parent changes to init.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && abort(), 1000).unref();

  const t0 = Date.now();
  const phases: string[] = [];
  const mark = (what: string) => phases.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  let code: number;
  try {
    let reportExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (reportExit = r));
    // Server and browser start side by side; both are kept for cleanup even if the other fails.
    const [s, w] = await Promise.allSettled([
      startCodeServer({
        runDir,
        settings: readSettings(args.userDataDir),
        userDataDir: args.userDataDir,
        extensionsDir: args.extensionsDir,
      }),
      Workbench.launch({
        runDir,
        artifactsDir,
        onExit: (c) => reportExit(c),
        onLog: (type, message) => (type === 'error' ? process.stderr : process.stdout).write(`${message}\n`),
      }),
    ]);
    if (s.status === 'fulfilled') server = s.value;
    if (w.status === 'fulfilled') workbench = w.value;
    if (s.status === 'rejected') throw s.reason;
    if (w.status === 'rejected') throw w.reason;
    const wb = w.value;
    mark('server and browser up');
    await wb.open(s.value, {
      folder: args.folder,
      extensionDevelopmentPath: args.extensionDevelopmentPath,
      extensionTestsPath: args.extensionTestsPath,
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<number>((r) => (timer = setTimeout(() => r(-1), timeoutMs)));
    code = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    mark('tests done');
    if (code === -1) {
      process.stderr.write(`[code-server shim] no exit code from the workbench after ${timeoutMs} ms\n`);
      code = 1;
    }
    // The window as the tests left it: kept when asked for, or when something failed.
    if (code !== 0 || process.env.CKPT_VSCODE_ARTIFACTS) await wb.screenshot('in-host-end').catch(() => undefined);
  } finally {
    await cleanup();
  }
  mark('stopped');
  process.stderr.write(`[code-server shim] exit ${code}: ${phases.join(', ')}\n`);
  if (code === 0 && tempRun) rmSync(runDir, { recursive: true, force: true });
  else if (code !== 0) process.stderr.write(`[code-server shim] run folder kept: ${runDir} (code-server.log, artifacts/)\n`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[code-server shim] ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
