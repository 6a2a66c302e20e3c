import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { extractArchive } from '../../../src/engine/archive/index.js';
import { isEngineError } from '../../../src/engine/index.js';
import { checkpointEntries, gzip, Sandbox, tarOf, zstd } from './fixtures.js';
import { inventoryImage } from '../../support/criuImages.js';

describe('extractArchive', () => {
  const boxes: Sandbox[] = [];
  const box = () => {
    const b = new Sandbox();
    boxes.push(b);
    return b;
  };
  after(() => boxes.forEach((b) => b.dispose()));

  it('unpacks a checkpoint with private modes, inside links and ./ names', async () => {
    const b = box();
    const archive = tarOf(checkpointEntries([
      { name: './pre-checkpoint/', type: '5' },
      { name: './pre-checkpoint/inventory.img', body: 'pre' },
      // podman replaces checkpoint/parent with this link for --with-previous
      { name: './checkpoint/parent', type: '2', linkname: '../pre-checkpoint' },
      { name: 'same-pages', type: '1', linkname: './checkpoint/pages-1.img' },
    ]));
    const result = await extractArchive(b.file(await zstd(archive)), b.target);
    assert.equal(result.compression, 'zstd');
    assert.equal(result.entries, 11);
    assert.deepEqual(readFileSync(join(b.target, 'checkpoint/inventory.img')), inventoryImage());
    assert.equal(lstatSync(join(b.target, 'config.dump')).mode & 0o777, 0o600);
    assert.equal(lstatSync(join(b.target, 'checkpoint')).mode & 0o777, 0o700);
    assert.equal(readlinkSync(join(b.target, 'checkpoint/parent')), '../pre-checkpoint');
    assert.equal(readFileSync(join(b.target, 'checkpoint/parent/inventory.img'), 'utf8'), 'pre');
    assert.equal(lstatSync(join(b.target, 'same-pages')).ino, lstatSync(join(b.target, 'checkpoint/pages-1.img')).ino);
    b.assertNothingOutside(true);
  });

  it('reads from a stream (an image layer) and reports progress', async () => {
    const b = box();
    const layer = gzip(tarOf([{ name: 'bin/', type: '5' }, { name: 'bin/tool', body: Buffer.alloc(200_000, 1) }]));
    const progress: number[] = [];
    const result = await extractArchive(Readable.from([layer]), b.target, { onProgress: (n) => progress.push(n) });
    assert.deepEqual(result, { compression: 'gzip', entries: 2, bytes: 200_000 });
    assert.equal(progress.at(-1), layer.length);
  });

  it('uses an existing empty folder, refuses a full one, and empties (but keeps) it on failure', async () => {
    const b = box();
    mkdirSync(b.target);
    writeFileSync(join(b.target, 'mine'), 'keep');
    await assert.rejects(extractArchive(b.file(tarOf(checkpointEntries())), b.target), (e) => isEngineError(e, 'INVALID_ARGUMENT') && /not empty/.test(e.message));
    assert.equal(readFileSync(join(b.target, 'mine'), 'utf8'), 'keep');

    const empty = join(b.base, 'empty');
    mkdirSync(empty);
    await assert.rejects(extractArchive(b.file(tarOf(checkpointEntries([{ name: '../x', body: '' }]))), empty));
    assert.deepEqual(readdirSync(empty), []);
  });

  it('can be cancelled mid-way, leaving nothing behind', async () => {
    const b = box();
    const controller = new AbortController();
    const big = tarOf(Array.from({ length: 64 }, (_, i) => ({ name: `f${i}`, body: Buffer.alloc(64 << 10, i) })));
    const slow = Readable.from((async function* () {
      for (let i = 0; i < big.length; i += 16 << 10) {
        if (i === 256 << 10) controller.abort();
        yield big.subarray(i, i + (16 << 10));
        await new Promise((r) => setImmediate(r));
      }
    })());
    await assert.rejects(extractArchive(slow, b.target, { signal: controller.signal }), (e) => isEngineError(e, 'CANCELLED'));
    assert.equal(existsSync(b.target), false);
    b.assertNothingOutside();
  });
});
