import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayCarryCredentials, refusedDestination } from '../../../src/engine/registry/destinations.js';

describe('where registry credentials may go', () => {
  it('only to the registry origin: same scheme, host and port', () => {
    const origin = 'https://registry.example';
    assert.equal(mayCarryCredentials(new URL('https://registry.example/v2/a/blobs/uploads/x?_state=1'), origin), true);
    assert.equal(mayCarryCredentials(new URL('https://registry.example:443/v2/'), origin), true, 'the default port is the same origin');
    for (const other of ['https://storage.example/v2/a', 'http://registry.example/v2/a', 'https://registry.example:5000/v2/a', 'https://registry.example.evil/v2/']) {
      assert.equal(mayCarryCredentials(new URL(other), origin), false, other);
    }
  });

  it('refuses plain HTTP from an HTTPS registry, and anything that is not HTTP', () => {
    assert.equal(refusedDestination(new URL('https://auth.example/token'), false), undefined);
    assert.match(refusedDestination(new URL('http://auth.example/token'), false) ?? '', /plain HTTP/);
    assert.equal(refusedDestination(new URL('http://127.0.0.1:5001/token'), true), undefined, 'a plain-HTTP registry may name plain HTTP');
    assert.match(refusedDestination(new URL('file:///etc/passwd'), true) ?? '', /file is not HTTP/);
    assert.match(refusedDestination(new URL('ftp://storage.example/blob'), true) ?? '', /ftp is not HTTP/);
  });
});
