/** The engine builds a checkpoint image from a real podman export; podman restores it and the counter goes on. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { extractArchive, PodmanAnnotation, Store } from '../../src/engine/index.js';
import { buildFromArchive } from '../../src/engine/image/buildFromArchive.js';
import { openLayout } from '../../src/engine/layout/index.js';
import {
  podman,
  readCounter,
  startCounter,
  STORE_DIR,
  testPodman,
  testResources,
  uniqueName,
  waitForCounter,
} from '../support/stack.js';

const run = promisify(execFile);
const engine = testPodman();
const TIMEOUT = { timeout: 180_000 };

describe('building checkpoint images from archives (real podman + CRIU)', { concurrency: false }, () => {
  const res = testResources();
  const { containers, images } = res;


  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    it(`builds a ${compression} image that podman restores, and the counter goes on`, TIMEOUT, async () => {
      const name = uniqueName(`build-${compression}`);
      const copy = `${name}-copy`;
      const ref = `localhost/${name}:built`;
      containers.push(name, copy);
      images.push(ref);
      await startCounter(name);
      await waitForCounter(name, 30);
      const archive = join(res.dir, `${name}.tar.zst`);
      await engine.checkpoint(name, { kind: 'archive', path: archive });
      const frozenAt = Number(await podman('logs', '--tail', '1', name));

      const store = await openLayout(join(res.dir, `store-${compression}`), { create: true });
      const host = await engine.hostFacts();
      const built = await buildFromArchive(store, archive, 'built', {
        host,
        compression,
        annotations: { 'org.opencontainers.image.description': 'counter at the moment of the bug' },
      });
      assert.equal(built.archive.engine, 'podman');
      assert.equal(built.annotations[PodmanAnnotation.Name], name);
      assert.equal(built.annotations[PodmanAnnotation.RootfsImageName], 'localhost/busybox:latest');
      assert.deepEqual((await store.verify()).problems, []);

      // Into podman's storage with skopeo (an independent OCI reader), then podman's own restore.
      await run('skopeo', ['copy', '-q', `oci:${store.path}:built`, `containers-storage:${storageSpec()}${ref}`]);
      const inspected = JSON.parse(await podman('image', 'inspect', ref))[0] as { Annotations: Record<string, string> };
      assert.equal(inspected.Annotations[PodmanAnnotation.RuntimeName], 'runc');
      assert.equal(inspected.Annotations['org.opencontainers.image.description'], 'counter at the moment of the bug');
      const restored = await engine.restore({ kind: 'image', ref }, { name: copy });
      assert.equal(restored.container.state, 'running');
      const first = await readCounter(copy);
      assert.ok(first >= frozenAt, `restored counter ${first} restarted below ${frozenAt}`);
      await waitForCounter(copy, first + 5);
    });
  }

  it('builds from a checkpoint folder (an extracted export) as from the archive', TIMEOUT, async () => {
    const name = uniqueName('build-dir');
    const ref = `localhost/${name}:built`;
    containers.push(name, `${name}-copy`);
    images.push(ref);
    await startCounter(name);
    await waitForCounter(name, 10);
    const archive = join(res.dir, `${name}.tar`);
    await engine.checkpoint(name, { kind: 'archive', path: archive, compression: 'none' });
    const folder = join(res.dir, `${name}-folder`);
    await extractArchive(archive, folder);
    const store = new Store(join(res.dir, 'store-dir'));
    const built = await store.buildFromArchive(folder, 'built', { host: await engine.hostFacts() });
    assert.equal(built.archive.containerName, name);
    await run('skopeo', ['copy', '-q', `oci:${store.path}:built`, `containers-storage:${storageSpec()}${ref}`]);
    const restored = await engine.restore({ kind: 'image', ref }, { name: `${name}-copy` });
    assert.equal(restored.container.state, 'running');
  });

  it('refuses an archive that is not a checkpoint and tags nothing', TIMEOUT, async () => {
    const tarFile = join(res.dir, 'plain.tar');
    await run('tar', ['-C', '/etc', '-cf', tarFile, 'hostname']);
    const store = await openLayout(join(res.dir, 'store-bad'), { create: true });
    await assert.rejects(
      buildFromArchive(store, tarFile, 'bad', { host: await engine.hostFacts() }),
      (err: { code?: string }) => err.code === 'NOT_A_CHECKPOINT_ARCHIVE',
    );
    assert.deepEqual(await store.tags(), []);
  });
});

/** containers-storage:[driver@graphroot+runroot] for the test store. */
function storageSpec(): string {
  return `[overlay@${join(STORE_DIR, 'root')}+${join(STORE_DIR, 'run')}]`;
}
