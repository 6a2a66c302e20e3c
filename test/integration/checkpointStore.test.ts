/** Checkpointing straight into the embedded store (`ckpt checkpoint CTR --image store:TAG`), against real podman + CRIU. */
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkpointToImage, isEngineError, Store } from '../../src/engine/index.js';
import { ckptWith } from '../support/cli.js';
import {
  ensureStack,
  readCounter,
  removeContainers,
  scratchDir,
  startCounter,
  testPodman,
  uniqueName,
  waitForCounter,
} from '../support/stack.js';

const TIMEOUT = { timeout: 180_000 };
const leftovers = () => readdirSync(tmpdir()).filter((n) => n.startsWith('ckpt-checkpoint-'));

describe('checkpoint into the embedded store (real podman + CRIU)', { concurrency: false }, () => {
  const name = uniqueName('ckstore');
  const copy = `${name}-copy`;
  const cancelled = `${name}-cancel`;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    await ensureStack();
    dir = scratchDir();
    env = { CKPT_STORE: join(dir, 'store') };
    await startCounter(name);
    await waitForCounter(name, 5);
  });
  after(async () => {
    await removeContainers(name, copy, cancelled);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bad tag, another location and --compress before touching the container', TIMEOUT, async () => {
    const badTag = ckptWith(env, 'checkpoint', name, '--image', 'store:Not A Tag');
    assert.notEqual(badTag.code, 0);
    assert.match(badTag.stderr, /Not A Tag/);
    const registry = ckptWith(env, 'checkpoint', name, '--image', 'docker://localhost:5000/x:1');
    assert.notEqual(registry.code, 0);
    assert.match(registry.stderr, /podman .* or the embedded store \(store:TAG\)/);
    const compress = ckptWith(env, 'checkpoint', name, '--image', 'store:x', '--compress', 'none');
    assert.equal(compress.code, 2);
    assert.equal((await testPodman().container(name))?.state, 'running');
  });

  it('checkpoint --image store:TAG, then restore from the store: the copy counts on, no archive left behind', TIMEOUT, async () => {
    const before = leftovers();
    const cp = ckptWith(env, 'checkpoint', name, '--image', `store:${name}:v1`, '--leave-running');
    assert.equal(cp.code, 0, cp.stderr);
    assert.match(cp.stdout, new RegExp(`checkpointed ${name} into image store:${name}:v1 \\(`));
    assert.match(cp.stderr, /making the checkpoint image store:/);
    const frozenAt = await readCounter(name);
    assert.deepEqual(leftovers(), before);

    const images = JSON.parse(ckptWith(env, 'images', '--location', 'store', '--json').stdout) as Array<{ names: string[]; annotations: Record<string, string> }>;
    const built = images.find((i) => i.names.includes(`${name}:v1`));
    assert.ok(built, JSON.stringify(images));
    assert.equal(built.annotations['io.podman.annotations.checkpoint.name'], name);

    const rs = ckptWith(env, 'restore', `store:${name}:v1`, '--name', copy);
    assert.equal(rs.code, 0, rs.stderr);
    const first = await readCounter(copy);
    assert.ok(first <= frozenAt + 2, `the copy started at ${first}, the original was frozen near ${frozenAt}`);
    await waitForCounter(copy, first + 3);
  });

  it('a cancelled build tags nothing, removes the archive and leaves the container checkpointed, restorable in place', TIMEOUT, async () => {
    await startCounter(cancelled);
    const podman = testPodman();
    const container = (await podman.container(cancelled))!;
    const store = new Store(join(dir, 'store'));
    const abort = new AbortController();
    const before = leftovers();
    const ctx = { podman, store, hostFacts: () => podman.hostFactsForBuild() };
    await assert.rejects(
      checkpointToImage(ctx, container, 'store:cancelled', { signal: abort.signal, onBuildProgress: () => abort.abort() }),
      (err: unknown) => isEngineError(err, 'CANCELLED') || (err as Error).name === 'AbortError',
    );
    assert.equal(await store.checkpointImage('cancelled'), undefined);
    assert.deepEqual(leftovers(), before);
    assert.equal((await podman.container(cancelled))?.state, 'checkpointed');
    const value = (await podman.restore({ kind: 'container', nameOrId: cancelled })).container.state;
    assert.equal(value, 'running');
    await waitForCounter(cancelled, (await readCounter(cancelled)) + 2);
  });
});
