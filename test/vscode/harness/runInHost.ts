/**
 * Runs an in-host test suite (a module exporting run(), see inHostMocha.js) the @vscode/test-electron way:
 * runTests() launches "VS Code" with --extensionDevelopmentPath/--extensionTestsPath. Here that executable
 * is our code-server shim (codeServerShim.ts); with CKPT_VSCODE_EXECUTABLE set it is a desktop VS Code.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests, TestRunFailedError } from '@vscode/test-electron';
import { projectRoot } from '../../support/paths.js';

export interface InHostOptions {
  extensionDevelopmentPath: string | string[];
  /** Absolute path of the index module whose run() the extension host calls. */
  extensionTestsPath: string;
  /** Folder (or .code-workspace) to open; none opens an empty window. */
  folder?: string;
  /** User settings, on top of {"workbench.startupEditor":"none"}. */
  settings?: Record<string, unknown>;
  /** Environment for VS Code and so for the extension host (test-electron's extensionTestsEnv). */
  env?: Record<string, string | undefined>;
  /** Extra VS Code command-line arguments (desktop only: the shim ignores what it does not know). */
  launchArgs?: string[];
  /** State folder; by default a temporary one, removed after a passing run. */
  runDir?: string;
  /** If set, the final window screenshot of a code-server run is saved here. */
  artifactsDir?: string;
  timeoutMs?: number;
}

export interface InHostResult {
  /** The exit code of the run: 0 when every in-host test passed. */
  code: number;
  ms: number;
  runDir: string;
}

/** Builds the shim (about 0.2 s) so it always matches the harness sources. */
export function buildShim(): string {
  const root = projectRoot();
  const r = spawnSync(process.execPath, [join(root, 'test/vscode/harness/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`building the code-server shim failed (exit ${r.status ?? r.signal})`);
  return join(root, 'node_modules/.cache/checkpoint-studio/codeServerShim.js');
}

export async function runInHost(opts: InHostOptions): Promise<InHostResult> {
  const started = Date.now();
  const executable = process.env.CKPT_VSCODE_EXECUTABLE ?? buildShim();
  const tempRun = !opts.runDir;
  const runDir = opts.runDir ?? mkdtempSync(join(tmpdir(), 'ckpt-inhost-'));
  // Own user data and extensions dirs: test-electron would otherwise use .vscode-test/ in the cwd.
  const userDataDir = join(runDir, 'user-data');
  const extensionsDir = join(runDir, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(
    join(userDataDir, 'User/settings.json'),
    JSON.stringify({ 'workbench.startupEditor': 'none', ...opts.settings }, null, 2),
  );

  let code = 0;
  try {
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: opts.extensionDevelopmentPath,
      extensionTestsPath: opts.extensionTestsPath,
      launchArgs: [
        ...(opts.folder ? [opts.folder] : []),
        `--user-data-dir=${userDataDir}`,
        `--extensions-dir=${extensionsDir}`,
        ...(opts.launchArgs ?? []),
      ],
      extensionTestsEnv: {
        CKPT_VSCODE_RUN_DIR: runDir,
        CKPT_VSCODE_ARTIFACTS: opts.artifactsDir,
        CKPT_VSCODE_TIMEOUT_MS: opts.timeoutMs === undefined ? undefined : String(opts.timeoutMs),
        ...opts.env,
      },
    });
  } catch (err) {
    // runTests rejects on a non-zero exit; a failing suite is a result here, not an exception.
    if (!(err instanceof TestRunFailedError)) {
      if (tempRun) rmSync(runDir, { recursive: true, force: true });
      throw err;
    }
    code = err.code ?? 1;
  }
  if (code === 0 && tempRun) rmSync(runDir, { recursive: true, force: true });
  return { code, ms: Date.now() - started, runDir };
}
