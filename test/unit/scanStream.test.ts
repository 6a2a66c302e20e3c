/**
 * Secrets in bytes that arrive in pieces (memory runs, files), and how findings are counted and shown: split
 * anywhere, a secret is found once; the same secret at many addresses is one finding; no output holds it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { FindingCollector, previewOf } from '../../src/engine/scan/findings.js';
import { secretStream } from '../../src/engine/scan/scanCheckpoint.js';
import type { SecretMatch } from '../../src/engine/scan/detectors.js';
import { fakes } from '../support/fakeSecrets.js';

type Found = { kind: string; secret: string; at: bigint };

/** Scans `bytes` cut at `cuts`, as one stream starting at `start`. */
function scanPieces(bytes: Buffer, cuts: number[], start = 0x1000n): Found[] {
  const found: Found[] = [];
  const scanner = secretStream((m: SecretMatch, secret, at) => found.push({ kind: m.kind, secret, at }), start);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    scanner.push(bytes.subarray(from, cut));
    from = cut;
  }
  scanner.end();
  return found;
}

describe('scanning a stream in pieces', () => {
  it('a token split at every byte boundary is found once, at its address', () => {
    const token = fakes.github();
    const bytes = Buffer.concat([randomBytes(300).fill(0, 280), Buffer.from(token), Buffer.alloc(50)]);
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.deepEqual(scanPieces(bytes, [cut]), [{ kind: 'github-token', secret: token, at: 0x1000n + 300n }], `cut at ${cut}`);
    }
  });

  it('a PEM key in 16-byte pieces, and secrets at the very start and end of the stream', () => {
    const body = fakes.pemBody(40);
    const jwt = fakes.jwt();
    const npm = fakes.npm();
    const text = `${npm} ${'\0'.repeat(5000)}-----BEGIN EC PRIVATE KEY-----\n${body}\n-----END EC PRIVATE KEY-----\n${'\0'.repeat(9000)}${jwt}`;
    const bytes = Buffer.from(text, 'latin1');
    const cuts = Array.from({ length: Math.floor(bytes.length / 16) }, (_, i) => (i + 1) * 16).filter((c) => c < bytes.length);
    const found = scanPieces(bytes, cuts, 0n);
    assert.deepEqual(found.map((f) => f.kind), ['npm-token', 'private-key', 'jwt']);
    assert.equal(found[0]!.secret, npm);
    assert.equal(found[0]!.at, 0n);
    assert.ok(found[1]!.secret.startsWith(body.slice(0, 64)) && found[1]!.secret.includes(body.slice(-64)));
    assert.equal(found[2]!.secret, jwt);
    assert.equal(found[2]!.at, BigInt(text.length - jwt.length));
  });

  it('keeps only a bounded tail of a long run', () => {
    const scanner = secretStream(() => {});
    for (let i = 0; i < 64; i++) scanner.push(Buffer.alloc(1 << 20, 0x41));
    const tail = (scanner as unknown as { tail: Buffer }).tail.length;
    assert.ok(tail <= 16 << 10, `${tail} bytes kept`);
    assert.equal(scanner.next, 64n << 20n);
  });
});

describe('findings', () => {
  it('the same secret at many addresses and in many processes is one finding with a count and the first addresses', () => {
    const c = new FindingCollector();
    const token = fakes.gitlab();
    for (let i = 0; i < 20; i++) c.add({ kind: 'gitlab-token', where: 'memory', secret: token, prefix: 6, pid: 1 + (i % 3), address: 0x7f00n + BigInt(i) * 0x100n });
    c.add({ kind: 'gitlab-token', where: 'environment', secret: token, prefix: 6, pid: 2 });
    const [env, memory] = c.findings();
    assert.deepEqual(env, { kind: 'gitlab-token', where: 'environment', pid: 2, pids: [2], preview: 'glpat-… (26 chars)', length: 26, count: 1 });
    assert.equal(memory!.count, 20);
    assert.deepEqual(memory!.pids, [1, 2, 3]);
    assert.equal(memory!.address, '0x7f00');
    assert.equal(memory!.addresses!.length, 8);
    assert.equal(c.capped, false);
  });

  it('a secret of an environment is not listed again for its copies in the same processes\' memory; in another process it is', () => {
    const c = new FindingCollector();
    const password = { kind: 'secret-variable', secret: 'hunter22-horse', prefix: 0, name: 'DB_PASSWORD' } as const;
    c.add({ ...password, where: 'memory', pid: 1, address: 0x7ffc0000n });
    c.add({ ...password, where: 'memory', pid: 6, address: 0x7ffd0000n });
    c.add({ ...password, where: 'environment', pid: 1 });
    c.add({ ...password, where: 'environment', pid: 6 });
    assert.deepEqual(c.findings().map((f) => [f.where, f.pids, f.count]), [['environment', [1, 6], 4]]);
    c.add({ ...password, where: 'memory', pid: 9, address: 0x1000n });
    assert.deepEqual(c.findings().map((f) => [f.where, f.pids, f.count]), [['environment', [1, 6], 2], ['memory', [1, 6, 9], 3]]);
  });

  it('caps the distinct findings and says so; known ones still count', () => {
    const c = new FindingCollector(3);
    for (let i = 0; i < 5; i++) c.add({ kind: 'secret-variable', where: 'environment', secret: `value-${i}-xyz`, prefix: 0, name: 'TOKEN', pid: 1 });
    c.add({ kind: 'secret-variable', where: 'environment', secret: 'value-0-xyz', prefix: 0, name: 'TOKEN', pid: 1 });
    assert.equal(c.findings().length, 3);
    assert.equal(c.capped, true);
    assert.equal(c.findings().find((f) => f.count === 2)?.preview, 'va… (11 chars)');
  });

  it('a preview shows the public prefix or at most a quarter of the secret, never the secret', () => {
    assert.equal(previewOf('hunter22', 0), 'hu… (8 chars)');
    assert.equal(previewOf('abc', 0), '… (3 chars)');
    assert.equal(previewOf('MIIEowIBAAKCAQEA', 0), 'MIIE… (16 chars)');
    const token = fakes.github();
    assert.equal(previewOf(token, 4), 'ghp_… (40 chars)');
  });
});
