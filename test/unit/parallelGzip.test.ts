import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ParallelGzip } from '../../src/engine/image/parallelGzip.js';

async function compress(input: Buffer, chunk: number, blockSize: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) parts.push(input.subarray(i, i + chunk));
  return buffer(Readable.from(parts).pipe(new ParallelGzip({ blockSize, concurrency: 3 })));
}

describe('ParallelGzip', () => {
  const text = Buffer.from('checkpoint pages '.repeat(50_000));
  const mixed = Buffer.concat([text, randomBytes(300_000), Buffer.alloc(200_000), text]);

  for (const [name, input, chunk, block] of [
    ['many members from small chunks', mixed, 4096, 64 * 1024],
    ['chunks larger than a block', mixed, 500_000, 100_000],
    ['one member', text, 65536, 1 << 24],
  ] as const) {
    it(`round-trips through gunzip: ${name}`, async () => {
      const gz = await compress(input, chunk, block);
      assert.ok(gunzipSync(gz).equals(input), 'gunzip of the concatenated members differs from the input');
      const members = gz.length > 0 ? countMembers(gz) : 0;
      assert.equal(members, Math.max(1, Math.ceil(input.length / block)));
    });
  }

  it('turns an empty input into one valid empty gzip member', async () => {
    const gz = await compress(Buffer.alloc(0), 1, 1024);
    assert.equal(gunzipSync(gz).length, 0);
  });
});

/** Counts member headers as node:zlib writes them (magic, deflate, no flags, zero mtime): 8 fixed bytes. */
function countMembers(gz: Buffer): number {
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0]);
  let n = 0;
  for (let i = gz.indexOf(header); i !== -1; i = gz.indexOf(header, i + 1)) n++;
  return n;
}
