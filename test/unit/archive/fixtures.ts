/**
 * Archives made in memory for the archive tests: a tiny ustar writer that can also write what no honest tar
 * tool would (raw name bytes, base-256 sizes, PAX records, any type flag), and a sandbox that proves nothing
 * was written beside the extraction target.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { compressor } from '../../../src/engine/archive/index.js';
import { coreImage, inventoryImage } from '../../support/criuImages.js';

export interface RawEntry {
  name: string | Buffer;
  /** The type flag: '0' file (default), '1' hard link, '2' symlink, '3' char device, '5' folder, 'x' PAX, ... */
  type?: string;
  body?: string | Buffer;
  /** The 12-byte size field as written, to lie about the size. */
  sizeField?: Buffer;
  linkname?: string;
  /** ustar's prefix field, joined before the name with '/'. */
  prefix?: string;
}

function octal(h: Buffer, offset: number, length: number, value: number): void {
  h.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, 'latin1');
}

export function header(e: RawEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  (Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name)).copy(h, 0, 0, 100);
  octal(h, 100, 8, e.type === '5' ? 0o755 : 0o644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  if (e.sizeField) e.sizeField.copy(h, 124);
  else octal(h, 124, 12, size);
  octal(h, 136, 12, 1_700_000_000);
  h.write(e.type ?? '0', 156, 'latin1');
  if (e.linkname) h.write(e.linkname, 157, 100);
  h.write('ustar\u000000', 257, 'latin1');
  if (e.prefix) h.write(e.prefix, 345, 155);
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/** A tar of raw entries, with the end-of-archive blocks unless `end` is false. */
export function tarOf(entries: RawEntry[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    parts.push(header(e, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A PAX extended header ('x', or 'g' for global) carrying `records` for the entry after it. */
export function pax(records: Record<string, string>, type = 'x'): RawEntry {
  const body = Object.entries(records).map(([k, v]) => {
    const line = ` ${k}=${v}\n`;
    let n = Buffer.byteLength(line) + 1;
    while (String(n).length + Buffer.byteLength(line) !== n) n++;
    return `${n}${line}`;
  });
  return { name: 'PaxHeader', type, body: body.join('') };
}

export const gzip = (b: Buffer): Buffer => gzipSync(b);

export async function zstd(b: Buffer | Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (Buffer.isBuffer(b) ? Readable.from([b]) : b).pipe(compressor('zstd'))) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The smallest archive the reader accepts, laid out like podman's; `extra` entries go at the end. */
export function checkpointEntries(extra: RawEntry[] = [], manager = 'libpod'): RawEntry[] {
  return [
    { name: 'config.dump', body: JSON.stringify({ id: 'c0ffee', name: 'web', rootfsImageName: 'localhost/busybox:latest', rootfsImageID: 'abc123', runtime: 'runc', createdTime: '2026-01-02T03:04:05Z' }) },
    { name: 'spec.dump', body: JSON.stringify({ annotations: { 'io.container.manager': manager } }) },
    { name: 'checkpoint/', type: '5' },
    { name: 'checkpoint/inventory.img', body: inventoryImage() },
    { name: 'checkpoint/pages-1.img', body: Buffer.alloc(8192, 1) },
    { name: 'checkpoint/core-1.img', body: coreImage() },
    { name: 'rootfs-diff.tar', body: Buffer.alloc(1024) },
    ...extra,
  ];
}

/** A scratch folder with an empty `outside/` beside the target, to prove nothing escapes. */
export class Sandbox {
  readonly base = mkdtempSync(join(tmpdir(), 'ckpt-archive-'));
  readonly target = join(this.base, 'target');
  readonly outside = join(this.base, 'outside');
  private n = 0;
  constructor() {
    mkdirSync(this.outside);
    mkdirSync(join(this.base, 'in'));
  }
  file(bytes: Buffer): string {
    const path = join(this.base, 'in', `archive-${this.n++}`);
    writeFileSync(path, bytes);
    return path;
  }
  /** Nothing beside the inputs but the empty `outside/` and, when `target` is expected, the target. */
  assertNothingOutside(target = false): void {
    assert.deepEqual(readdirSync(this.base).sort(), target ? ['in', 'outside', 'target'] : ['in', 'outside']);
    assert.deepEqual(readdirSync(this.outside), []);
  }
  dispose(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}
