/**
 * The hostile corpus: each archive is made to escape the target, exhaust the machine or confuse the parser.
 * Extraction and reading must both refuse it with a clear EngineError, and nothing may be left beside the target.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { extractArchive, readCheckpointArchive, type ExtractOptions } from '../../../src/engine/archive/index.js';
import { isEngineError } from '../../../src/engine/index.js';
import { checkpointEntries, gzip, header, pax, Sandbox, tarOf, zstd, type RawEntry } from './fixtures.js';

interface Case {
  title: string;
  bytes: (box: Sandbox) => Buffer | Promise<Buffer>;
  code: string;
  message: RegExp;
  options?: ExtractOptions;
}

const file = (name: string | Buffer, body = 'x'): RawEntry => ({ name, body });
const dir = (name: string): RawEntry => ({ name, type: '5' });
const symlink = (name: string, to: string): RawEntry => ({ name, type: '2', linkname: to });
const hardlink = (name: string, to: string): RawEntry => ({ name, type: '1', linkname: to });
/** A hostile entry placed after a valid checkpoint, so the reader meets it too. */
const ckpt = (...extra: RawEntry[]) => tarOf(checkpointEntries(extra));
const base256 = (n: bigint, negative = false) => {
  const f = Buffer.alloc(12);
  let v = negative ? (1n << 88n) - n : n;
  for (let i = 11; i > 0; i--, v >>= 8n) f[i] = Number(v & 0xffn);
  f[0] = negative ? 0xff : 0x80;
  return f;
};

const cases: Case[] = [
  { title: 'parent-dir traversal', bytes: () => ckpt(file('../outside/pwned')), code: 'UNSAFE_ENTRY', message: /"\.\.\/outside\/pwned" climbs out/ },
  { title: 'traversal after a name', bytes: () => ckpt(file('a/../../outside/pwned')), code: 'UNSAFE_ENTRY', message: /climbs out/ },
  { title: 'traversal behind ./', bytes: () => ckpt(file('./../outside/pwned')), code: 'UNSAFE_ENTRY', message: /climbs out/ },
  { title: 'a bare .. folder', bytes: () => ckpt(dir('../')), code: 'UNSAFE_ENTRY', message: /climbs out/ },
  { title: 'absolute path', bytes: (b) => ckpt(file(`${b.outside}/pwned`)), code: 'UNSAFE_ENTRY', message: /is an absolute path/ },
  { title: 'ustar prefix field joined into ..', bytes: () => ckpt({ name: 'outside/pwned', prefix: '..', body: 'x' }), code: 'UNSAFE_ENTRY', message: /climbs out/ },
  { title: 'symlink carrying data that Go reads as further entries', bytes: () => ckpt({ ...symlink('s', 'checkpoint'), body: tarOf([file('spec.dump', '{}')], false) }), code: 'UNSAFE_ENTRY', message: /"s" is a symlink that declares 1024 bytes of data/ },
  { title: 'PAX global header renaming what follows (tar-stream merges it, Go ignores it)', bytes: () => ckpt(pax({ path: 'spec.dump' }, 'g'), file('notes.txt')), code: 'UNSAFE_ENTRY', message: /"notes\.txt" follows a PAX global header/ },
  { title: 'PAX global header at the end', bytes: () => tarOf([...checkpointEntries(), pax({ comment: 'x' }, 'g')]), code: 'UNSAFE_ENTRY', message: /ends with a PAX global header/ },
  { title: 'hard link carrying data', bytes: () => ckpt({ ...hardlink('h', 'config.dump'), body: 'x'.repeat(600) }), code: 'UNSAFE_ENTRY', message: /is a link that declares 600 bytes/ },
  { title: 'folder carrying data', bytes: () => ckpt({ ...dir('d'), body: 'x' }), code: 'UNSAFE_ENTRY', message: /is a directory that declares 1 bytes/ },
  { title: 'PAX path overriding a harmless name', bytes: () => ckpt(pax({ path: '../outside/pwned' }), file('harmless')), code: 'UNSAFE_ENTRY', message: /"\.\.\/outside\/pwned"/ },
  { title: 'PAX global header supplying the path', bytes: () => ckpt(pax({ path: '../outside/pwned' }, 'g'), pax({ mtime: '1' }), file('harmless')), code: 'UNSAFE_ENTRY', message: /"\.\.\/outside\/pwned" follows a PAX global header/ },
  { title: 'GNU long name with ..', bytes: () => ckpt({ name: '././@LongLink', type: 'L', body: '../outside/pwned\0' }, file('harmless')), code: 'UNSAFE_ENTRY', message: /climbs out/ },
  { title: 'symlink out, then a write through it', bytes: () => ckpt(symlink('evil', '../outside'), file('evil/pwned')), code: 'UNSAFE_ENTRY', message: /symlink "evil" -> "\.\.\/outside" points outside/ },
  { title: 'absolute symlink', bytes: (b) => ckpt(symlink('evil', b.outside)), code: 'UNSAFE_ENTRY', message: /absolute path, outside/ },
  { title: 'symlink climbing two levels from one deep', bytes: () => ckpt(dir('d/'), symlink('d/evil', '../../outside')), code: 'UNSAFE_ENTRY', message: /points outside/ },
  { title: 'symlink chain through a link to the root', bytes: () => ckpt(symlink('root', '.'), symlink('up', 'root/..')), code: 'UNSAFE_ENTRY', message: /climbs with "\.\." after a name/ },
  { title: 'write through a symlinked folder (pointing inside)', bytes: () => ckpt(dir('sub/'), symlink('l', 'sub'), file('l/x')), code: 'UNSAFE_ENTRY', message: /goes through "l", a symlink/ },
  { title: 'symlink target with a NUL byte (PAX linkpath)', bytes: () => ckpt(pax({ linkpath: 'ok\0/../../x' }), symlink('s', 'ok')), code: 'UNSAFE_ENTRY', message: /NUL byte/ },
  { title: 'PAX linkpath turning a symlink absolute', bytes: () => ckpt(pax({ linkpath: '/etc' }), symlink('s', 'checkpoint')), code: 'UNSAFE_ENTRY', message: /absolute path/ },
  { title: 'hard link out of the target', bytes: () => ckpt(hardlink('h', '../outside/secret')), code: 'UNSAFE_ENTRY', message: /hard link "h" -> "\.\.\/outside\/secret" climbs out/ },
  { title: 'hard link to an absolute path', bytes: () => ckpt(hardlink('h', '/etc/passwd')), code: 'UNSAFE_ENTRY', message: /is an absolute path/ },
  { title: 'hard link to a symlink', bytes: () => ckpt(symlink('s', 'config.dump'), hardlink('h', 's')), code: 'UNSAFE_ENTRY', message: /does not point to an earlier file/ },
  { title: 'hard link to a file not yet seen', bytes: () => ckpt(hardlink('h', 'later'), file('later')), code: 'UNSAFE_ENTRY', message: /does not point to an earlier file/ },
  { title: 'write through a hard link', bytes: () => ckpt(hardlink('h', 'config.dump'), file('h/x')), code: 'UNSAFE_ENTRY', message: /goes through "h", a link/ },
  { title: 'character device', bytes: () => ckpt({ name: 'dev/null', type: '3' }), code: 'UNSAFE_ENTRY', message: /is a character-device/ },
  { title: 'block device', bytes: () => ckpt({ name: 'sda', type: '4' }), code: 'UNSAFE_ENTRY', message: /is a block-device/ },
  { title: 'fifo', bytes: () => ckpt({ name: 'pipe', type: '6' }), code: 'UNSAFE_ENTRY', message: /is a fifo/ },
  { title: 'unknown type flag', bytes: () => ckpt({ name: 'odd', type: 'Z' }), code: 'UNSAFE_ENTRY', message: /entry of unknown type/ },
  { title: 'folder replaced by a symlink', bytes: () => ckpt(dir('d/'), symlink('d', 'checkpoint')), code: 'UNSAFE_ENTRY', message: /"d" appears twice/ },
  { title: 'file listed twice', bytes: () => tarOf([file('f'), file('f')]), code: 'UNSAFE_ENTRY', message: /appears twice/ },
  { title: 'file used as a folder', bytes: () => tarOf([file('a'), file('a/b')]), code: 'UNSAFE_ENTRY', message: /goes through "a", a file/ },
  { title: 'NUL byte inside a PAX path', bytes: () => ckpt(pax({ path: 'a\0/../../outside/x' }), file('a')), code: 'UNSAFE_ENTRY', message: /NUL byte/ },
  { title: 'name that is not UTF-8', bytes: () => ckpt(file(Buffer.from([0x66, 0xff, 0xfe, 0x2f, 0x78]))), code: 'UNSAFE_ENTRY', message: /not UTF-8/ },
  { title: 'overlong path (PAX, 5000 bytes)', bytes: () => ckpt(pax({ path: 'a/'.repeat(2500) }), file('x')), code: 'ARCHIVE_LIMIT_EXCEEDED', message: /longer than 4096 bytes/ },
  { title: 'overlong name component', bytes: () => ckpt(pax({ path: `d/${'n'.repeat(300)}` }), file('x')), code: 'ARCHIVE_LIMIT_EXCEEDED', message: /longer than 255 bytes/ },
  { title: 'huge declared size (base-256, 1 TiB)', bytes: () => ckpt({ name: 'big', sizeField: base256(1n << 40n) }), code: 'ARCHIVE_LIMIT_EXCEEDED', message: /"big" declares 1099511627776 bytes/ },
  { title: 'huge size through PAX', bytes: () => ckpt(pax({ size: '99999999999999' }), file('big')), code: 'ARCHIVE_LIMIT_EXCEEDED', message: /declares 99999999999999 bytes/ },
  { title: 'negative size (base-256)', bytes: () => ckpt({ name: 'neg', sizeField: base256(5n, true) }), code: 'ARCHIVE_CORRUPT', message: /damaged or truncated \(Invalid header\)/ },
  { title: 'NaN size through PAX', bytes: () => ckpt(pax({ size: 'lots' }), file('nan')), code: 'ARCHIVE_CORRUPT', message: /Invalid header/ },
  { title: 'total size above the limit', bytes: () => ckpt(), code: 'ARCHIVE_LIMIT_EXCEEDED', message: /add up to more than the limit of 4096 bytes/, options: { maxTotalBytes: 4096 } },
  { title: 'entry above the per-entry limit', bytes: () => ckpt(), code: 'ARCHIVE_LIMIT_EXCEEDED', message: /pages-1.img" declares 8192 bytes/, options: { maxEntryBytes: 4096 } },
  { title: 'too many entries', bytes: () => ckpt(...Array.from({ length: 50 }, (_, i) => file(`f${i}`))), code: 'ARCHIVE_LIMIT_EXCEEDED', message: /more than 20 entries/, options: { maxEntries: 20 } },
  { title: 'truncated tar (inside an entry)', bytes: () => ckpt().subarray(0, 3000), code: 'ARCHIVE_CORRUPT', message: /damaged or truncated/ },
  { title: 'truncated tar (inside a large file body)', bytes: () => tarOf([file('big', Buffer.alloc(200_000, 1).toString())]).subarray(0, 100_000), code: 'ARCHIVE_CORRUPT', message: /damaged or truncated \(Unexpected end of data\)/ },
  { title: 'truncated gzip', bytes: () => { const g = gzip(ckpt()); return g.subarray(0, g.length - 30); }, code: 'ARCHIVE_CORRUPT', message: /damaged or truncated/ },
  { title: 'truncated zstd', bytes: async () => { const z = await zstd(ckpt()); return z.subarray(0, z.length - 20); }, code: 'ARCHIVE_CORRUPT', message: /damaged or truncated/ },
  { title: 'zstd with a flipped byte (checksum)', bytes: async () => { const z = await zstd(ckpt()); z[z.length - 10]! ^= 0xff; return z; }, code: 'ARCHIVE_CORRUPT', message: /damaged or truncated/ },
  { title: 'gzip of garbage', bytes: () => gzip(Buffer.alloc(4096, 'garbage')), code: 'ARCHIVE_CORRUPT', message: /Invalid tar header/ },
  { title: 'bad tar header checksum', bytes: () => { const t = ckpt(); t[0] = 0x43; return t; }, code: 'ARCHIVE_CORRUPT', message: /Invalid tar header/ },
  { title: 'wrong magic (not an archive)', bytes: () => Buffer.alloc(2048, 'PK\u0003\u0004 not a tar'), code: 'NOT_AN_ARCHIVE', message: /not a tar archive, nor a gzip- or zstd-compressed one/ },
  { title: 'short garbage', bytes: () => Buffer.from('hello'), code: 'NOT_AN_ARCHIVE', message: /not a tar archive/ },
  { title: 'empty file', bytes: () => Buffer.alloc(0), code: 'NOT_AN_ARCHIVE', message: /is empty/ },
  {
    title: 'zstd bomb (300 MiB of zeros in a few KiB)',
    bytes: () => zstd(Readable.from((function* () {
      yield header({ name: 'bomb' }, 300 << 20);
      for (let i = 0; i < 300; i++) yield Buffer.alloc(1 << 20);
    })())),
    code: 'ARCHIVE_LIMIT_EXCEEDED',
    message: /zstd data expands more than 10000 times/,
  },
];

describe('hostile archives', () => {
  const boxes: Sandbox[] = [];
  after(() => boxes.forEach((b) => b.dispose()));

  it('has at least 30 cases', () => assert.ok(cases.length >= 30, `${cases.length} cases`));

  for (const c of cases) {
    it(`refuses: ${c.title}`, async () => {
      const box = new Sandbox();
      boxes.push(box);
      const path = box.file(await c.bytes(box));
      const refused = (err: unknown) => {
        assert.ok(isEngineError(err), `not an EngineError: ${String(err)}`);
        assert.equal(err.code, c.code, err.message);
        assert.match(err.message, c.message);
        assert.match(err.message, /^archive-\d+/, 'the message names the archive');
        return true;
      };
      await assert.rejects(extractArchive(path, box.target, c.options), refused);
      box.assertNothingOutside();
      await assert.rejects(readCheckpointArchive(path, c.options), refused);
    });
  }
});
