/**
 * A dev container checkpointed in one clone of a workspace and restored as another clone's dev container, with
 * the devcontainers CLI, real podman and CRIU: the teammate's `devcontainer exec` lands in the same process state.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { checkpointDevContainer, DevContainerAnnotation, planDevContainerRestore, restoreDevContainer, Store } from '../../src/engine/index.js';
import { ckptWith } from '../support/cli.js';
import { counterValue } from '../support/counter.js';
import { devcontainer, ensureDevImage, makeWorkspace } from '../support/devcontainer.js';
import { podman, readCounter, testPodman, testResources, uniqueName, waitForCounter } from '../support/stack.js';

const engine = testPodman();
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

describe('dev containers', { concurrency: false }, () => {
  const res = testResources();

  it("restores a dev container's checkpoint for another clone: devcontainer exec reaches it, the process goes on, the mount is the clone", { timeout: 300_000 }, async () => {
    await ensureDevImage();
    const alice = makeWorkspace(join(res.dir, 'alice', 'shop'));
    git(alice, 'init', '-q');
    git(alice, 'add', '.');
    git(alice, 'commit', '-q', '-m', 'the shop');
    const up = JSON.parse(await devcontainer('up', '--workspace-folder', alice)) as { outcome: string; containerId: string };
    assert.equal(up.outcome, 'success');
    const original = up.containerId;
    const image = `localhost/${uniqueName('devc')}:ckpt`;
    const restoredName = uniqueName('devc-bob');
    res.containers.push(original, restoredName);
    res.images.push(image);
    await waitForCounter(original, 20);
    const before = await readCounter(original);
    const container = (await engine.container(original))!;
    const ctx = { podman: engine, store: new Store(join(res.dir, 'store')), hostFacts: () => engine.hostFacts() };
    const checkpointed = await checkpointDevContainer(ctx, container, image);
    assert.deepEqual(
      [DevContainerAnnotation.Workspace, DevContainerAnnotation.Mount, DevContainerAnnotation.Config, DevContainerAnnotation.Commit].map((k) => checkpointed.image?.annotations[k]),
      ['shop', '/workspaces/shop', '.devcontainer/devcontainer.json', git(alice, 'rev-parse', 'HEAD')],
    );

    // The teammate clones the repository somewhere else.
    const bob = join(res.dir, 'bob', 'shop');
    git(res.dir, 'clone', '-q', alice, bob);
    const plan = await planDevContainerRestore(engine, image, bob, { name: restoredName });
    assert.equal(plan.recorded.localFolder, alice);
    assert.deepEqual(plan.report.findings.map((f) => `${f.severity} ${f.message}`), [
      `info host path ${bob} (recorded as ${alice}) is mounted at /workspaces/shop (read-write), inside the workspace`,
    ]);
    const dry = ckptWith({}, 'restore', image, '--dev-container', bob, '--name', restoredName, '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`ok +host path ${bob} \\(recorded as ${alice}\\) is mounted at /workspaces/shop`));

    // A clone at another commit is told so.
    const ahead = join(res.dir, 'carol', 'shop');
    git(res.dir, 'clone', '-q', alice, ahead);
    git(ahead, 'commit', '-q', '--allow-empty', '-m', 'later');
    const warned = await planDevContainerRestore(engine, image, ahead, { name: restoredName });
    assert.ok(warned.report.findings.some((f) => f.severity === 'warning' && f.check === 'workspace' && /the checkpoint was taken at/.test(f.message)), JSON.stringify(warned.report.findings));

    const restored = await restoreDevContainer(engine, image, plan, { name: restoredName });
    assert.equal(restored.container.state, 'running');

    const first = counterValue(await devcontainer('exec', '--workspace-folder', bob, 'cat', '/tmp/count'));
    assert.ok(first >= before, `the counter restarted: ${first} < ${before}`);
    await waitForCounter(restoredName, first + 10);
    assert.equal(await devcontainer('exec', '--workspace-folder', bob, 'cat', '/workspaces/shop/README'), 'the shop service');
    const mounts = JSON.parse(await podman('inspect', restoredName, '--format', '{{json .Mounts}}')) as Array<{ Source: string; Destination: string }>;
    assert.deepEqual(mounts.map((m) => [m.Source, m.Destination]), [[bob, '/workspaces/shop']]);
    assert.equal(await podman('inspect', restoredName, '--format', '{{index .Config.Labels "devcontainer.local_folder"}}'), bob);
  });

  it('refuses a clone that lacks the workspace, and creates nothing', { timeout: 300_000 }, async () => {
    await ensureDevImage();
    const alice = makeWorkspace(join(res.dir, 'alice2', 'shop'));
    const up = JSON.parse(await devcontainer('up', '--workspace-folder', alice)) as { containerId: string };
    const image = `localhost/${uniqueName('devc')}:ckpt`;
    const restoredName = uniqueName('devc-nowhere');
    res.containers.push(up.containerId, restoredName);
    res.images.push(image);
    await engine.checkpoint(up.containerId, { kind: 'image', name: image });
    const plan = await planDevContainerRestore(engine, image, join(res.dir, 'nobody', 'shop'), { name: restoredName });
    assert.equal(plan.report.canRestore, false);
    await assert.rejects(restoreDevContainer(engine, image, plan, { name: restoredName }), (err: Error & { code?: string }) => err.code === 'PREFLIGHT_FAILED' && /does not exist here/.test(err.message));
    assert.equal(await engine.container(restoredName), undefined);
  });
});
