import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { describeError, isEngineError } from '../../../src/engine/errors.js';
import { authFilePaths, findCredentials, normaliseRegistryKey, type CredentialLookupOptions } from '../../../src/engine/registry/credentials.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const basic = (username: string, password: string) => ({ kind: 'basic', username, password });

/** A fake home with its own runtime dir and bin dir, and the env that points at them. */
class Home {
  readonly base = mkdtempSync(join(tmpdir(), 'ckpt-creds-'));
  readonly home = join(this.base, 'home');
  readonly runtime = join(this.base, 'run');
  readonly bin = join(this.base, 'bin');
  readonly env: Record<string, string | undefined> = { HOME: this.home, XDG_RUNTIME_DIR: this.runtime, PATH: `${this.bin}:/usr/bin:/bin` };
  readonly runtimeAuth = join(this.runtime, 'containers', 'auth.json');
  readonly configAuth = join(this.home, '.config', 'containers', 'auth.json');
  readonly dockerConfig = join(this.home, '.docker', 'config.json');
  readonly dockercfg = join(this.home, '.dockercfg');

  write(path: string, content: unknown): string {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  }

  /** A `docker-credential-<name>` that records the server URL it was given, then runs `body`. */
  helper(name: string, body: string): void {
    const path = this.write(join(this.bin, `docker-credential-${name}`), `#!/bin/sh\n[ "$1" = get ] || exit 3\nread -r url\nprintf '%s\\n' "$url" >> "$0.seen"\n${body}\n`);
    chmodSync(path, 0o755);
  }

  seen(name: string): string[] {
    return readFileSync(join(this.bin, `docker-credential-${name}.seen`), 'utf8').trim().split('\n');
  }

  options(more: CredentialLookupOptions = {}): CredentialLookupOptions {
    return { env: this.env, uid: 4321, ...more };
  }
}

describe('registry credentials', () => {
  const homes: Home[] = [];
  const fresh = () => {
    const h = new Home();
    homes.push(h);
    return h;
  };
  after(() => homes.forEach((h) => rmSync(h.base, { recursive: true, force: true })));

  describe('authFilePaths', () => {
    it('lists the containers-image order', () => {
      const h = fresh();
      assert.deepEqual(authFilePaths(h.options()), [h.runtimeAuth, h.configAuth, h.dockerConfig, h.dockercfg]);
    });

    it('uses /run/containers/<uid> without XDG_RUNTIME_DIR, and XDG_CONFIG_HOME and DOCKER_CONFIG when set', () => {
      const env = { HOME: '/home/u', XDG_CONFIG_HOME: '/cfg', DOCKER_CONFIG: '/dock', XDG_RUNTIME_DIR: '' };
      assert.deepEqual(authFilePaths({ env, uid: 1000 }), ['/run/containers/1000/auth.json', '/cfg/containers/auth.json', '/dock/config.json', '/home/u/.dockercfg']);
      assert.equal(authFilePaths({ env: {}, uid: 0, home: '/root' })[0], '/run/containers/0/auth.json');
      assert.equal(authFilePaths({ env: { HOME: '/home/u' }, home: '/elsewhere', uid: 1 })[1], '/elsewhere/.config/containers/auth.json');
    });

    it('searches only REGISTRY_AUTH_FILE when set, and only authFile over both', () => {
      assert.deepEqual(authFilePaths({ env: { HOME: '/h', REGISTRY_AUTH_FILE: '/x/auth.json' } }), ['/x/auth.json']);
      assert.deepEqual(authFilePaths({ env: { HOME: '/h', REGISTRY_AUTH_FILE: '/x/auth.json' }, authFile: '/y.json' }), ['/y.json']);
    });
  });

  describe('normaliseRegistryKey', () => {
    const cases: Array<[string, string]> = [
      ['quay.io', 'quay.io'],
      ['host:5000', 'host:5000'],
      ['host:5000/team/web', 'host:5000/team/web'],
      ['host:5000/team/', 'host:5000/team'],
      ['https://index.docker.io/v1/', 'docker.io'],
      ['http://host:5000', 'host:5000'],
      ['https://host:5000/v2/', 'host:5000'],
      ['host:5000/v1/', 'host:5000'],
      ['registry-1.docker.io', 'docker.io'],
      ['index.docker.io/library/nginx', 'docker.io/library/nginx'],
    ];
    for (const [key, want] of cases) it(`${key} → ${want}`, () => assert.equal(normaliseRegistryKey(key), want));
  });

  describe('auth files', () => {
    it('finds a registry in each location', async () => {
      const h = fresh();
      h.write(h.runtimeAuth, { auths: { 'a.example': { auth: b64('ua:pa') } } });
      h.write(h.configAuth, { auths: { 'b.example': { auth: b64('ub:pb') } } });
      h.write(h.dockerConfig, { auths: { 'c.example': { auth: b64('uc:pc') } } });
      h.write(h.dockercfg, { 'https://d.example/v1/': { auth: b64('ud:pd'), email: 'x@example.com' } });
      const want: Array<[string, string, string]> = [['a', h.runtimeAuth, 'pa'], ['b', h.configAuth, 'pb'], ['c', h.dockerConfig, 'pc'], ['d', h.dockercfg, 'pd']];
      for (const [name, source, password] of want) {
        assert.deepEqual(await findCredentials(`${name}.example`, undefined, h.options()), { credential: basic(`u${name}`, password), source });
      }
      assert.equal(await findCredentials('e.example', undefined, h.options()), undefined);
    });

    it('takes the first file that has the registry', async () => {
      const h = fresh();
      h.write(h.configAuth, { auths: { 'other.example': { auth: b64('o:o') } } });
      h.write(h.dockerConfig, { auths: { 'r.example': { auth: b64('docker:d') } } });
      h.write(h.dockercfg, { 'r.example': { auth: b64('legacy:l') } });
      assert.deepEqual(await findCredentials('r.example', undefined, h.options()), { credential: basic('docker', 'd'), source: h.dockerConfig });
      h.write(h.runtimeAuth, { auths: { 'r.example': { auth: b64('podman:p') } } });
      assert.deepEqual(await findCredentials('r.example', undefined, h.options()), { credential: basic('podman', 'p'), source: h.runtimeAuth });
    });

    it('skips the empty {} marker docker leaves and goes on', async () => {
      const h = fresh();
      h.write(h.runtimeAuth, { auths: { 'r.example': {} } });
      h.write(h.dockerConfig, { auths: { 'r.example': { auth: b64('u:p') } } });
      assert.equal((await findCredentials('r.example', undefined, h.options()))?.source, h.dockerConfig);
    });

    it('searches only REGISTRY_AUTH_FILE, or authFile instead of it', async () => {
      const h = fresh();
      h.write(h.dockerConfig, { auths: { 'r.example': { auth: b64('docker:d') }, 'only-docker.example': { auth: b64('x:y') } } });
      const custom = h.write(join(h.base, 'custom.json'), { auths: { 'r.example': { auth: b64('custom:c') } } });
      const flag = h.write(join(h.base, 'flag.json'), { auths: { 'r.example': { auth: b64('flag:f') } } });
      const env = { ...h.env, REGISTRY_AUTH_FILE: custom };
      assert.deepEqual(await findCredentials('r.example', undefined, { env }), { credential: basic('custom', 'c'), source: custom });
      assert.equal(await findCredentials('only-docker.example', undefined, { env }), undefined);
      assert.deepEqual(await findCredentials('r.example', undefined, { env, authFile: flag }), { credential: basic('flag', 'f'), source: flag });
      assert.equal(await findCredentials('r.example', undefined, { env, authFile: join(h.base, 'missing.json') }), undefined);
    });

    it('prefers the most specific repository key, then the host', async () => {
      const h = fresh();
      h.write(h.runtimeAuth, {
        auths: {
          'host:5000': { auth: b64('host:h') },
          'host:5000/team': { auth: b64('team:t') },
          'host:5000/team/web': { auth: b64('web:w') },
        },
      });
      const user = async (repository?: string) => ((await findCredentials('host:5000', repository, h.options()))?.credential as { username: string }).username;
      assert.equal(await user('team/web'), 'web');
      assert.equal(await user('team/api'), 'team');
      assert.equal(await user('team/web/sub'), 'web');
      assert.equal(await user('other/web'), 'host');
      assert.equal(await user(), 'host');
    });

    it('reads legacy URL keys and Docker Hub aliases', async () => {
      const h = fresh();
      h.write(h.dockerConfig, {
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub:h') },
          'http://host:5000': { auth: b64('plain:p') },
          'https://other.example/v2/': { auth: b64('v2:v') },
        },
      });
      for (const hub of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
        assert.deepEqual((await findCredentials(hub, 'library/nginx', h.options()))?.credential, basic('hub', 'h'), hub);
      }
      assert.deepEqual((await findCredentials('host:5000', undefined, h.options()))?.credential, basic('plain', 'p'));
      assert.deepEqual((await findCredentials('other.example', 'a/b', h.options()))?.credential, basic('v2', 'v'));
    });

    it('prefers a key written as looked up over an alias of it', async () => {
      const h = fresh();
      h.write(h.runtimeAuth, { auths: { 'https://index.docker.io/v1/': { auth: b64('old:o') }, 'docker.io': { auth: b64('new:n') } } });
      assert.deepEqual((await findCredentials('docker.io', undefined, h.options()))?.credential, basic('new', 'n'));
    });

    it('returns identity tokens, with the username when there is one', async () => {
      const h = fresh();
      h.write(h.runtimeAuth, { auths: { 'a.example': { auth: b64('me:'), identitytoken: 'refresh-1' }, 'b.example': { identitytoken: 'refresh-2' } } });
      assert.deepEqual((await findCredentials('a.example', undefined, h.options()))?.credential, { kind: 'identityToken', token: 'refresh-1', username: 'me' });
      assert.deepEqual((await findCredentials('b.example', undefined, h.options()))?.credential, { kind: 'identityToken', token: 'refresh-2' });
    });

    it('keeps colons after the first in the password', async () => {
      const h = fresh();
      h.write(h.runtimeAuth, { auths: { 'r.example': { auth: b64('u:p:a:ss') } } });
      assert.deepEqual((await findCredentials('r.example', undefined, h.options()))?.credential, basic('u', 'p:a:ss'));
    });
  });

  describe('broken auth files', () => {
    const secret = 'hunter2-secret';
    const refuses = async (h: Home, path: string, content: string, pattern: RegExp) => {
      h.write(path, content);
      await assert.rejects(findCredentials('r.example', undefined, h.options()), (err: Error) => {
        assert.ok(isEngineError(err, 'INVALID_ARGUMENT'), String(err));
        assert.ok(err.message.includes(path), err.message);
        assert.match(err.message, pattern);
        const everything = `${describeError(err)} ${JSON.stringify(err)} ${String(err.cause)} ${err.stack}`;
        assert.ok(!everything.includes(secret) && !everything.includes(b64(`me:${secret}`)), 'no secret in the error');
        assert.ok((err as { hint?: string }).hint?.includes(path));
        return true;
      });
    };

    it('names the file of malformed JSON, and not its content', async () => {
      const h = fresh();
      await refuses(h, h.runtimeAuth, `{"auths": {"r.example": {"auth": "${b64(`me:${secret}`)}"}},}`, /not valid JSON at line 1, column \d+/);
      await refuses(h, h.runtimeAuth, `{"auths": {"r.example": {"auth": "${b64(`me:${secret}`)}", "x": tru}}}`, /not valid JSON/);
      await refuses(h, h.runtimeAuth, `["${secret}"]`, /not a JSON object/);
      await refuses(h, h.runtimeAuth, `{"auths": ["${secret}"]}`, /"auths" that is not an object/);
    });

    it('refuses an auth that is not base64 of user:password', async () => {
      const h = fresh();
      await refuses(h, h.dockerConfig, JSON.stringify({ auths: { 'r.example': { auth: b64(secret) } } }), /entry "r\.example" whose "auth" is not base64 of "user:password"/);
      await refuses(h, h.dockerConfig, JSON.stringify({ auths: { 'r.example': { auth: `${secret}!` } } }), /not base64/);
      await refuses(h, h.dockerConfig, JSON.stringify({ auths: { 'r.example': { auth: 42 } } }), /"auth" is not a string/);
    });

    it('refuses an unreadable file but skips a missing one', async () => {
      const h = fresh();
      mkdirSync(h.runtimeAuth, { recursive: true });
      await assert.rejects(findCredentials('r.example', undefined, h.options()), (err: Error) => isEngineError(err, 'INVALID_ARGUMENT') && err.message.includes(h.runtimeAuth));
      // A file where a folder of the path should be is as good as missing.
      const g = fresh();
      g.write(g.runtime, 'not a folder');
      assert.equal(await findCredentials('r.example', undefined, g.options()), undefined);
    });
  });

  describe('credential helpers', () => {
    const answers = (user: string, secret: string) => `printf '{"ServerURL":"%s","Username":"${user}","Secret":"${secret}"}\\n' "$url"`;

    it('runs the helper with the server URL on stdin', async () => {
      const h = fresh();
      h.helper('test', answers('helper-user', 'helper-secret'));
      h.write(h.dockerConfig, { auths: { 'r.example:5000': {} }, credHelpers: { 'r.example:5000': 'test' } });
      assert.deepEqual(await findCredentials('r.example:5000', 'team/web', h.options()), { credential: basic('helper-user', 'helper-secret'), source: 'docker-credential-test' });
      assert.deepEqual(h.seen('test'), ['r.example:5000']);
    });

    it('lets credHelpers beat credsStore, and uses credsStore for the rest', async () => {
      const h = fresh();
      h.helper('test', answers('from-helper', 's1'));
      h.helper('store', answers('from-store', 's2'));
      h.write(h.dockerConfig, { credsStore: 'store', credHelpers: { 'r.example': 'test' } });
      assert.deepEqual(await findCredentials('r.example', undefined, h.options()), { credential: basic('from-helper', 's1'), source: 'docker-credential-test' });
      assert.deepEqual(await findCredentials('q.example', undefined, h.options()), { credential: basic('from-store', 's2'), source: 'docker-credential-store' });
    });

    it('turns the <token> username into an identity token', async () => {
      const h = fresh();
      h.helper('test', answers('<token>', 'refresh-token'));
      h.write(h.runtimeAuth, { credHelpers: { 'r.example': 'test' } });
      assert.deepEqual((await findCredentials('r.example', undefined, h.options()))?.credential, { kind: 'identityToken', token: 'refresh-token' });
    });

    it('goes on when the helper has no credentials', async () => {
      const h = fresh();
      h.helper('test', 'echo "credentials not found in native keychain"\nexit 1');
      h.write(h.runtimeAuth, { credHelpers: { 'r.example': 'test', 's.example': 'test' } });
      h.write(h.dockerConfig, { auths: { 'r.example': { auth: b64('later:l') } } });
      assert.deepEqual(await findCredentials('r.example', undefined, h.options()), { credential: basic('later', 'l'), source: h.dockerConfig });
      assert.equal(await findCredentials('s.example', undefined, h.options()), undefined);
    });

    it('asks for Docker Hub as docker.io, then under the URL docker login uses', async () => {
      const h = fresh();
      h.helper('hub', `[ "$url" = https://index.docker.io/v1/ ] || { echo "credentials not found in native keychain"; exit 1; }\n${answers('hub-user', 'hub-pass')}`);
      h.write(h.dockerConfig, { credHelpers: { 'index.docker.io': 'hub' } });
      assert.deepEqual(await findCredentials('registry-1.docker.io', 'library/nginx', h.options()), { credential: basic('hub-user', 'hub-pass'), source: 'docker-credential-hub' });
      assert.deepEqual(h.seen('hub'), ['docker.io', 'https://index.docker.io/v1/']);
    });

    it('names a failing helper, without what it was asked for', async () => {
      const h = fresh();
      h.helper('test', 'echo "error getting credentials - err: exit status 2, out: gpg: decryption failed: No secret key" >&2\nexit 1');
      h.write(h.runtimeAuth, { auths: { 'r.example': { auth: b64('u:never-shown') } }, credHelpers: { 'r.example': 'test' } });
      await assert.rejects(findCredentials('r.example', undefined, h.options()), (err: Error) => {
        assert.ok(isEngineError(err, 'INVALID_ARGUMENT'));
        assert.match(err.message, /docker-credential-test failed \(exit 1\)/);
        assert.match((err as { log?: string }).log ?? '', /decryption failed/);
        assert.ok(!describeError(err).includes('never-shown'));
        return true;
      });
    });

    it('refuses a helper that answers something other than its JSON, without quoting it', async () => {
      const h = fresh();
      h.helper('test', 'echo "plain-secret-text"');
      h.write(h.runtimeAuth, { credHelpers: { 'r.example': 'test' } });
      await assert.rejects(findCredentials('r.example', undefined, h.options()), (err: Error) => /docker-credential-test answered/.test(err.message) && !describeError(err).includes('plain-secret-text'));
    });

    it('names a helper missing from PATH', async () => {
      const h = fresh();
      h.write(h.dockerConfig, { credsStore: 'nowhere' });
      await assert.rejects(findCredentials('r.example', undefined, h.options()), (err: Error) => {
        assert.ok(isEngineError(err, 'INVALID_ARGUMENT'));
        assert.match(err.message, /docker-credential-nowhere is not on PATH/);
        assert.ok(err.message.includes(h.dockerConfig));
        return true;
      });
    });

    it('gives up on a slow helper after the timeout', async () => {
      const h = fresh();
      // Not exec: the sleeping child keeps the pipes open after the shell is killed.
      h.helper('slow', 'sleep 10');
      h.write(h.runtimeAuth, { credHelpers: { 'r.example': 'slow' } });
      const start = Date.now();
      await assert.rejects(findCredentials('r.example', undefined, h.options({ helperTimeoutMs: 300 })), (err: Error) => isEngineError(err, 'INVALID_ARGUMENT') && /docker-credential-slow did not answer within 0.3 s/.test(err.message));
      assert.ok(Date.now() - start < 5000);
    });

    it('stops a helper when the signal aborts', async () => {
      const h = fresh();
      h.helper('slow', 'sleep 10');
      h.write(h.runtimeAuth, { credHelpers: { 'r.example': 'slow' } });
      const start = Date.now();
      await assert.rejects(findCredentials('r.example', undefined, h.options({ signal: AbortSignal.timeout(200) })), (err: Error) => isEngineError(err, 'CANCELLED'));
      assert.ok(Date.now() - start < 5000);
      await assert.rejects(findCredentials('r.example', undefined, h.options({ signal: AbortSignal.abort() })), (err: Error) => isEngineError(err, 'CANCELLED'));
    });
  });
});
