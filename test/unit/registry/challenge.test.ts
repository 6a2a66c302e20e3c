import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChallenges } from '../../../src/engine/registry/challenge.js';

describe('WWW-Authenticate', () => {
  it('reads a distribution Bearer challenge with a comma inside the scope', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:team/web:pull,push"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:team/web:pull,push' } },
    ]);
  });

  it('reads Basic, several challenges, spaces, unquoted values and escapes', () => {
    assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    assert.deepEqual(parseChallenges('Basic realm=x , Bearer realm = "a\\"b", error="invalid_token"'), [
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'bearer', params: { realm: 'a"b', error: 'invalid_token' } },
    ]);
  });

  it('survives garbage without throwing', () => {
    for (const junk of ['', ',,,', '"unterminated', 'Bearer realm="open', '=x', 'Bearer ===', '\u0000\u00ff']) {
      assert.doesNotThrow(() => parseChallenges(junk), junk);
    }
    assert.deepEqual(parseChallenges('Bearer realm="open'), [{ scheme: 'bearer', params: { realm: 'open' } }]);
  });
});
