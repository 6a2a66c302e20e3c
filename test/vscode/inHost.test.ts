/** Runs the extension's in-host suite (test/vscode/suite) inside a real VS Code, the @vscode/test-electron way. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { projectRoot } from '../support/paths.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { ensureStack, podmanArgs, stackEnvironment } from '../support/stack.js';
import { runInHost } from './harness/runInHost.js';

let workspace: string;
// Real registries for registries.suite.ts: started here because the suite runs in the extension host.
let registry: TestRegistry | undefined;
let basicRegistry: TestRegistry | undefined;
before(async () => {
  await ensureStack();
  workspace = mkdtempSync(join(tmpdir(), 'ckpt-inhost-ws-'));
  registry = await startRegistry('none');
  basicRegistry = await startRegistry('basic');
});
after(async () => {
  await registry?.stop();
  await basicRegistry?.stop();
  rmSync(workspace, { recursive: true, force: true });
});

it('passes the in-host suite against real podman + CRIU', { timeout: 300_000 }, async () => {
  const root = projectRoot();
  const r = await runInHost({
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out/test/vscode/suite/index.js'),
    folder: workspace,
    settings: {
      'checkpointStudio.podmanGlobalArgs': podmanArgs,
      'checkpointStudio.podmanEnvironment': stackEnvironment(),
      'checkpointStudio.storePath': join(workspace, '.store'),
    },
    env: {
      ...stackEnvironment(),
      CKPT_TEST_REGISTRY: registry!.host,
      CKPT_TEST_REGISTRY_BASIC: basicRegistry!.host,
      CKPT_TEST_REGISTRY_USER: basicRegistry!.username,
      CKPT_TEST_REGISTRY_PASSWORD: basicRegistry!.password,
    },
    artifactsDir: join(root, '.test-artifacts/vscode/in-host'),
    timeoutMs: 240_000,
  });
  console.log(`in-host suite: ${r.ms} ms`);
  assert.equal(r.code, 0, `in-host suite failed; its log is in ${r.runDir}`);
});
