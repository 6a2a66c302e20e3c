import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { workerZstdDecompressor } from '../../../src/engine/archive/zstdWorker.js';
import { zstd } from './fixtures.js';

const binding = createRequire(__filename).resolve('zstd-napi/binding');
const MiB = 1 << 20;

/** Text that compresses well but is not all one byte, so a wrong offset shows. */
function sample(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 64) b.write(`line ${i} of the sample, with some words to repeat;\n`.padEnd(64, '.'), i, 'latin1');
  return b;
}

describe('zstd decompression on a worker thread', () => {
  it('gives back the bytes, from input in small chunks', async () => {
    const original = sample(9 * MiB + 123);
    const packed = await zstd(original);
    const parts: Buffer[] = [];
    for (let i = 0; i < packed.length; i += 4096) parts.push(packed.subarray(i, i + 4096));
    assert.ok((await buffer(Readable.from(parts).pipe(workerZstdDecompressor(binding)))).equals(original));
  });

  it('stops decompressing while nobody reads, and ends when destroyed', async () => {
    const packed = await zstd(Buffer.alloc(256 * MiB));
    const stream = workerZstdDecompressor(binding);
    stream.end(packed);
    await sleep(500);
    // Node's own buffer plus the few buffers on their way back: nowhere near the 256 MiB that are there to have.
    assert.ok(stream.readableLength <= 8 * MiB, `${stream.readableLength} bytes waited unread`);
    stream.destroy();
    await once(stream, 'close');
  });

  it('fails a truncated stream', async () => {
    const packed = await zstd(sample(MiB));
    const stream = Readable.from([packed.subarray(0, packed.length - 100)]).pipe(workerZstdDecompressor(binding));
    await assert.rejects(buffer(stream), /ends inside a frame/);
  });
});
