/** Copies between podman's storage, the embedded store and archives, with real podman + CRIU at both ends. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { copyImage, detectCompression, parseReference, Store, type CopyProgress } from '../../src/engine/index.js';
import { podman, readCounter, startCounter, testPodman, testResources, uniqueName, waitForCounter } from '../support/stack.js';

const engine = testPodman();
const TIMEOUT = { timeout: 180_000 };

describe('copying checkpoint images between locations', { concurrency: false }, () => {
  const res = testResources();
  const ctx = () => ({ podman: engine, store: new Store(join(res.dir, 'store')), hostFacts: () => engine.hostFacts() });

  it('a podman checkpoint image goes into the store and back unchanged, and restores', TIMEOUT, async () => {
    const name = uniqueName('copy');
    const original = `localhost/${name}:ckpt`;
    const back = `localhost/${name}:back`;
    const copy = `${name}-copy`;
    res.containers.push(name, copy);
    res.images.push(original, back);
    await startCounter(name);
    await waitForCounter(name, 30);
    await engine.checkpoint(name, { kind: 'image', name: original });
    const frozenAt = Number(await podman('logs', '--tail', '1', name));

    const progress: CopyProgress[] = [];
    await copyImage(ctx(), parseReference(original), parseReference('store:bug'), { onProgress: (p) => progress.push(p) });
    assert.ok(progress.some((p) => p.stage === 'tagged' && p.bytes === p.totalBytes && p.totalBytes > 0), 'no final progress');
    const stored = await ctx().store.checkpointImage('bug');
    assert.equal(stored?.annotations['io.podman.annotations.checkpoint.name'], name);
    assert.deepEqual((await ctx().store.verify()).problems, []);

    await copyImage(ctx(), parseReference('store:bug'), parseReference(`podman:${back}`));
    const [a, b] = [await engine.checkpointImage(original), await engine.checkpointImage(back)];
    assert.equal(b?.id, a?.id, 'the image ID (its config) changed on the way');
    assert.deepEqual(b?.annotations, a?.annotations);
    assert.equal(await podman('images', '-q', '--filter', 'reference=localhost/tmp/*'), '', 'a temporary name was left behind');

    const restored = await engine.restore({ kind: 'image', ref: back }, { name: copy });
    const first = await readCounter(restored.container.name);
    assert.ok(first >= frozenAt, `restored counter ${first} restarted below ${frozenAt}`);
    await waitForCounter(copy, first + 5);
  });

  it('an archive goes straight into podman as a restorable checkpoint image', TIMEOUT, async () => {
    const name = uniqueName('arch2pod');
    const image = `localhost/${name}:from-archive`;
    res.containers.push(name, `${name}-copy`);
    res.images.push(image);
    await startCounter(name);
    await waitForCounter(name, 10);
    const file = join(res.dir, `${name}.tar.zst`);
    await engine.checkpoint(name, { kind: 'archive', path: file });
    await copyImage(ctx(), parseReference(`archive:${file}`), parseReference(image));
    const restored = await engine.restore({ kind: 'image', ref: image }, { name: `${name}-copy` });
    assert.equal(restored.container.state, 'running');
  });

  it('a podman checkpoint image written as an archive restores with `podman container restore --import` and goes on', TIMEOUT, async () => {
    const name = uniqueName('pod2arch');
    const image = `localhost/${name}:ckpt`;
    const copy = `${name}-copy`;
    res.containers.push(name, copy);
    res.images.push(image);
    await startCounter(name);
    await waitForCounter(name, 10);
    await engine.checkpoint(name, { kind: 'image', name: image });
    const frozenAt = Number(await podman('logs', '--tail', '1', name));
    const file = join(res.dir, `${name}.tar.zst`);
    await copyImage(ctx(), parseReference(image), parseReference(`archive:${file}`));
    assert.equal(detectCompression(readFileSync(file).subarray(0, 512)), 'zstd', 'podman exports zstd by default, and so do we');

    await podman('container', 'restore', '--import', file, '--name', copy);
    const first = await readCounter(copy);
    assert.ok(first >= frozenAt, `restored counter ${first} restarted below ${frozenAt}`);
    await waitForCounter(copy, first + 5);
  });

  it('a failed copy names nothing in the destination', TIMEOUT, async () => {
    await assert.rejects(copyImage(ctx(), parseReference('store:does-not-exist'), parseReference('store:target')), /does-not-exist/);
    assert.equal(await ctx().store.checkpointImage('target'), undefined);
  });
});
