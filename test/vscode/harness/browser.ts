/**
 * Debian's /usr/bin/chromium driven by playwright-core (never `playwright install`: no browser downloads
 * here), showing the code-server workbench. Selectors are the verified ones from vscode-harness.md.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { chromium, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';
import type { CodeServer } from './codeServer.js';

export const CHROMIUM = process.env.CKPT_CHROMIUM ?? '/usr/bin/chromium';

export interface OpenOptions {
  /** Folder (or .code-workspace file) to open; none opens an empty window. */
  folder?: string;
  /** Extensions to load in development mode (absolute paths), as `code --extensionDevelopmentPath`. */
  extensionDevelopmentPath?: string[];
  /** Module whose run() the extension host calls (absolute path): the @vscode/test-electron contract. */
  extensionTestsPath?: string;
}

export interface WorkbenchOptions {
  /** Chromium's profile lives in <runDir>/chromium. */
  runDir: string;
  /** Where screenshot(name) writes <name>.png. */
  artifactsDir: string;
  /** window.codeAutomationExit: the workbench reports the in-host test run's exit code. */
  onExit?: (code: number) => void;
  /** window.codeAutomationLog: workbench and extension-host log lines while tests run. */
  onLog?: (type: string, message: string) => void;
}

export class Workbench {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly artifactsDir: string,
  ) {}

  static async launch(opts: WorkbenchOptions): Promise<Workbench> {
    mkdirSync(opts.artifactsDir, { recursive: true });
    const context = await chromium.launchPersistentContext(join(opts.runDir, 'chromium'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      // Chromium keeps its crash database under $XDG_CONFIG_HOME whatever the profile dir: keep it in the run.
      env: { ...process.env, XDG_CONFIG_HOME: join(opts.runDir, 'chromium-xdg'), XDG_CACHE_HOME: join(opts.runDir, 'chromium-xdg') },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    // Exposed before the first navigation, so the workbench sees them when it starts the test run.
    if (opts.onExit) {
      const onExit = opts.onExit;
      await page.exposeFunction('codeAutomationExit', (code: number) => onExit(code));
    }
    if (opts.onLog) {
      const onLog = opts.onLog;
      // args are console-style: a printf format and its values.
      await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) =>
        onLog(type, Array.isArray(args) ? format(...args) : String(args)));
    }
    return new Workbench(context, page, opts.artifactsDir);
  }

  /** Navigates to the workbench of `server`; see OpenOptions. Does not wait for it: waitForWorkbench does. */
  async open(server: CodeServer, opts: OpenOptions = {}): Promise<void> {
    await this.page.goto(workbenchUrl(server, opts));
  }

  async waitForWorkbench(timeoutMs = 30_000): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  }

  /**
   * Runs a command by its palette title, as a person would: F1, type, Enter. A development extension's
   * commands reach the palette only once the extension host has read its manifest, and a palette opened
   * while the workbench still restores can lose its first keys: so it retries, closing the palette between
   * tries, until the exact title is listed (Enter runs the first match) or the time is up.
   */
  async runCommand(title: string, timeoutMs = 30_000): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.page.keyboard.press('F1');
      await input.waitFor({ timeout: Math.max(1, deadline - Date.now()) });
      await input.fill(`>${title}`);
      try {
        await row.waitFor({ timeout: Math.max(1, Math.min(5_000, deadline - Date.now())) });
        await input.press('Enter');
        return;
      } catch (err) {
        await this.page.keyboard.press('Escape');
        if (Date.now() >= deadline) {
          const shot = await this.screenshot(`palette-missing-${title.replace(/[^A-Za-z0-9]+/g, '-')}`);
          throw new Error(`the command palette never listed "${title}" (screenshot ${shot})`, { cause: err });
        }
      }
    }
  }

  /** The visible toast whose text contains `text`. */
  notification(text: string) {
    return this.page.locator('.notifications-toasts .notification-toast', { hasText: text });
  }

  /** The content of the active webview (two nested iframes in the web workbench). */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  }

  /** Saves <artifactsDir>/<name>.png and returns its path: screenshots are how a person checks the UI. */
  async screenshot(name: string): Promise<string> {
    const path = join(this.artifactsDir, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

export function workbenchUrl(server: CodeServer, opts: OpenOptions = {}): string {
  const url = new URL(server.origin);
  if (!opts.folder) url.searchParams.set('ew', 'true');
  else if (opts.folder.endsWith('.code-workspace')) url.searchParams.set('workspace', opts.folder);
  else url.searchParams.set('folder', opts.folder);
  const payload: [string, string][] = [];
  for (const p of opts.extensionDevelopmentPath ?? []) payload.push(['extensionDevelopmentPath', server.remoteUri(p)]);
  if (opts.extensionTestsPath) payload.push(['extensionTestsPath', server.remoteUri(opts.extensionTestsPath)]);
  if (payload.length) url.searchParams.set('payload', JSON.stringify(payload));
  return url.toString();
}
