/**
 * What the e2e files share: a code-server workbench with the extension in development mode (or installed from
 * its VSIX), pointed at the test podman store, in Chromium; steps that leave a screenshot when they fail; the tree and quick-input moves.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { Workbench } from '../vscode/harness/browser.js';
import { startCodeServer, type CodeServer } from '../vscode/harness/codeServer.js';
import { projectRoot } from '../support/paths.js';
import { podmanArgs, stackEnvironment } from '../support/stack.js';

/** Where the e2e screenshots go: .test-artifacts/e2e/, or a folder of their own below it. */
export function artifactsDir(...sub: string[]): string {
  return join(projectRoot(), '.test-artifacts', 'e2e', ...sub);
}

export interface E2eWorkbench {
  wb: Workbench;
  server: CodeServer;
  /** Holds the workspace, code-server's state, Chromium's profile and the embedded store. */
  runDir: string;
  /** Closes Chromium, stops code-server and removes the run folder. */
  close(): Promise<void>;
}

export interface OpenWorkbenchOptions {
  /** The folder the window opens; default an empty one in the run folder. */
  folder?: string;
  /** User settings on top of the test store's. */
  settings?: Record<string, unknown>;
  /**
   * The extension as users get it: packaged by `scripts/package.mjs` and installed into code-server, instead of
   * loaded from this checkout in development mode, so a file the package lacks fails the suite.
   */
  installed?: boolean;
}

/**
 * Starts code-server with the extension in development mode (or installed, see `installed`) on the test podman
 * store and opens it in Chromium.
 * The screenshots an earlier run left directly in `artifacts` are removed first (folders below it are not).
 */
export async function openWorkbench(runPrefix: string, artifacts: string, options: OpenWorkbenchOptions = {}): Promise<E2eWorkbench> {
  const runDir = mkdtempSync(join(tmpdir(), runPrefix));
  const workspace = options.folder ?? join(runDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  mkdirSync(artifacts, { recursive: true });
  for (const f of readdirSync(artifacts)) if (f.endsWith('.png')) rmSync(join(artifacts, f), { force: true });
  let vsix: string | undefined;
  if (options.installed) {
    vsix = join(runDir, 'checkpoint-studio.vsix');
    execFileSync(process.execPath, ['scripts/package.mjs', vsix], { cwd: projectRoot(), stdio: 'ignore' });
  }
  const server = await startCodeServer({
    runDir,
    install: vsix ? [vsix] : [],
    settings: {
      'checkpointStudio.podmanGlobalArgs': podmanArgs,
      'checkpointStudio.podmanEnvironment': stackEnvironment(),
      'checkpointStudio.storePath': join(runDir, 'store'),
      'workbench.colorTheme': 'Default Dark Modern',
      ...options.settings,
    },
  });
  let wb: Workbench | undefined;
  const close = async () => {
    await wb?.close();
    await server.stop();
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    wb = await Workbench.launch({ runDir, artifactsDir: artifacts });
    await wb.open(server, { folder: workspace, extensionDevelopmentPath: vsix ? [] : [projectRoot()] });
    await wb.waitForWorkbench(60_000);
    return { wb, server, runDir, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * A test step that, when it fails, leaves a screenshot of the workbench (once opened) and prints the end of the
 * extension's log: what it ran and with which podman settings, which a screenshot does not show.
 */
export function stepsOf(session: () => E2eWorkbench | undefined, timeout = 60_000) {
  return (name: string, fn: () => Promise<void>): void => {
    it(name, { timeout }, async () => {
      try {
        await fn();
      } catch (err) {
        await session()?.wb.screenshot(`failed-${name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
        const runDir = session()?.runDir;
        if (runDir) console.error(`the extension's log at this failure:\n${extensionLogTail(runDir)}`);
        throw err;
      }
    });
  };
}

/** The last lines of every Checkpoint Studio log code-server keeps in the run folder. */
function extensionLogTail(runDir: string, lines = 40): string {
  const logs = readdirSync(runDir, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('Checkpoint Studio.log'));
  if (logs.length === 0) return '(no Checkpoint Studio.log in the run folder)';
  return logs.map((p) => `${p}:\n${readFileSync(join(runDir, p), 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}`).join('\n');
}

/** A row in one of our tree views whose text contains `text`. */
export const treeRow = (wb: Workbench, text: string) => wb.page.locator('.pane-body .monaco-list-row', { hasText: text });

/** The toast with `text` once it has slid in (a screenshot earlier catches it half way). */
export const shownNotification = (wb: Workbench, text: string) => wb.notification(text).and(wb.page.locator('.notification-fade-in-done'));

export const quickInput = (wb: Workbench) => wb.page.locator('.quick-input-widget input');

/** Types `text` into the open quick pick and takes the first item that contains it. */
export async function pickInQuickInput(wb: Workbench, text: string): Promise<void> {
  await quickInput(wb).fill(text);
  await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor();
  await quickInput(wb).press('Enter');
}

/** Create Checkpoint Image from the palette: picks `container`, names the image, keeps the default options. */
export async function createImageFromPalette(wb: Workbench, container: string, image: string): Promise<void> {
  await wb.runCommand('Checkpoint: Create Checkpoint Image…');
  await pickInQuickInput(wb, container);
  await wb.page.locator('.quick-input-widget').getByText(`Image name for the checkpoint of ${container}`).waitFor();
  await quickInput(wb).fill(image);
  await quickInput(wb).press('Enter');
  await wb.page.locator('.quick-input-widget').getByText('Leave running').waitFor();
  await quickInput(wb).press('Enter');
}
