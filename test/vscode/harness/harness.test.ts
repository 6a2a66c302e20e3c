/**
 * Self-test of the real-VS-Code harness with the fixture extension test/vscode/fixtures/hello:
 * in-host mocha tests through @vscode/test-electron + the code-server shim (pass and fail both reach the
 * exit code), and the UI as a person sees it in Chromium. Needs `bash scripts/vscode-setup.sh` first.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Workbench } from './browser.js';
import { projectRoot } from '../../support/paths.js';
import { startCodeServer, type CodeServer } from './codeServer.js';
import { runInHost } from './runInHost.js';

const root = projectRoot();
const fixture = join(root, 'test/vscode/fixtures/hello');
const testsIndex = join(fixture, 'test/index.js');
const artifacts = join(root, '.test-artifacts/vscode/harness');
const TIMEOUT = { timeout: 120_000 };
// Below the test's timeout, so the shim gives up (and cleans up) first.
const inHostTimeoutMs = 90_000;

describe('VS Code harness (code-server + Chromium)', { concurrency: false }, () => {
  let workspace: string;

  before(() => {
    workspace = mkdtempSync(join(tmpdir(), 'ckpt-hello-ws-'));
    writeFileSync(join(workspace, 'notes.txt'), 'a file in the opened folder\n');
  });
  after(() => rmSync(workspace, { recursive: true, force: true }));

  it('runs the in-host mocha suite in the real extension host and returns exit code 0', TIMEOUT, async () => {
    const r = await runInHost({
      extensionDevelopmentPath: fixture,
      extensionTestsPath: testsIndex,
      folder: workspace,
      env: { HELLO_WORKSPACE: workspace },
      timeoutMs: inHostTimeoutMs,
    });
    console.log(`in-host cycle (passing): ${r.ms} ms`);
    assert.equal(r.code, 0, `in-host suite failed; run folder ${r.runDir}`);
  });

  it('returns a non-zero exit code when an in-host test fails', TIMEOUT, async () => {
    const r = await runInHost({
      extensionDevelopmentPath: fixture,
      extensionTestsPath: testsIndex,
      folder: workspace,
      env: { HELLO_WORKSPACE: workspace, HELLO_FAIL: '1' },
      timeoutMs: inHostTimeoutMs,
    });
    console.log(`in-host cycle (failing): ${r.ms} ms`);
    assert.notEqual(r.code, 0);
    rmSync(r.runDir, { recursive: true, force: true });
  });

  describe('UI', { concurrency: false }, () => {
    let runDir: string;
    let server: CodeServer | undefined;
    let wb: Workbench | undefined;
    let started: number;

    before(async () => {
      started = Date.now();
      runDir = mkdtempSync(join(tmpdir(), 'ckpt-ui-'));
      server = await startCodeServer({ runDir });
      wb = await Workbench.launch({ runDir, artifactsDir: artifacts });
    });
    after(async () => {
      await wb?.close();
      await server?.stop();
      rmSync(runDir, { recursive: true, force: true });
      console.log(`UI cycle: ${Date.now() - started} ms; screenshots in ${artifacts}`);
    });

    it('loads the workbench with the fixture in development mode', TIMEOUT, async () => {
      await wb!.open(server!, { folder: workspace, extensionDevelopmentPath: [fixture] });
      await wb!.waitForWorkbench();
      // A string, not a function: the repo's tsconfig has no DOM types.
      await wb!.page.waitForFunction(`document.title.includes('[Extension Development Host]')`);
      await wb!.page.locator('.explorer-folders-view', { hasText: 'notes.txt' }).waitFor();
      await wb!.screenshot('1-workbench');
    });

    it('runs the fixture command from the command palette and shows its notification', TIMEOUT, async () => {
      await wb!.runCommand('Hello: Say Hello');
      await wb!.notification('Hello from the fixture extension').waitFor({ state: 'visible' });
      await wb!.screenshot('2-notification');
    });

    it('shows the fixture webview, readable through the webview frame locator', TIMEOUT, async () => {
      await wb!.runCommand('Hello: Show Panel');
      const heading = wb!.webview().locator('#greeting');
      await heading.waitFor();
      assert.equal(await heading.textContent(), 'Hello from a webview');
      await wb!.screenshot('3-webview');
    });
  });
});
