/**
 * The archive of issue 11 item 4, made on the fly and never committed: a gzip'ed tar whose entries are empty
 * files with long, distinct names (about 3.8 KB each, given in PAX headers), 500,000 of them by default — some
 * 23 MB compressed, 2.6 GB of tar. Every name is clean, so only the limits can stop a reader.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pax, tarOf } from '../unit/archive/fixtures.js';

export interface LongNamesOptions {
  /** Entries; default 500,000. */
  entries?: number;
  /** Bytes of each name, about (at most 4,000); default 3,830. */
  nameBytes?: number;
  /**
   * 'wide' (default): names of 200-byte folders shared by all entries, then a distinct file name. 'deep': each
   * entry in a folder of its own, then one-letter folders down to the name's length (a path of 2,000 folders).
   */
  shape?: 'wide' | 'deep';
}

const BLOCK = 512;

/** Writes the archive to `file`; returns its size in bytes. */
export async function writeLongNamesArchive(file: string, options: LongNamesOptions = {}): Promise<number> {
  const out = createWriteStream(file);
  await pipeline(Readable.from(longNamesTar(options)), createGzip({ level: 6 }), out);
  return out.bytesWritten;
}

/**
 * The uncompressed tar, in chunks of a thousand entries. Every entry has the same shape, and only its number
 * (nine digits, in the path and the name) changes: one is made, then copied and renumbered.
 */
export function* longNamesTar({ entries = 500_000, nameBytes = 3_830, shape = 'wide' }: LongNamesOptions = {}): Generator<Buffer> {
  const number = '#########';
  // Folders of 200 bytes each (below NAME_MAX), then a file name that makes every path distinct.
  const dirs = Math.max(0, Math.floor((nameBytes - 10) / 201));
  const wide = Array.from({ length: dirs }, (_, i) => `${String.fromCharCode(97 + (i % 26)).repeat(200)}/`).join('');
  const deep = 'd/'.repeat(Math.max(0, Math.floor((nameBytes - 22) / 2)));
  const path = shape === 'wide' ? `${wide}f${number}` : `${number}/${deep}f${number}`;
  const template = tarOf([pax({ path }), { name: `f${number}` }], false);
  const at: number[] = [];
  for (let i = template.indexOf(number); i !== -1; i = template.indexOf(number, i + 1)) at.push(i);
  const last = template.length - BLOCK;
  const per = 1000;
  for (let start = 0; start < entries; start += per) {
    const count = Math.min(entries, start + per) - start;
    const chunk = Buffer.allocUnsafe(count * template.length);
    for (let k = 0; k < count; k++) {
      const base = k * template.length;
      template.copy(chunk, base);
      const digits = String(start + k).padStart(9, '0');
      for (const i of at) chunk.write(digits, base + i, 'latin1');
      checksum(chunk.subarray(base + last, base + template.length));
    }
    yield chunk;
  }
  yield Buffer.alloc(2 * BLOCK);
}

/** Writes a header block's checksum field. */
function checksum(h: Buffer): void {
  h.fill(' ', 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}
