/**
 * The secret detectors on text shaped like what memory, environments and files hold. Every fake secret is made
 * at run time from random characters, so no real-looking key sits in the repository.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { detectSecrets, type SecretMatch } from '../../src/engine/scan/detectors.js';
import { ALNUM, B64, fake, fakes } from '../support/fakeSecrets.js';

const secrets = (text: string) => detectSecrets(text).map((m) => ({ kind: m.kind, secret: text.slice(m.start, m.end), name: m.name }));
const only = (text: string): SecretMatch & { secret: string } => {
  const found = detectSecrets(text);
  assert.equal(found.length, 1, `one secret in ${JSON.stringify(text.slice(0, 200))}: ${JSON.stringify(found)}`);
  return { ...found[0]!, secret: text.slice(found[0]!.start, found[0]!.end) };
};

describe('secret detectors', () => {
  it('PEM and OpenSSH private keys: the body is the secret, the key type its name', () => {
    const body = fakes.pemBody();
    const pem = `junk\0-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----\nmore`;
    const rsa = only(pem);
    assert.equal(rsa.kind, 'private-key');
    assert.equal(rsa.name, 'RSA PRIVATE KEY');
    assert.ok(rsa.secret.startsWith(body.slice(0, 64)) && rsa.secret.includes(body.slice(-64)));
    assert.equal(only(`-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----`).name, 'OPENSSH PRIVATE KEY');
    assert.equal(only(`-----BEGIN PRIVATE KEY-----\r\n${body.replaceAll('\n', '\r\n')}`).name, 'PRIVATE KEY');
    // A header alone (a library's string constant) is no key.
    assert.deepEqual(secrets('-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----'), []);
    assert.deepEqual(secrets('-----BEGIN PUBLIC KEY-----\n' + body), []);
  });

  it('a GCP service-account key: the JSON private_key, with escaped newlines, is one finding of its own kind', () => {
    const body = fakes.pemBody(10).replaceAll('\n', '\\n');
    const json = `{"type": "service_account", "project_id": "p", "private_key": "-----BEGIN PRIVATE KEY-----\\n${body}\\n-----END PRIVATE KEY-----\\n", "client_email": "x@p.iam.gserviceaccount.com"}`;
    const key = only(json);
    assert.equal(key.kind, 'gcp-service-account-key');
    assert.ok(key.secret.startsWith(body.slice(0, 64)));
  });

  it('AWS: the access key id, and the secret beside it or under its name; not 40 characters of hex', () => {
    const id = fakes.awsId();
    const secret = fakes.awsSecret();
    assert.deepEqual(secrets(`AWS_ACCESS_KEY_ID=${id}\0AWS_SECRET_ACCESS_KEY=${secret}\0`), [
      { kind: 'aws-access-key-id', secret: id, name: undefined },
      { kind: 'aws-secret-access-key', secret, name: undefined },
    ]);
    assert.deepEqual(secrets(`[default]\naws_secret_access_key = ${secret}\n`).map((s) => s.kind), ['aws-secret-access-key']);
    assert.equal(only(`temp ASIA${id.slice(4)} here`).kind, 'aws-access-key-id');
    // Forty base64 characters far from any AWS name, and a SHA-1 after a key id, are not secrets.
    assert.deepEqual(secrets(`${secret}\n`), []);
    assert.deepEqual(secrets(`${id} ${randomBytes(20).toString('hex')}`).map((s) => s.kind), ['aws-access-key-id']);
    // Longer runs of capitals are not key ids.
    assert.deepEqual(secrets(`X${id}`), []);
  });

  it('Azure storage account keys in connection strings', () => {
    const key = `${fake(B64, 86)}==`;
    const found = only(`DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key};EndpointSuffix=core.windows.net`);
    assert.deepEqual([found.kind, found.secret, found.name], ['azure-storage-key', key, 'AccountKey']);
  });

  it('forge and registry tokens: GitHub, GitLab, npm, Slack, with their public prefix', () => {
    for (const [make, kind, prefix] of [
      [fakes.github, 'github-token', 4],
      [() => `github_pat_${fake(ALNUM, 22)}_${fake(ALNUM, 59)}`, 'github-token', 11],
      [() => `gho_${fake(ALNUM, 36)}`, 'github-token', 4],
      [fakes.gitlab, 'gitlab-token', 6],
      [fakes.npm, 'npm-token', 4],
      [fakes.slack, 'slack-token', 5],
    ] as const) {
      const token = make();
      const found = only(`Authorization: token ${token}\r\n`);
      assert.deepEqual([found.kind, found.secret, found.prefix], [kind, token, prefix]);
    }
    // A prefix inside a longer word, or too short a token, is not one.
    assert.deepEqual(secrets(`xghp_${fake(ALNUM, 36)} ghp_${fake(ALNUM, 20)} npm_install`), []);
  });

  it('JWTs: three base64url parts whose header is JSON with "alg"', () => {
    const jwt = fakes.jwt();
    assert.deepEqual([only(`Bearer ${jwt}`).kind, only(`Bearer ${jwt}`).secret], ['jwt', jwt]);
    assert.deepEqual(secrets(fakes.jwt({ typ: 'JWT' })), [], 'no alg');
    assert.deepEqual(secrets(`ey${fake(ALNUM, 20)}.ey${fake(ALNUM, 20)}.${fake(ALNUM, 30)}`), [], 'not JSON');
  });

  it('PASSWORD=-like variables: the value is the secret, the name is shown; placeholders and paths are not', () => {
    assert.deepEqual(secrets('DB_PASSWORD=hunter22\0'), [{ kind: 'secret-variable', secret: 'hunter22', name: 'DB_PASSWORD' }]);
    assert.deepEqual(secrets('x --api-key=abcdef123 y'), [{ kind: 'secret-variable', secret: 'abcdef123', name: 'api-key' }]);
    assert.deepEqual(secrets('MY_SECRET=s3cret-value CI_JOB_TOKEN=tok123456').map((s) => s.name), ['MY_SECRET', 'CI_JOB_TOKEN']);
    for (const text of ['PASSWORD=${DB_PASS}', 'TOKEN=$TOKEN', 'SECRET=******', 'PASSWORD_FILE=/run/secrets/db', 'API_KEY=abc', 'PASSWORD=changeme', 'TOKEN_URL=https://x/y']) {
      assert.deepEqual(secrets(text), [], text);
    }
    // A token held by a variable is reported once, as the token.
    const token = fakes.github();
    assert.deepEqual(secrets(`GITHUB_TOKEN=${token}`).map((s) => [s.kind, s.secret]), [['github-token', token]]);
  });

  it('hostile memory made of one detector\'s start, repeated, is scanned in linear time', () => {
    for (const unit of ['xoxb-', 'AKIAAAAAAAAAAAAAAAAA', 'aws_secret_access_key=', ' eyJhbGciOiJIUzI1NiJ9.', 'PASSWORD', 'ghp_', 'glpat-', '-----BEGIN PRIVATE KEY-----\nAAAA']) {
      const text = unit.repeat(Math.ceil((1 << 20) / unit.length));
      const started = process.hrtime.bigint();
      detectSecrets(text);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // About 0.1 s here; a quadratic pattern takes minutes.
      assert.ok(ms < 3000, `${JSON.stringify(unit)} repeated over 1 MiB took ${ms} ms`);
    }
  });

  it('memory full of matches stays linear (no overlap check per pair)', () => {
    const text = `TOKEN=abcdefgh ${fakes.npm()} `.repeat(40_000);
    const started = process.hrtime.bigint();
    const found = detectSecrets(text);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(found.length, 80_000);
    assert.ok(ms < 5000, `${ms} ms`);
  });
});
