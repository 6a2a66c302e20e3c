/**
 * The registries the registry tests run against (test/support/registry.ts), checked with plain fetch: each auth
 * mode really works and really refuses, and the fault proxy injects exactly the faults asked for.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { registryFetch, startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from '../support/registry.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/** Monolithic upload: POST for a session, then PUT the bytes to its Location. */
async function pushBlob(target: { url: string }, repo: string, data: Buffer, headers: Record<string, string> = {}) {
  const start = await registryFetch(target, `/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  assert.equal(start.status, 202, await start.text());
  const location = start.headers.get('location') ?? '';
  const url = new URL(location);
  url.searchParams.set('digest', sha256(data));
  const put = await fetch(url, { method: 'PUT', headers: { ...headers, 'Content-Type': 'application/octet-stream' }, body: data });
  return { location, status: put.status, digest: put.headers.get('docker-content-digest'), body: await put.text() };
}

async function getToken(reg: TestRegistry, scopes: string[], password = reg.password) {
  const url = new URL(reg.token!.realm);
  url.searchParams.set('service', reg.token!.service);
  for (const s of scopes) url.searchParams.append('scope', s);
  const r = await fetch(url, { headers: { Authorization: basic(reg.username, password) } });
  return { status: r.status, body: (await r.json()) as { token?: string; access_token?: string; expires_in?: number; issued_at?: string } };
}

describe('test registry without auth', () => {
  let reg: TestRegistry;
  before(async () => (reg = await startRegistry()));
  after(() => reg.stop());

  it('answers /v2/ and stores blobs', async () => {
    const v2 = await registryFetch(reg, '/v2/');
    assert.equal(v2.status, 200);
    assert.equal(v2.headers.get('docker-distribution-api-version'), 'registry/2.0');

    const data = Buffer.from('hello blob');
    const pushed = await pushBlob(reg, 't', data);
    assert.equal(pushed.status, 201, pushed.body);
    assert.ok(pushed.location.startsWith(`${reg.url}/v2/t/blobs/uploads/`), pushed.location);
    assert.equal(pushed.digest, sha256(data));
    const head = await registryFetch(reg, `/v2/t/blobs/${sha256(data)}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(data.length));

    const missing = await registryFetch(reg, `/v2/t/blobs/${sha256(Buffer.from('nope'))}`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'BLOB_UNKNOWN');
  });

  it('stores an OCI manifest by tag and serves it to clients that accept OCI', async () => {
    const layer = Buffer.from('layer bytes');
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    for (const b of [layer, config]) assert.equal((await pushBlob(reg, 't', b)).status, 201);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
      }),
    );
    const put = await registryFetch(reg, '/v2/t/manifests/v1', { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest });
    assert.equal(put.status, 201, await put.text());
    assert.equal(put.headers.get('docker-content-digest'), sha256(manifest));

    const got = await registryFetch(reg, '/v2/t/manifests/v1', { headers: { Accept: OCI_MANIFEST } });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), OCI_MANIFEST);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), manifest);
    // distribution 2.8 answers 404 MANIFEST_UNKNOWN for an OCI manifest, by tag or digest, GET or HEAD, when the
    // Accept header does not name the OCI type (`*/*` is not enough).
    for (const [method, ref, accept] of [['GET', 'v1', ''], ['HEAD', sha256(manifest), ''], ['HEAD', 'v1', '*/*']] as const) {
      const r = await registryFetch(reg, `/v2/t/manifests/${ref}`, { method, headers: accept ? { Accept: accept } : {} });
      assert.equal(r.status, 404, `${method} ${ref} Accept: ${accept}`);
      await r.arrayBuffer();
    }
  });
});

describe('test registry with Basic auth', () => {
  let reg: TestRegistry;
  before(async () => (reg = await startRegistry('basic')));
  after(() => reg.stop());

  it('asks for Basic credentials and takes only the right ones', async () => {
    const anonymous = await registryFetch(reg, '/v2/');
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm="[^"]+"/);
    assert.equal(((await anonymous.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'UNAUTHORIZED');

    assert.equal((await registryFetch(reg, '/v2/', { headers: { Authorization: basic(reg.username, reg.password) } })).status, 200);
    assert.equal((await registryFetch(reg, '/v2/', { headers: { Authorization: basic(reg.username, 'wrong') } })).status, 401);
    const pushed = await pushBlob(reg, 't', Buffer.from('basic'), { Authorization: basic(reg.username, reg.password) });
    assert.equal(pushed.status, 201, pushed.body);
  });
});

describe('test registry with token auth', () => {
  let reg: TestRegistry;
  before(async () => (reg = await startRegistry('token')));
  after(() => reg.stop());

  it('challenges with its realm and service, and the scope a request needs', async () => {
    const v2 = await registryFetch(reg, '/v2/');
    assert.equal(v2.status, 401);
    assert.equal(v2.headers.get('www-authenticate'), `Bearer realm="${reg.token!.realm}",service="${reg.token!.service}"`);
    const upload = await registryFetch(reg, '/v2/t/blobs/uploads/', { method: 'POST' });
    assert.equal(upload.status, 401);
    assert.match(upload.headers.get('www-authenticate') ?? '', /,scope="repository:t:(pull,push|push,pull)"$/);
  });

  it('takes a token granted for push and pull', async () => {
    const { status, body } = await getToken(reg, ['repository:t:pull,push']);
    assert.equal(status, 200);
    assert.equal(body.token, body.access_token);
    assert.equal(body.expires_in, 300);
    assert.ok(!Number.isNaN(Date.parse(body.issued_at ?? '')));
    const auth = { Authorization: `Bearer ${body.token}` };

    assert.equal((await registryFetch(reg, '/v2/', { headers: auth })).status, 200);
    const data = Buffer.from('token blob');
    const pushed = await pushBlob(reg, 't', data, auth);
    assert.equal(pushed.status, 201, pushed.body);
    const got = await registryFetch(reg, `/v2/t/blobs/${sha256(data)}`, { headers: auth });
    assert.equal(got.status, 200);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), data);
    // The grant is per repository.
    assert.equal((await registryFetch(reg, `/v2/other/blobs/${sha256(data)}`, { headers: auth })).status, 401);

    const catalog = await getToken(reg, ['registry:catalog:*']);
    const list = await registryFetch(reg, '/v2/_catalog', { headers: { Authorization: `Bearer ${catalog.body.token}` } });
    assert.equal(list.status, 200);
    assert.deepEqual(await list.json(), { repositories: ['t'] });
  });

  it('refuses a push with a pull-only token: 401 insufficient_scope', async () => {
    const { body } = await getToken(reg, ['repository:t:pull']);
    const r = await registryFetch(reg, '/v2/t/blobs/uploads/', { method: 'POST', headers: { Authorization: `Bearer ${body.token}` } });
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    assert.equal(((await r.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'UNAUTHORIZED');
  });

  it('token server refuses wrong credentials and records every request', async () => {
    const seen = reg.token!.requests.length;
    const { status } = await getToken(reg, ['repository:t:pull'], 'wrong');
    assert.equal(status, 401);
    await getToken(reg, ['repository:t:pull', 'repository:u:pull,push']);
    assert.deepEqual(reg.token!.requests.slice(seen), [
      { scopes: ['repository:t:pull'], account: reg.username, ok: false },
      { scopes: ['repository:t:pull', 'repository:u:pull,push'], account: reg.username, ok: true },
    ]);
  });

  it('a token stops working expiresIn seconds after it was issued', async () => {
    reg.token!.expiresIn = 1;
    try {
      const { body } = await getToken(reg, ['repository:t:pull']);
      assert.equal(body.expires_in, 1);
      const auth = { Authorization: `Bearer ${body.token}` };
      assert.equal((await registryFetch(reg, '/v2/t/tags/list', { headers: auth })).status, 404, 'fresh token refused');
      await new Promise((r) => setTimeout(r, 2100));
      const r = await registryFetch(reg, '/v2/t/tags/list', { headers: auth });
      assert.equal(r.status, 401);
      assert.match(r.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    } finally {
      reg.token!.expiresIn = 300;
    }
  });
});

describe('fault proxy', () => {
  let reg: TestRegistry;
  let proxy: FaultProxy;
  // 256 KiB: larger than one socket write, so a drop really lands mid-body.
  const blob = randomBytes(256 << 10);
  let auth: Record<string, string>;
  before(async () => {
    reg = await startRegistry('basic');
    proxy = await startFaultProxy(reg);
    auth = { Authorization: basic(reg.username, reg.password) };
    assert.equal((await pushBlob(reg, 't', blob, auth)).status, 201);
  });
  after(async () => {
    await proxy.stop();
    await reg.stop();
  });
  const blobPath = () => `/v2/t/blobs/${sha256(blob)}`;

  it('forwards credentials, and answers an injected status the given number of times', async () => {
    assert.equal((await registryFetch(proxy, '/v2/', { headers: auth })).status, 200);
    proxy.fail({ kind: 'status', status: 500, match: /^\/v2\/$/, times: 2 });
    assert.equal((await registryFetch(proxy, '/v2/', { headers: auth })).status, 500);
    assert.equal((await registryFetch(proxy, '/v2/', { headers: auth })).status, 500);
    assert.equal((await registryFetch(proxy, '/v2/', { headers: auth })).status, 200);
    assert.deepEqual(proxy.log.slice(-4).map((e) => e.status), [200, 500, 500, 200]);
  });

  it('drops the connection mid-body of a blob GET, once', async () => {
    proxy.fail({ kind: 'drop', afterBytes: 1000, method: 'GET', match: /\/blobs\/sha256:/ });
    const r = await registryFetch(proxy, blobPath(), { headers: auth });
    assert.equal(r.status, 200);
    await assert.rejects(r.arrayBuffer());
    const again = await registryFetch(proxy, blobPath(), { headers: auth });
    assert.deepEqual(Buffer.from(await again.arrayBuffer()), blob);
  });

  it('corrupts one byte of a response body', async () => {
    proxy.fail({ kind: 'corrupt', match: /\/blobs\//, offset: 100_000 });
    const got = Buffer.from(await (await registryFetch(proxy, blobPath(), { headers: auth })).arrayBuffer());
    assert.equal(got.length, blob.length);
    assert.notEqual(sha256(got), sha256(blob));
    const differing = [...got.keys()].filter((i) => got[i] !== blob[i]);
    assert.deepEqual(differing, [100_000]);
  });

  it('carries an upload end to end, with Locations that point at the proxy', async () => {
    const data = randomBytes(4096);
    const pushed = await pushBlob(proxy, 't', data, auth);
    assert.equal(pushed.status, 201, pushed.body);
    assert.ok(pushed.location.startsWith(`${proxy.url}/v2/t/blobs/uploads/`), pushed.location);
    assert.deepEqual(proxy.log.slice(-2).map((e) => [e.method, e.status]), [['POST', 202], ['PUT', 201]]);
    assert.equal((await registryFetch(reg, `/v2/t/blobs/${sha256(data)}`, { method: 'HEAD', headers: auth })).status, 200);
  });

  it('drops an upload mid-request-body, and the blob is not stored', async () => {
    const data = randomBytes(256 << 10);
    proxy.fail({ kind: 'drop', afterBytes: 10_000, method: 'PUT' });
    await assert.rejects(pushBlob(proxy, 't', data, auth));
    assert.equal(proxy.log.at(-1)?.status, 0);
    assert.equal((await registryFetch(reg, `/v2/t/blobs/${sha256(data)}`, { method: 'HEAD', headers: auth })).status, 404);
  });
});
