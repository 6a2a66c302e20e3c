import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { compressor, detectCompression, openEntries } from '../../../src/engine/archive/index.js';
import { gzip, tarOf, zstd } from './fixtures.js';

const tar = tarOf([{ name: 'a.txt', body: 'hello' }, { name: 'd/', type: '5' }, { name: 'd/b.bin', body: Buffer.alloc(300_000, 7) }]);

async function names(bytes: Buffer): Promise<{ compression: string; entries: string[] }> {
  const { compression, entries } = await openEntries(Readable.from([bytes]), 'test');
  const seen: string[] = [];
  for await (const e of entries) seen.push(`${e.type}:${e.path}:${e.size}`);
  return { compression, entries: seen };
}

describe('compression', () => {
  it('is told by magic bytes, not names', () => {
    assert.equal(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
    assert.equal(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0])), 'zstd');
    assert.equal(detectCompression(tar.subarray(0, 512)), 'none');
    assert.equal(detectCompression(Buffer.alloc(512)), 'none', 'an empty tar (an empty layer) is a tar');
    assert.equal(detectCompression(Buffer.alloc(512, 1)), undefined);
    assert.equal(detectCompression(tar.subarray(0, 100)), undefined, 'too short to be a tar');
  });

  it('reads the same entries from plain, gzip and zstd streams', async () => {
    const expected = ['file:a.txt:5', 'directory:d:0', 'file:d/b.bin:300000'];
    assert.deepEqual(await names(tar), { compression: 'none', entries: expected });
    assert.deepEqual(await names(gzip(tar)), { compression: 'gzip', entries: expected });
    assert.deepEqual(await names(await zstd(tar)), { compression: 'zstd', entries: expected });
  });

  it('reads concatenated zstd frames as one stream', async () => {
    const half = tar.length / 2;
    const frames = Buffer.concat([await zstd(tar.subarray(0, half)), await zstd(tar.subarray(half))]);
    assert.equal((await names(frames)).entries.length, 3);
  });

  it('compresses zstd and gzip as streams that round-trip', async () => {
    const data = Buffer.concat([Buffer.alloc(1 << 20, 3), Buffer.from('tail')]);
    for (const kind of ['zstd', 'gzip'] as const) {
      const chunks: Buffer[] = [];
      for await (const c of Readable.from([data]).pipe(compressor(kind, 5))) chunks.push(c as Buffer);
      const packed = Buffer.concat(chunks);
      assert.equal(detectCompression(packed), kind);
      assert.ok(packed.length < data.length / 100, `${kind} did not compress`);
    }
  });

  it('reports progress in compressed bytes read', async () => {
    const packed = gzip(tar);
    const seen: number[] = [];
    const { entries } = await openEntries(Readable.from([packed.subarray(0, 100), packed.subarray(100)]), 't', { onProgress: (n) => seen.push(n) });
    for await (const _ of entries);
    assert.equal(seen.at(-1), packed.length);
    assert.deepEqual([...seen].sort((a, b) => a - b), seen, 'progress only grows');
  });
});
