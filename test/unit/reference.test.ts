import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReference, parseReference } from '../../src/engine/index.js';

describe('image references', () => {
  const cases: [string, ReturnType<typeof parseReference>][] = [
    ['localhost/web:1', { kind: 'podman', name: 'localhost/web:1' }],
    ['podman:localhost/web:1', { kind: 'podman', name: 'localhost/web:1' }],
    ['store:bug-42', { kind: 'store', tag: 'bug-42' }],
    ['oci:/tmp/lay:out:v1', { kind: 'oci', path: '/tmp/lay:out', tag: 'v1' }],
    ['archive:/tmp/a.tar.zst', { kind: 'archive', path: '/tmp/a.tar.zst' }],
  ];
  for (const [text, ref] of cases) {
    it(`reads ${text}`, () => {
      assert.deepEqual(parseReference(text), ref);
      if (text.includes(':') && !text.startsWith('localhost')) assert.equal(formatReference(ref), text);
    });
  }

  it('says what is missing', () => {
    for (const bad of ['store:', 'oci:/tmp/x', 'archive:', 'podman:']) {
      assert.throws(() => parseReference(bad), /missing/, bad);
    }
  });
});
