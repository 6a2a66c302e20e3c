/**
 * Issue 11, items 1 and 2: a registry's credentials go to the registry and nowhere else. Real distribution
 * registries on loopback, fronted by servers that send the client to "another host" (a blob redirect, an
 * upload Location, a Link next page, a token realm), which records every request it gets. Nothing that
 * reaches another host may carry a credential; each operation either succeeds without giving any away or
 * fails with an error that names the registry, the other origin, the cause and the next step.
 *
 * HTTPS: the engine treats loopback registries as plain HTTP (where a plain-HTTP realm or redirect is no
 * downgrade), so the HTTPS cases run a real TLS front on this machine's non-loopback address, with a
 * self-signed certificate that the `ckpt` CLI trusts through NODE_EXTRA_CA_CERTS, as a user with a private CA
 * would do. They are skipped on a machine without such an address.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  copyImage,
  createRegistryClient,
  CrioAnnotation,
  isEngineError,
  listRepositoryImages,
  parseReference,
  Podman,
  pushImage,
  Store,
  type CopyContext,
  type RegistryClient,
} from '../../src/engine/index.js';
import type { Manifest } from '../../src/engine/oci/index.js';
import { writeImage } from '../unit/layout/support.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { ckptAsync, credentialsIn, nonLoopbackAddress, onHost, selfSignedCert, startTestHost, type Seen, type TestHost } from '../support/credentialServers.js';

const TIMEOUT = { timeout: 60_000 };
const dir = mkdtempSync(join(tmpdir(), 'ckpt-credentials-'));
const stops: Array<() => Promise<void>> = [];
let store: Store;
let manifestDigest = '';
/** The image's blobs by digest, for storage hosts that serve them after a redirect. */
const blobs = new Map<string, Buffer>();

async function started<T extends { stop(): Promise<void> }>(thing: Promise<T>): Promise<T> {
  const value = await thing;
  stops.push(() => value.stop());
  return value;
}

type Credentials = { username: string; password: string };

/** A client as the CLI and the extension make one, with these credentials for any registry. */
function clientFor(creds: Credentials): (host: string) => RegistryClient {
  return (host) => createRegistryClient({ registry: host, credentials: async () => ({ kind: 'basic', ...creds }), backoffMs: 20 });
}

function ctx(registry: (host: string) => RegistryClient, into = store): CopyContext {
  return { podman: new Podman(), store: into, hostFacts: () => Promise.reject(new Error('no archive here')), registry };
}

/** A fresh store to pull into, so every blob is really fetched. */
function freshStore(): Store {
  return new Store(mkdtempSync(join(dir, 'pulled-')));
}

/** The secrets of a registry's user as they could travel: the password, user:password (also base64, by credentialsIn). */
const secretsOf = (c: Credentials) => [c.password, `${c.username}:${c.password}`];

/** Serves the image's blobs at any /blobs/<digest> path, to anyone (storage behind a signed URL). */
function serveBlobs(req: Seen) {
  const digest = /\/blobs\/(sha256:[a-f0-9]{64})/.exec(req.path)?.[1];
  const bytes = digest ? blobs.get(digest) : undefined;
  return bytes ? { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: bytes } : { status: 404 };
}

/** Another host that wants credentials of its own: 401 with a Bearer challenge naming its own realm, and that realm. */
async function startTrap(): Promise<TestHost> {
  let url = '';
  const trap = await started(
    startTestHost({
      answer: (req) =>
        req.path.startsWith('/token')
          ? { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'trap-token', expires_in: 300 }) }
          : { status: 401, headers: { 'www-authenticate': `Bearer realm="${url}/token",service="other",scope="repository:team/web:pull,push"` } },
    }),
  );
  url = trap.url;
  return trap;
}

/** The error an operation failed with (checked after what reached the other host, which matters more). */
async function failure(operation: Promise<unknown>): Promise<unknown> {
  return operation.then(
    () => assert.fail('it succeeded'),
    (err: unknown) => err,
  );
}

/** Whether a request is a blob GET. */
const blobGet = (req: Seen) => req.method === 'GET' && /\/blobs\/sha256:/.test(req.path);
const isUploadStart = (req: Seen, status: number) => req.method === 'POST' && /\/blobs\/uploads\/$/.test(req.path.split('?')[0]!) && status === 202;

before(async () => {
  store = new Store(join(dir, 'store'));
  const layout = await store.layout();
  const top = await writeImage(layout, [randomBytes(300_000), randomBytes(2000)], { [CrioAnnotation.Name]: 'web' });
  await layout.tag('web', top);
  manifestDigest = top.digest;
  const manifest = JSON.parse((await layout.readBlob(top.digest)).toString()) as Manifest;
  for (const d of [manifest.config, ...manifest.layers]) blobs.set(d.digest, await layout.readBlob(d.digest, { maxBytes: 1 << 20 }));
});

after(async () => {
  for (const stop of stops.reverse()) await stop();
  rmSync(dir, { recursive: true, force: true });
});

for (const auth of ['basic', 'token'] as const) {
  describe(`a blob GET that a ${auth} registry redirects to another host`, { concurrency: false }, () => {
    let reg: TestRegistry;
    let creds: Credentials;
    let storage: TestHost;
    let trap: TestHost;
    let front: TestHost;
    let redirectTo: TestHost;

    before(async () => {
      reg = await started(startRegistry(auth));
      creds = { username: reg.username, password: reg.password };
      storage = await started(startTestHost({ answer: serveBlobs }));
      trap = await startTrap();
      let frontUrl = '';
      front = await started(
        startTestHost({
          upstream: reg.host,
          answer: (req) => (blobGet(req) ? { status: 307, headers: { location: onHost(redirectTo, req.path, frontUrl) } } : undefined),
        }),
      );
      frontUrl = front.url;
      await copyImage(ctx(clientFor(creds)), parseReference('store:web'), parseReference(`docker://${reg.host}/team/web:v1`));
    });

    it('pulls from storage that needs no credentials, and the storage sees none', TIMEOUT, async () => {
      redirectTo = storage;
      const pulled = await copyImage(ctx(clientFor(creds), freshStore()), parseReference(`docker://${front.host}/team/web:v1`), parseReference('store:web'));
      assert.equal(pulled.digest, manifestDigest);
      assert.equal(storage.requests.length, blobs.size, 'every blob came from the storage host');
      assert.deepEqual(credentialsIn(storage.requests, secretsOf(creds)), []);
      assert.ok(front.requests.some((r) => r.headers.authorization), 'the registry itself got the credentials');
    });

    it('fails clearly when that host asks for credentials: it gets none, no token is asked of its realm, and the client keeps the registry\'s challenge', TIMEOUT, async () => {
      redirectTo = trap;
      const client = clientFor(creds)(front.host);
      const err = await failure(copyImage(ctx(() => client, freshStore()), parseReference(`docker://${front.host}/team/web:v1`), parseReference('store:web')));
      assert.ok(trap.requests.length > 0, 'the redirect was followed');
      assert.deepEqual(credentialsIn(trap.requests, secretsOf(creds)), []);
      assert.deepEqual(trap.requests.filter((r) => r.path.startsWith('/token')), [], 'no token request went to the realm the other host named');
      assert.ok(isEngineError(err, 'REGISTRY_DENIED'), String(err));
      assert.match(err.message, new RegExp(`^${front.host}/team/web: ${trap.url}, where the registry sent this request, asks for credentials`));
      assert.match(err.message, /so none were sent \(pulling blob sha256:/);
      assert.match(err.hint ?? '', /storage that needs no credentials/);

      // The same client goes on using the registry's own challenge with the registry, and only there.
      const seen = trap.requests.length;
      assert.deepEqual(await client.tags('team/web'), ['v1']);
      assert.equal((await client.getManifest('team/web', 'v1')).digest, manifestDigest);
      assert.equal(trap.requests.length, seen);
      const last = front.requests.at(-1)!;
      assert.match(last.headers.authorization ?? '', auth === 'basic' ? /^Basic / : /^Bearer eyJ/);
    });
  });
}

describe('upload Locations on another host', { concurrency: false }, () => {
  it('a push sends the blob there without credentials, and the image arrives whole (Basic alice:s3cret)', TIMEOUT, async () => {
    // The front does the registry's Basic auth; behind it, and behind the other host, the same registry.
    const reg = await started(startRegistry('none'));
    const other = await started(startTestHost({ upstream: reg.host }));
    const alice = { username: 'alice', password: 's3cret' };
    let frontUrl = '';
    const front = await started(
      startTestHost({
        upstream: reg.host,
        basic: alice,
        rewrite: (req, res) => {
          if (isUploadStart(req, res.status)) res.headers.location = onHost(other, String(res.headers.location), frontUrl);
        },
      }),
    );
    frontUrl = front.url;
    const pushed = await copyImage(ctx(clientFor(alice)), parseReference('store:web'), parseReference(`docker://${front.host}/team/web:v1`));
    assert.equal(pushed.digest, manifestDigest);
    // Chunked: PATCHes, and the Locations they answer with, on the other host too.
    await pushImage(await store.layout(), 'web', clientFor(alice)(front.host), 'team/chunked', 'v1', { chunkSize: 64 << 10 });

    const uploads = other.requests.filter((r) => r.method === 'PUT' || r.method === 'PATCH');
    assert.ok(uploads.filter((r) => r.method === 'PUT').length >= 2 * blobs.size, 'every blob went up through the other host');
    assert.ok(uploads.some((r) => r.method === 'PATCH'), 'the chunked push sent PATCHes there');
    assert.deepEqual(credentialsIn(other.requests, secretsOf(alice)), []);
    assert.ok(front.requests.some((r) => r.method === 'PUT' && /\/manifests\//.test(r.path) && r.headers.authorization?.startsWith('Basic ')));

    for (const repository of ['team/web', 'team/chunked']) {
      const back = await copyImage(ctx(clientFor(alice), freshStore()), parseReference(`docker://${front.host}/${repository}:v1`), parseReference('store:back'));
      assert.equal(back.digest, manifestDigest, repository);
    }
  });

  it('a push to a token registry fails clearly when that host asks for credentials, and it gets none', TIMEOUT, async () => {
    const reg = await started(startRegistry('token'));
    const creds = { username: reg.username, password: reg.password };
    const trap = await startTrap();
    let frontUrl = '';
    const front = await started(
      startTestHost({
        upstream: reg.host,
        rewrite: (req, res) => {
          if (isUploadStart(req, res.status)) res.headers.location = onHost(trap, String(res.headers.location), frontUrl);
        },
      }),
    );
    frontUrl = front.url;
    const err = await failure(copyImage(ctx(clientFor(creds)), parseReference('store:web'), parseReference(`docker://${front.host}/team/web:v1`)));
    assert.ok(trap.requests.some((r) => r.method === 'PUT'), 'the upload went to the other host');
    assert.deepEqual(credentialsIn(trap.requests, secretsOf(creds)), []);
    assert.deepEqual(trap.requests.filter((r) => r.path.startsWith('/token')), []);
    assert.ok(isEngineError(err, 'REGISTRY_DENIED'), String(err));
    assert.match(err.message, new RegExp(`^${front.host}/team/web: ${trap.url}, where the registry sent this request, asks for credentials .*\\(pushing blob sha256:`));
    assert.ok(reg.token!.requests.every((r) => r.ok), 'tokens came from the registry\'s own realm only');
  });
});

describe('Link next pages on another host', () => {
  it('tags and the catalog are read page by page from the registry itself; the other host gets nothing (engine and CLI)', TIMEOUT, async () => {
    const reg = await started(startRegistry('token'));
    const creds = { username: reg.username, password: reg.password };
    const other = await started(startTestHost({ upstream: reg.host }));
    // Pages of one, whose Link names the other host: the front reads the whole list and serves it page by page.
    const front = await started(
      startTestHost({
        upstream: reg.host,
        path: (req) => req.path.split('?')[0]!,
        rewrite: (req, res) => {
          const url = new URL(req.path, 'http://front');
          const key = url.pathname.endsWith('/tags/list') ? 'tags' : url.pathname === '/v2/_catalog' ? 'repositories' : undefined;
          if (!key || res.status !== 200) return;
          const last = url.searchParams.get('last');
          const rest = ((JSON.parse(res.body.toString()) as Record<string, string[]>)[key] ?? []).sort().filter((v) => !last || v > last);
          const page = rest.slice(0, 1);
          res.body = Buffer.from(JSON.stringify({ [key]: page }));
          delete res.headers.link;
          if (rest.length > 1) res.headers.link = `<${other.url}${url.pathname}?n=1&last=${encodeURIComponent(page[0]!)}>; rel="next"`;
        },
      }),
    );
    for (const ref of ['team/web:v1', 'team/web:v2', 'team/web:v3', 'team/other:v1']) {
      await copyImage(ctx(clientFor(creds)), parseReference('store:web'), parseReference(`docker://${reg.host}/${ref}`));
    }

    const client = clientFor(creds)(front.host);
    const images = await listRepositoryImages(client, 'team/web');
    assert.deepEqual(images.map((i) => i.tag), ['v1', 'v2', 'v3']);
    assert.ok(images.every((i) => 'isCheckpoint' in i && i.isCheckpoint), 'each tag described from its manifest');
    assert.deepEqual(await client.catalog(), ['team/other', 'team/web']);
    assert.ok(front.requests.some((r) => /\/tags\/list\?n=1&last=v2$/.test(r.path)), `the next pages were asked of the registry: ${front.requests.map((r) => r.path).join(' ')}`);

    const authFile = join(dir, 'links-auth.json');
    writeFileSync(authFile, JSON.stringify({ auths: { [front.host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } } }));
    const cli = await ckptAsync({}, '--authfile', authFile, 'registry', 'ls', `${front.host}/team/web`, '--json');
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual((JSON.parse(cli.stdout) as Array<{ tag: string }>).map((i) => i.tag), ['v1', 'v2', 'v3']);
    const catalog = await ckptAsync({}, '--authfile', authFile, 'registry', 'ls', front.host);
    assert.equal(catalog.code, 0, catalog.stderr);
    assert.deepEqual(catalog.stdout.trim().split('\n'), ['team/other', 'team/web']);

    assert.deepEqual(other.requests, [], 'nothing went to the host the Links named');
  });
});

const ip = nonLoopbackAddress();
describe('an HTTPS registry (TLS on this machine\'s own address; the CLI trusts the certificate)', { concurrency: false, skip: ip ? false : 'no non-loopback IPv4 address here' }, () => {
  let reg: TestRegistry;
  let creds: Credentials;
  let front: TestHost;
  let realmPlain: TestHost;
  let realmTls: TestHost;
  let storagePlain: TestHost;
  let storageTls: TestHost;
  let uploadsPlain: TestHost;
  let realm: TestHost;
  let redirectTo: TestHost | undefined;
  let uploadTo: TestHost | undefined;
  let env: Record<string, string>;
  const cli = (...args: string[]) => ckptAsync(env, ...args);
  const pullInto = () => ['--store', mkdtempSync(join(dir, 'cli-pulled-'))];

  before(async () => {
    reg = await started(startRegistry('token'));
    creds = { username: reg.username, password: reg.password };
    const tls = await selfSignedCert(dir, ip!);
    const tokenHost = new URL(reg.token!.realm).host;
    realmPlain = await started(startTestHost({ upstream: tokenHost }));
    realmTls = await started(startTestHost({ upstream: tokenHost, tls, address: ip }));
    storagePlain = await started(startTestHost({ answer: serveBlobs }));
    storageTls = await started(startTestHost({ answer: serveBlobs, tls, address: ip }));
    uploadsPlain = await started(startTestHost({ upstream: reg.host }));
    let frontUrl = '';
    front = await started(
      startTestHost({
        upstream: reg.host,
        tls,
        address: ip,
        answer: (req) => (redirectTo && blobGet(req) ? { status: 307, headers: { location: onHost(redirectTo, req.path, frontUrl) } } : undefined),
        rewrite: (req, res) => {
          const challenge = res.headers['www-authenticate'];
          if (typeof challenge === 'string') res.headers['www-authenticate'] = challenge.replace(reg.token!.realm, `${realm.url}/token`);
          if (uploadTo && isUploadStart(req, res.status)) res.headers.location = onHost(uploadTo, String(res.headers.location), frontUrl);
        },
      }),
    );
    frontUrl = front.url;
    const authFile = join(dir, 'tls-auth.json');
    writeFileSync(authFile, JSON.stringify({ auths: { [front.host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } } }));
    env = { NODE_EXTRA_CA_CERTS: tls.certFile, REGISTRY_AUTH_FILE: authFile, CKPT_STORE: store.path };
  });

  it('refuses a token realm on plain HTTP: the password is not sent, the error names the realm', TIMEOUT, async () => {
    realm = realmPlain;
    const r = await cli('copy', 'store:web', `docker://${front.host}/team/web:v1`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`${front.host}/team/web: refused its token realm ${realmPlain.url} \\(it is plain HTTP and the registry is HTTPS\\); nothing was sent there`));
    assert.match(r.stderr, /Next step: ask the owner of .* to serve its token realm over HTTPS/);
    assert.deepEqual(realmPlain.requests, []);
    assert.equal(reg.token!.requests.length, 0);
    assert.deepEqual(credentialsIn(front.requests, secretsOf(creds)), [], 'nothing but anonymous requests reached the registry');
  });

  it('pushes and pulls with an HTTPS realm: the realm gets the password for the token, the registry the token', TIMEOUT, async () => {
    realm = realmTls;
    const pushed = await cli('copy', 'store:web', `docker://${front.host}/team/web:v1`);
    assert.equal(pushed.code, 0, pushed.stderr);
    const pulled = await cli(...pullInto(), 'copy', `docker://${front.host}/team/web:v1`, 'store:back');
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.ok(realmTls.requests.length > 0 && realmTls.requests.every((r) => r.headers.authorization?.startsWith('Basic ')));
    assert.ok(front.requests.some((r) => r.headers.authorization?.startsWith('Bearer ')));
    assert.ok(front.requests.every((r) => !r.headers.authorization?.startsWith('Basic ')), 'the password went to the realm only');
  });

  /** A CLI pull while the front redirects blob GETs to `storage`. */
  const pullRedirectedTo = async (storage: TestHost) => {
    realm = realmTls;
    redirectTo = storage;
    try {
      return await cli(...pullInto(), 'copy', `docker://${front.host}/team/web:v1`, 'store:back');
    } finally {
      redirectTo = undefined;
    }
  };

  it('refuses a redirect from HTTPS to plain HTTP: the storage host gets nothing', TIMEOUT, async () => {
    const r = await pullRedirectedTo(storagePlain);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`${front.host}/team/web: refused a redirect from ${front.url} to ${storagePlain.url} \\(it is plain HTTP and the registry is HTTPS\\)`));
    assert.deepEqual(storagePlain.requests, []);
  });

  it('follows a redirect to HTTPS storage on another host, without credentials', TIMEOUT, async () => {
    const r = await pullRedirectedTo(storageTls);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(storageTls.requests.length, blobs.size);
    assert.deepEqual(credentialsIn(storageTls.requests, secretsOf(creds)), []);
  });

  it('refuses an upload Location on plain HTTP: the blob and the credentials stay here', TIMEOUT, async () => {
    realm = realmTls;
    uploadTo = uploadsPlain;
    try {
      const r = await cli('copy', 'store:web', `docker://${front.host}/team/elsewhere:v1`);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`${front.host}/team/elsewhere: refused the address ${uploadsPlain.url} \\(it is plain HTTP and the registry is HTTPS\\)`));
      assert.deepEqual(uploadsPlain.requests, []);
    } finally {
      uploadTo = undefined;
    }
  });
});
