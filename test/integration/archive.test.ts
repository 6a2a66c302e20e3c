/** Real podman + CRIU archives (zstd, gzip, plain) read and extracted by the engine, checked against GNU tar. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extractArchive, readCheckpointArchive } from '../../src/engine/archive/index.js';
import { ensureStack, removeContainers, scratchDir, startCounter, testPodman, uniqueName, waitForCounter } from '../support/stack.js';

const TAR_FLAG = { zstd: ['--zstd'], gzip: ['-z'], none: [] } as const;

/** Every path under `dir`, relative, without following links. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const rel = prefix + name;
    return lstatSync(join(dir, name)).isDirectory() ? [rel, ...walk(join(dir, name), `${rel}/`)] : [rel];
  });
}

function sizeUnder(dir: string, match: (name: string) => boolean): number {
  return readdirSync(dir).filter(match).reduce((sum, n) => sum + lstatSync(join(dir, n)).size, 0);
}

describe('checkpoint archives from real podman', { concurrency: false, timeout: 180_000 }, () => {
  const engine = testPodman();
  const name = uniqueName('archive');
  let dir: string;

  before(async () => {
    await ensureStack();
    dir = scratchDir();
    await startCounter(name);
    await waitForCounter(name, 5);
  });
  after(async () => {
    await removeContainers(name);
    rmSync(dir, { recursive: true, force: true });
  });

  for (const compression of ['zstd', 'gzip', 'none'] as const) {
    it(`reads and safely extracts a ${compression} export`, async () => {
      const path = join(dir, `${compression}.tar${compression === 'none' ? '' : compression === 'gzip' ? '.gz' : '.zst'}`);
      await engine.checkpoint(name, { kind: 'archive', path, compression }, { leaveRunning: true });

      const summary = await readCheckpointArchive(path);
      assert.equal(summary.engine, 'podman');
      assert.equal(summary.compression, compression);
      assert.equal(summary.containerName, name);
      assert.match(summary.containerId, /^[0-9a-f]{64}$/);
      assert.equal(summary.imageName, 'localhost/busybox:latest');
      assert.equal(summary.runtime, 'runc');
      assert.ok(summary.created);
      assert.ok(summary.sizes.memoryPages > 0 && summary.sizes.checkpoint > summary.sizes.memoryPages, JSON.stringify(summary.sizes));
      assert.ok(summary.sizes.rootfsDiff > 0, 'the counter writes /tmp/count, so the rootfs changed');

      const target = join(dir, `${compression}-out`);
      const progress: number[] = [];
      const result = await extractArchive(path, target, { onProgress: (n) => progress.push(n) });
      assert.equal(result.entries, summary.entryCount);
      assert.equal(progress.at(-1), lstatSync(path).size);

      const listed = execFileSync('tar', [...TAR_FLAG[compression], '-tf', path], { encoding: 'utf8' })
        .split('\n').filter(Boolean).map((n) => n.replace(/^\.\//, '').replace(/\/$/, '')).filter(Boolean);
      assert.deepEqual(walk(target).sort(), listed.sort());
      assert.ok(listed.includes('checkpoint/inventory.img'));
      const ckpt = join(target, 'checkpoint');
      assert.equal(sizeUnder(ckpt, () => true), summary.sizes.checkpoint);
      assert.equal(sizeUnder(ckpt, (n) => n.startsWith('pages-')), summary.sizes.memoryPages);
      assert.equal(lstatSync(join(target, 'config.dump')).mode & 0o777, 0o600);
      assert.equal(lstatSync(ckpt).mode & 0o777, 0o700);
    });
  }
});
