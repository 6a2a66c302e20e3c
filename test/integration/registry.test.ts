/**
 * Registries as a location, against real distribution registries on loopback (no auth, htpasswd, tokens) and
 * a fault-injecting proxy, with checkpoint images made by real podman + CRIU, and podman on the other side.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  copyImage,
  createRegistryClient,
  findCredentials,
  listRepositoryImages,
  lookupCheckpointImage,
  parseReference,
  pushImage,
  Store,
  type CopyContext,
  type CopyProgress,
  type RegistryClient,
} from '../../src/engine/index.js';
import { ckptWith } from '../support/cli.js';
import { startFaultProxy, startRegistry, type TestRegistry } from '../support/registry.js';
import { hostCriuPattern, podman, readCounter, startCounter, testPodman, testResources, uniqueName, waitForCounter } from '../support/stack.js';

const engine = testPodman();
const TIMEOUT = { timeout: 180_000 };
const NAME = 'io.podman.annotations.checkpoint.name';

describe('registries', { concurrency: false }, () => {
  const res = testResources();
  const counter = uniqueName('reg');
  const image = `localhost/${counter}:ckpt`;
  let frozenAt = 0;
  let store: Store;
  const logs: string[] = [];
  const registries: TestRegistry[] = [];

  /** A client factory as the CLI and the extension make one: credentials from an auth file, requests logged. */
  const clients = (authFile?: string) => (host: string) =>
    createRegistryClient({
      registry: host,
      credentials: async (reg, repo) => (await findCredentials(reg, repo, { env: {}, authFile }))?.credential,
      log: (line) => logs.push(line),
      backoffMs: 50,
    });
  const ctx = (registry: (host: string) => RegistryClient = clients()): CopyContext => ({ podman: engine, store, hostFacts: () => engine.hostFacts(), registry });
  const authFileFor = (reg: TestRegistry, password = reg.password) => {
    const file = join(res.dir, `auth-${reg.auth}-${password.length}.json`);
    writeFileSync(file, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${reg.username}:${password}`).toString('base64') } } }));
    return file;
  };

  before(async () => {
    store = new Store(join(res.dir, 'store'));
    res.containers.push(counter);
    res.images.push(image);
    await startCounter(counter);
    await waitForCounter(counter, 10);
    await engine.checkpoint(counter, { kind: 'image', name: image });
    frozenAt = Number(await podman('logs', '--tail', '1', counter));
    await copyImage(ctx(), parseReference(image), parseReference('store:web'));
  });
  after(async () => {
    for (const r of registries) await r.stop();
  });

  describe('without auth', { concurrency: false }, () => {
    let reg: TestRegistry;
    before(async () => registries.push((reg = await startRegistry('none'))));

    it('pushes from the store; podman pulls the same digest and restores it, and the counter goes on', TIMEOUT, async () => {
      const ref = `${reg.host}/team/web:v1`;
      const pushed = await copyImage(ctx(), parseReference('store:web'), parseReference(`docker://${ref}`));
      assert.equal(pushed.digest, (await (await store.layout()).resolve('web')).digest, 'the pushed manifest is not the stored one');
      res.images.push(ref);
      await podman('pull', '--tls-verify=false', ref);
      const digests = JSON.parse(await podman('image', 'inspect', '--format', '{{json .RepoDigests}}', ref)) as string[];
      assert.ok(digests.includes(`${reg.host}/team/web@${pushed.digest}`), `podman knows it as ${digests.join(', ')}`);
      const copy = `${counter}-from-registry`;
      res.containers.push(copy);
      await engine.restore({ kind: 'image', ref }, { name: copy });
      const first = await readCounter(copy);
      assert.ok(first >= frozenAt, `restored counter ${first} restarted below ${frozenAt}`);
      await waitForCounter(copy, first + 5);
    });

    it('pulls what podman pushed, describes it from the manifest alone, and stores it byte for byte', TIMEOUT, async () => {
      const ref = `${reg.host}/team/from-podman:v1`;
      await podman('push', '--tls-verify=false', '--format', 'oci', image, ref);
      const seen = await lookupCheckpointImage(parseReference(`docker://${ref}`), { podman: engine, store, registry: clients() });
      assert.equal(seen?.annotations[NAME], counter);
      const progress: CopyProgress[] = [];
      const pulled = await copyImage(ctx(), parseReference(`docker://${ref}`), parseReference('store:from-podman'), { onProgress: (p) => progress.push(p) });
      assert.equal(pulled.digest, seen?.digest);
      assert.equal((await store.checkpointImage('from-podman'))?.annotations[NAME], counter);
      assert.ok(progress.some((p) => p.stage === 'tagged' && p.bytes === p.totalBytes && p.totalBytes > 0));
      assert.deepEqual((await store.verify()).problems, []);
    });

    it('lists repositories and tags, and tells checkpoint images from other images', TIMEOUT, async () => {
      await podman('push', '--tls-verify=false', '--format', 'oci', 'localhost/busybox:latest', `${reg.host}/base/busybox:latest`);
      const client = clients()(reg.host);
      const repositories = await client.catalog();
      assert.ok(['team/web', 'team/from-podman', 'base/busybox'].every((r) => repositories.includes(r)), repositories.join(', '));
      const [web] = await listRepositoryImages(client, 'team/web');
      assert.ok(web && 'isCheckpoint' in web && web.isCheckpoint && web.annotations[NAME] === counter);
      const [base] = await listRepositoryImages(client, 'base/busybox');
      assert.ok(base && 'isCheckpoint' in base && !base.isCheckpoint);
    });

    it('deletes a tag: its manifest is gone', TIMEOUT, async () => {
      const ref = `${reg.host}/team/doomed:v1`;
      const pushed = await copyImage(ctx(), parseReference('store:web'), parseReference(`docker://${ref}`));
      const client = clients()(reg.host);
      await client.deleteManifest('team/doomed', pushed.digest);
      assert.equal(await lookupCheckpointImage(parseReference(`docker://${ref}`), { podman: engine, store, registry: clients() }), undefined);
    });

    it('mounts a blob from another repository instead of uploading it again', TIMEOUT, async () => {
      const client = clients()(reg.host);
      const layout = await store.layout();
      logs.length = 0;
      await pushImage(layout, 'web', client, 'team/first', 'v1');
      await pushImage(layout, 'web', client, 'team/second', 'v1');
      const second = logs.filter((l) => l.includes('/team/second/'));
      assert.ok(second.some((l) => /POST .*uploads\/ 201/.test(l)), `no mount in ${second.join('\n')}`);
      assert.ok(!second.some((l) => l.startsWith('PUT') && l.includes('/blobs/uploads/')), 'a blob was uploaded again');
    });
  });

  describe('from the command line', { concurrency: false }, () => {
    let reg: TestRegistry;
    before(async () => registries.push((reg = await startRegistry('basic'))));

    it('ckpt copy pushes with --authfile, ckpt registry ls and ckpt inspect read the manifest, ckpt registry rm deletes', TIMEOUT, async () => {
      const env = { CKPT_STORE: store.path };
      const auth = ['--authfile', authFileFor(reg)];
      const ref = `${reg.host}/cli/web:v1`;
      const denied = ckptWith(env, 'copy', 'store:web', `docker://${ref}`);
      assert.equal(denied.code, 1, denied.stderr);
      assert.match(denied.stderr, /needs credentials[\s\S]*Next step: log in/);
      const pushed = ckptWith(env, 'copy', 'store:web', `docker://${ref}`, ...auth);
      assert.equal(pushed.code, 0, pushed.stderr);
      const listed = ckptWith(env, 'registry', 'ls', `${reg.host}/cli/web`, ...auth);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`${ref.replace(/[.]/g, '\\.')}\\s+${counter}\\s+${hostCriuPattern()}.*checkpoint`));
      const inspected = ckptWith(env, 'inspect', `docker://${ref}`, '--json', ...auth);
      assert.equal(JSON.parse(inspected.stdout).annotations[NAME], counter);
      assert.equal(ckptWith(env, 'registry', 'rm', ref, ...auth).code, 0);
      const gone = ckptWith(env, 'inspect', `docker://${ref}`, ...auth);
      assert.equal(gone.code, 3, gone.stderr);
    });

    it('ckpt restore docker:// and store: restore from an archive of the layer: annotations checked, the counter goes on, podman keeps no copy', TIMEOUT, async () => {
      const env = { CKPT_STORE: store.path };
      const auth = ['--authfile', authFileFor(reg)];
      const ref = `${reg.host}/cli/restore:v1`;
      assert.equal(ckptWith(env, 'copy', 'store:web', `docker://${ref}`, ...auth).code, 0);
      const dry = ckptWith(env, 'restore', `docker://${ref}`, '--name', `${counter}-dry`, '--dry-run', '--json', ...auth);
      assert.equal(dry.code, 0, dry.stderr);
      const report = JSON.parse(dry.stdout) as { source: string; annotations: Record<string, string> };
      assert.equal(report.source, `docker://${ref}`);
      assert.equal(report.annotations[NAME], counter, 'the manifest annotations did not reach the preflight');
      for (const [source, copy] of [[`docker://${ref}`, `${counter}-cli-registry`], ['store:web', `${counter}-cli-store`]] as const) {
        res.containers.push(copy);
        const r = ckptWith(env, 'restore', source, '--name', copy, ...auth);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /into a checkpoint archive/);
        const first = await readCounter(copy);
        assert.ok(first >= frozenAt, `restored counter ${first} restarted below ${frozenAt}`);
        await waitForCounter(copy, first + 5);
      }
      for (const name of [ref, 'localhost/web']) assert.equal(await podman('images', '-q', name), '', `${name} was loaded into podman`);
    });
  });

  describe('with htpasswd Basic auth', { concurrency: false }, () => {
    let reg: TestRegistry;
    before(async () => registries.push((reg = await startRegistry('basic'))));

    it('pushes and pulls with the credentials from an auth file, and never logs them', TIMEOUT, async () => {
      logs.length = 0;
      const registry = clients(authFileFor(reg));
      const ref = `docker://${reg.host}/team/web:v1`;
      await copyImage(ctx(registry), parseReference('store:web'), parseReference(ref));
      await copyImage(ctx(registry), parseReference(ref), parseReference('store:basic-pulled'));
      assert.ok(logs.length > 0);
      const secret = Buffer.from(`${reg.username}:${reg.password}`).toString('base64');
      assert.ok(!logs.some((l) => l.includes(reg.password) || l.includes(secret)), 'a credential reached the log');
    });

    it('without credentials, or with a wrong password, says so and names the registry', TIMEOUT, async () => {
      const ref = parseReference(`docker://${reg.host}/team/web:v1`);
      await assert.rejects(copyImage(ctx(), ref, parseReference('store:never')), (err: Error & { code?: string; hint?: string }) => {
        assert.equal(err.code, 'REGISTRY_DENIED');
        assert.match(err.message, new RegExp(reg.host.replace(/[.]/g, '\\.')));
        assert.match(err.message, /needs credentials/);
        return true;
      });
      const wrong = 'not-the-password';
      await assert.rejects(copyImage(ctx(clients(authFileFor(reg, wrong))), ref, parseReference('store:never')), (err: Error & { code?: string; hint?: string }) => {
        assert.equal(err.code, 'REGISTRY_DENIED');
        assert.ok(!`${err.message} ${err.hint}`.includes(wrong));
        return true;
      });
      assert.equal(await store.checkpointImage('never'), undefined);
    });
  });

  describe('with token auth', { concurrency: false }, () => {
    let reg: TestRegistry;
    before(async () => registries.push((reg = await startRegistry('token'))));

    it('asks the token server for the scopes it needs, and renews an expired token', TIMEOUT, async () => {
      // Tokens that die after a second: the pull below, on the same client, needs new ones.
      reg.token!.expiresIn = 1;
      const client = clients(authFileFor(reg))(reg.host);
      const registry = () => client;
      const ref = `docker://${reg.host}/team/web:v1`;
      await copyImage(ctx(registry), parseReference('store:web'), parseReference(ref));
      assert.ok(reg.token!.requests.some((r) => r.ok && r.scopes.includes('repository:team/web:pull,push')), JSON.stringify(reg.token!.requests));
      const asked = reg.token!.requests.length;
      await new Promise((r) => setTimeout(r, 2_500));
      await copyImage(ctx(registry), parseReference(ref), parseReference('store:token-pulled'));
      assert.ok(reg.token!.requests.length > asked, 'no new token after the old one expired');
      assert.equal((await store.checkpointImage('token-pulled'))?.annotations[NAME], counter);
    });

    it('a token server that refuses the credentials is a clear denial', TIMEOUT, async () => {
      await assert.rejects(
        copyImage(ctx(clients(authFileFor(reg, 'wrong'))), parseReference(`docker://${reg.host}/team/web:v1`), parseReference('store:never')),
        (err: Error & { code?: string }) => err.code === 'REGISTRY_DENIED' && /token server/.test(err.message),
      );
    });
  });

  describe('through a faulty network', { concurrency: false }, () => {
    let reg: TestRegistry;
    let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
    before(async () => {
      registries.push((reg = await startRegistry('none')));
      proxy = await startFaultProxy(reg);
    });
    after(() => proxy.stop());

    it('retries 500s and resumes a chunked upload whose connection dropped', TIMEOUT, async () => {
      const client = clients()(proxy.host);
      proxy.fail({ kind: 'status', status: 500, method: 'HEAD', match: /\/blobs\//, times: 2 });
      // The second chunk breaks off: the upload goes on from where the registry says it got to.
      proxy.fail({ kind: 'drop', afterBytes: 4096, method: 'PATCH', skip: 1 });
      const pushed = await pushImage(await store.layout(), 'web', client, 'team/web', 'v1', { chunkSize: 16 << 10 });
      assert.ok(proxy.log.filter((l) => l.status === 500).length >= 2, 'the 500s never happened');
      const uploads = proxy.log.filter((l) => l.path.includes('/blobs/uploads/'));
      const requests = uploads.map((l) => `${l.method} ${l.status} ${l.path.split('?')[0]}`).join(', ');
      // The layer is the upload that went in chunks (the config went up in one PUT beside it): PATCH (chunk 1),
      // PATCH cut off, GET (where are we?), then the rest of the chunks on the same upload.
      const layerUpload = uploads.find((l) => l.method === 'PATCH')?.path.split('?')[0];
      const layer = uploads.filter((l) => l.path.split('?')[0] === layerUpload).map((l) => `${l.method} ${l.status}`);
      assert.deepEqual(layer.slice(0, 3), ['PATCH 202', 'PATCH 0', 'GET 204'], requests);
      assert.equal(layer.at(-1), 'PUT 201', requests);
      // One POST per blob: the cut-off upload resumed, it did not start again.
      const count = (request: string) => uploads.filter((l) => `${l.method} ${l.status}` === request).length;
      assert.equal(count('POST 202'), count('PUT 201'), requests);
      const pulled = await copyImage(ctx(), parseReference(`docker://${reg.host}/team/web:v1`), parseReference('store:after-faults'));
      assert.equal(pulled.digest, pushed.digest);
    });

    it('fetches a blob again when the connection drops or a byte changes on the way', TIMEOUT, async () => {
      proxy.fail({ kind: 'drop', afterBytes: 1000, method: 'GET', match: /\/blobs\/sha256/ });
      proxy.fail({ kind: 'corrupt', method: 'GET', match: /\/blobs\/sha256/, offset: 100 });
      const pulled = await copyImage(ctx(), parseReference(`docker://${proxy.host}/team/web:v1`), parseReference('store:refetched'));
      assert.equal(pulled.digest, (await (await store.layout()).resolve('web')).digest);
      assert.deepEqual((await store.verify()).problems, []);
    });

    it('a blob that keeps arriving changed fails the pull, which leaves no tag and no blob behind', TIMEOUT, async () => {
      // An empty store of its own, so every blob has to come over the network.
      const empty = new Store(join(res.dir, 'empty-store'));
      const emptyCtx = { ...ctx(), store: empty };
      const blobs = () => readdirSync(join(empty.path, 'blobs/sha256'));
      for (let i = 0; i < 3; i++) proxy.fail({ kind: 'corrupt', method: 'GET', match: /\/blobs\/sha256/ });
      await assert.rejects(copyImage(emptyCtx, parseReference(`docker://${proxy.host}/team/web:v1`), parseReference('store:corrupt')), (err: Error & { code?: string }) => err.code === 'DIGEST_MISMATCH');
      assert.equal(await empty.checkpointImage('corrupt'), undefined);
      assert.deepEqual(blobs(), [], 'blobs of the failed pull were left in the store');

      const controller = new AbortController();
      await assert.rejects(
        copyImage(emptyCtx, parseReference(`docker://${proxy.host}/team/web:v1`), parseReference('store:cancelled'), {
          signal: controller.signal,
          onProgress: (p) => p.bytes > 0 && controller.abort(),
        }),
        (err: Error & { code?: string }) => err.code === 'CANCELLED',
      );
      assert.equal(await empty.checkpointImage('cancelled'), undefined);
      assert.deepEqual(blobs(), [], 'a cancelled pull left blobs');
    });
  });
});
