import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpointArchive } from '../../../src/engine/archive/index.js';
import { readCheckpointFolder } from '../../../src/engine/archive/reader.js';
import { isEngineError } from '../../../src/engine/index.js';
import { checkpointEntries, gzip, tarOf, zstd, type RawEntry } from './fixtures.js';
import { coreImage, inventoryImage } from '../../support/criuImages.js';

const read = (bytes: Buffer, options = {}) => readCheckpointArchive(Readable.from([bytes]), options);
const json = (value: unknown) => JSON.stringify(value);
const rejectsWith = (p: Promise<unknown>, code: string, message: RegExp) =>
  assert.rejects(p, (err) => isEngineError(err) && (err.code as string) === code && message.test(err.message));

describe('readCheckpointArchive', () => {
  it("sums up a podman archive: engine, container, image, sizes", async () => {
    const s = await read(await zstd(tarOf(checkpointEntries([{ name: 'network.status', body: '{}' }]))));
    assert.equal(s.engine, 'podman');
    assert.equal(s.compression, 'zstd');
    assert.equal(s.containerName, 'web');
    assert.equal(s.containerId, 'c0ffee');
    assert.equal(s.imageName, 'localhost/busybox:latest');
    assert.equal(s.imageId, 'abc123');
    assert.equal(s.runtime, 'runc');
    assert.equal(s.created?.toISOString(), '2026-01-02T03:04:05.000Z');
    assert.deepEqual(s.sizes, { checkpoint: inventoryImage().length + 8192 + coreImage().length, memoryPages: 8192, rootfsDiff: 1024 });
    assert.equal(s.entryCount, 8);
  });

  it('tolerates ./ prefixes and a ./ root entry', async () => {
    const entries = checkpointEntries().map((e): RawEntry => ({ ...e, name: `./${String(e.name)}` }));
    const s = await read(gzip(tarOf([{ name: './', type: '5' }, ...entries])));
    assert.equal(s.compression, 'gzip');
    assert.equal(s.sizes.memoryPages, 8192);
  });

  it("reads CRI-O's layout (plain tar, bind.mounts, dump.log, checkpointctl's config)", async () => {
    const s = await read(tarOf([
      { name: 'stats-dump', body: 'x' },
      { name: 'dump.log', body: 'log' },
      { name: 'checkpoint/inventory.img', body: inventoryImage() },
      { name: 'checkpoint/pages-1.img', body: Buffer.alloc(4096) },
      { name: 'config.dump', body: json({ id: 'abc', name: 'k8s-app', rootfsImageRef: 'sha256:1', rootfsImageName: 'quay.io/app:1', runtime: 'runc', createdTime: '2026-01-01T00:00:00Z', checkpointedTime: '2026-01-02T00:00:00Z' }) },
      { name: 'spec.dump', body: json({ annotations: { 'io.container.manager': 'cri-o', 'io.kubernetes.pod.name': 'app-0', 'io.kubernetes.pod.namespace': 'prod' } }) },
      { name: 'bind.mounts', body: '[]' },
      { name: 'var/log/pods/app.log', body: 'container log' },
    ]));
    assert.equal(s.engine, 'cri-o');
    assert.equal(s.compression, 'none');
    assert.equal(s.imageId, 'sha256:1');
    assert.equal(s.checkpointed?.toISOString(), '2026-01-02T00:00:00.000Z');
    assert.deepEqual(s.pod, { name: 'app-0', namespace: 'prod' });
    assert.equal(s.sizes.rootfsDiff, 0);
  });

  it("reads containerd's layout (status, status.dump, container.log) and names from its annotations", async () => {
    const s = await read(tarOf([
      { name: 'status', body: '{}' },
      { name: 'status.dump', body: '{}' },
      { name: 'container.log', body: '' },
      { name: 'config.dump', body: json({ id: 'd1', rootfsImageRef: 'docker.io/library/nginx@sha256:2' }) },
      { name: 'spec.dump', body: json({ annotations: { 'io.kubernetes.cri.container-name': 'nginx', 'io.kubernetes.cri.sandbox-name': 'web', 'io.kubernetes.cri.sandbox-namespace': 'default' } }) },
      { name: 'checkpoint/inventory.img', body: inventoryImage() },
      { name: 'rootfs-diff.tar', body: Buffer.alloc(2048) },
    ]));
    assert.equal(s.engine, 'containerd');
    assert.equal(s.containerName, 'nginx');
    assert.deepEqual(s.pod, { name: 'web', namespace: 'default' });
    assert.equal(s.sizes.rootfsDiff, 2048);
  });

  it('refuses an archive without checkpoint/inventory.img', async () => {
    const entries = checkpointEntries().filter((e) => e.name !== 'checkpoint/inventory.img');
    await rejectsWith(read(tarOf(entries)), 'NOT_A_CHECKPOINT_ARCHIVE', /not a complete checkpoint: it has no checkpoint\/inventory.img/);
  });

  it('says when an archive is a pre-checkpoint only', async () => {
    const entries = checkpointEntries().filter((e) => !String(e.name).startsWith('checkpoint'));
    const p = read(tarOf([...entries, { name: 'pre-checkpoint/inventory.img', body: 'i' }]));
    await assert.rejects(p, (err) => isEngineError(err) && /pre-checkpoint only/.test(err.hint ?? ''));
  });

  it('refuses config.dump that is not JSON, spec.dump that is no object, and metadata that is too large', async () => {
    const swap = (name: string, body: string) => tarOf(checkpointEntries().map((e) => (e.name === name ? { name, body } : e)));
    await rejectsWith(read(swap('config.dump', '{"id": ')), 'NOT_A_CHECKPOINT_ARCHIVE', /config.dump is not valid JSON/);
    await rejectsWith(read(swap('spec.dump', '[1, 2]')), 'NOT_A_CHECKPOINT_ARCHIVE', /spec.dump is not a JSON object/);
    await rejectsWith(read(swap('config.dump', `{"pad": "${'x'.repeat(5000)}"}`), { maxMetadataBytes: 4096 }), 'ARCHIVE_LIMIT_EXCEEDED', /config.dump is 5\d\d\d bytes/);
    await rejectsWith(read(tarOf([{ name: 'only.txt', body: 'x' }])), 'NOT_A_CHECKPOINT_ARCHIVE', /no config.dump, spec.dump, checkpoint\/inventory.img/);
  });

  it('says when the file cannot be read', async () => {
    await rejectsWith(readCheckpointArchive('/nonexistent/ckpt.tar.zst'), 'INVALID_ARGUMENT', /cannot read ckpt.tar.zst: ENOENT/);
  });

  it('can be cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await rejectsWith(read(tarOf(checkpointEntries()), { signal: controller.signal }), 'CANCELLED', /cancelled/);
  });
});

describe('readCheckpointFolder', () => {
  it('sums up a folder as its archive, and never reads the memory pages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-folder-'));
    try {
      for (const e of checkpointEntries()) {
        const path = join(dir, String(e.name));
        if (e.type === '5') mkdirSync(path, { recursive: true });
        else writeFileSync(path, e.body ?? '');
      }
      const fromArchive = await read(tarOf(checkpointEntries()));
      // A sparse 64 GiB memory dump: reading it would take minutes; counting it takes nothing.
      truncateSync(join(dir, 'checkpoint/pages-1.img'), 64 * 1024 ** 3);
      const fromFolder = await readCheckpointFolder(dir);
      const { sizes, compression: _a, ...rest } = fromFolder;
      const { sizes: archiveSizes, compression: _b, ...archiveRest } = fromArchive;
      assert.deepEqual(rest, archiveRest);
      assert.equal(sizes.memoryPages, 64 * 1024 ** 3);
      assert.equal(sizes.checkpoint - sizes.memoryPages, archiveSizes.checkpoint - archiveSizes.memoryPages);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
