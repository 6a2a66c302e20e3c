import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { canonicalJson, digestHex, hashingStream, isDigest, parseDigest, sha256Digest, type Digest } from '../../../src/engine/oci/index.js';

const HEX = 'a'.repeat(64);
const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function code(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

function sink(): Writable {
  return new Writable({ write: (_c, _e, done) => done() });
}

describe('digests', () => {
  it('accepts only sha256 with 64 lowercase hex digits', () => {
    assert.equal(parseDigest(`sha256:${HEX}`), `sha256:${HEX}`);
    assert.equal(digestHex(parseDigest(EMPTY)), EMPTY.slice(7));
    assert.equal(sha256Digest(''), EMPTY);
  });

  const hostile: Array<[string, unknown]> = [
    ['path climbing', 'sha256:../../x'],
    ['path climbing after valid hex', `sha256:${HEX}/../../etc/passwd`],
    ['absolute path', '/etc/passwd'],
    ['uppercase hex', `sha256:${HEX.toUpperCase()}`],
    ['63 digits', `sha256:${HEX.slice(1)}`],
    ['65 digits', `sha256:${HEX}a`],
    ['trailing newline', `sha256:${HEX}\n`],
    ['leading space', ` sha256:${HEX}`],
    ['no algorithm', HEX],
    ['NUL byte', `sha256:${HEX.slice(1)}\0`],
    ['empty', ''],
    ['number', 42],
    ['null', null],
    ['object', { toString: () => `sha256:${HEX}` }],
    ['huge', `sha256:${'a'.repeat(1 << 20)}`],
  ];
  for (const [name, value] of hostile) {
    it(`refuses ${name}`, () => {
      assert.equal(isDigest(value), false);
      assert.throws(() => parseDigest(value, 'layer 1 digest'), (err: Error) => {
        assert.equal(code(err), 'INVALID_IMAGE');
        assert.match(err.message, /^layer 1 digest /);
        assert.ok(err.message.length < 200, 'the message quotes a stranger\'s value cut short');
        assert.doesNotMatch(err.message, /[\n\0]/);
        return true;
      });
    });
  }

  it('tells another algorithm apart from garbage', () => {
    assert.throws(() => parseDigest(`sha512:${'b'.repeat(128)}`), (err) => code(err) === 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('hashingStream', () => {
  it('counts, hashes and passes bytes through', async () => {
    const hasher = hashingStream();
    const seen: number[] = [];
    const progress = hashingStream({ onProgress: (n) => seen.push(n) });
    await pipeline(Readable.from([Buffer.from('hello '), Buffer.from('world')]), hasher, progress, sink());
    assert.equal(hasher.size, 11);
    assert.equal(hasher.digest(), sha256Digest('hello world'));
    assert.deepEqual(seen, [6, 11]);
  });

  it('fails at the end when the digest or size differs', async () => {
    const wrong = `sha256:${HEX}` as Digest;
    await assert.rejects(pipeline(Readable.from([Buffer.from('x')]), hashingStream({ expected: { digest: wrong } }), sink()),
      (err) => code(err) === 'DIGEST_MISMATCH');
    await assert.rejects(pipeline(Readable.from([Buffer.from('x')]), hashingStream({ expected: { size: 2 } }), sink()),
      (err) => code(err) === 'DIGEST_MISMATCH');
  });

  it('stops an endless stream as soon as it passes the promised size', async () => {
    async function* endless() {
      for (;;) yield Buffer.alloc(64 * 1024);
    }
    await assert.rejects(pipeline(endless(), hashingStream({ expected: { size: 100_000 } }), sink()), /longer than the 100000 bytes/);
  });

  it('has no digest before the end', () => {
    assert.throws(() => hashingStream().digest());
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, drops undefined and adds no whitespace', () => {
    const a = canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'é' }, u: undefined });
    const b = canonicalJson({ a: { c: 'é', d: [3, { y: 2, z: 1 }] }, b: 1 });
    assert.equal(a.toString(), '{"a":{"c":"é","d":[3,{"y":2,"z":1}]},"b":1}');
    assert.deepEqual(a, b);
    assert.equal(sha256Digest(a), sha256Digest(b));
  });

  it('refuses what JSON cannot hold', () => {
    assert.throws(() => canonicalJson({ size: Number.NaN }), /\$\.size is NaN/);
    assert.throws(() => canonicalJson({ n: 1n }), /bigint/);
  });
});
