/** Runs the extension's in-host suite (test/vscode/suite) inside a real VS Code, the @vscode/test-electron way. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { devcontainer, ensureDevImage, git, makeRepository, podmanWrapper } from '../support/devcontainer.js';
import { projectRoot } from '../support/paths.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { ensureStack, podman, podmanArgs, stackEnvironment } from '../support/stack.js';
import { runInHost } from './harness/runInHost.js';

/** Holds both workspaces and the embedded store. */
let scratch: string;
/** The window's folder: bob's clone (bob/shop) of alice's workspace (alice/shop), for devcontainers.suite.ts. */
let workspace: string;
let alice: string;
/** alice's dev container, made here with the devcontainers CLI, for the suite in the extension host to checkpoint. */
let devContainer: string | undefined;
// Real registries for registries.suite.ts: started here because the suite runs in the extension host.
let registry: TestRegistry | undefined;
let basicRegistry: TestRegistry | undefined;
before(async () => {
  await ensureStack();
  scratch = mkdtempSync(join(tmpdir(), 'ckpt-inhost-ws-'));
  alice = makeRepository(join(scratch, 'alice', 'shop'));
  workspace = join(scratch, 'bob', 'shop');
  git(scratch, 'clone', '-q', alice, workspace);
  await ensureDevImage();
  devContainer = (JSON.parse(await devcontainer('up', '--workspace-folder', alice)) as { containerId: string }).containerId;
  registry = await startRegistry('none');
  basicRegistry = await startRegistry('basic');
});
after(async () => {
  await registry?.stop();
  await basicRegistry?.stop();
  if (devContainer) await podman('rm', '-f', '-t', '0', '--ignore', devContainer);
  rmSync(scratch, { recursive: true, force: true });
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
      'checkpointStudio.storePath': join(scratch, 'store'),
    },
    env: {
      ...stackEnvironment(),
      CKPT_TEST_REGISTRY: registry!.host,
      CKPT_TEST_REGISTRY_BASIC: basicRegistry!.host,
      CKPT_TEST_REGISTRY_USER: basicRegistry!.username,
      CKPT_TEST_REGISTRY_PASSWORD: basicRegistry!.password,
      CKPT_TEST_DEVCONTAINER: devContainer!,
      CKPT_TEST_DEV_WORKSPACE_A: alice,
      CKPT_TEST_DEVCONTAINER_DOCKER_PATH: podmanWrapper(),
    },
    artifactsDir: join(root, '.test-artifacts/vscode/in-host'),
    timeoutMs: 240_000,
  });
  console.log(`in-host suite: ${r.ms} ms`);
  assert.equal(r.code, 0, `in-host suite failed; its log is in ${r.runDir}`);
});
