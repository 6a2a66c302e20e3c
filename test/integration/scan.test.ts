/**
 * `ckpt scan` on real podman + runc + CRIU checkpoints: a container whose shell holds fake secrets only in its
 * memory (built at run time by reversing what the environment holds, so they are in no environment or command
 * line), a PASSWORD= variable in its environment, an --api-key= in its command line and a token in a file it
 * wrote; each is found with its kind, place and process, and no output holds a secret. A container with none
 * scans clean. From an archive, from the embedded store and from a registry tag after `ckpt copy`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ScanReport, SecretFinding } from '../../src/engine/index.js';
import { ckptWith } from '../support/cli.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { ALNUM, fake, fakes, reversedLines } from '../support/fakeSecrets.js';
import { BASE_IMAGE, podman, TEST_LABEL, testPodman, testResources, uniqueName } from '../support/stack.js';

const TIMEOUT = { timeout: 180_000 };
const SECRETS_FOUND = 5;

interface Planted {
  github: string;
  awsId: string;
  /** The key's base64 lines (the secret the finding is about). */
  pemBody: string;
  password: string;
  npm: string;
  apiKey: string;
}

describe('ckpt scan: secrets in a real checkpoint', { concurrency: false }, () => {
  const res = testResources();
  const env = () => ({ CKPT_STORE: join(res.dir, 'store') });
  const scan = (...args: string[]) => ckptWith(env(), 'scan', ...args);

  /** Starts `script` in a container with `environment`, waits for /tmp/ready, checkpoints it (left running). */
  async function checkpointOf(prefix: string, script: string, environment: Record<string, string>): Promise<string> {
    const container = uniqueName(prefix);
    res.containers.push(container);
    await podman('run', '-d', '--name', container, '--label', TEST_LABEL, ...Object.entries(environment).flatMap(([k, v]) => ['-e', `${k}=${v}`]), BASE_IMAGE, 'sh', '-c', script);
    const until = Date.now() + 10_000;
    while ((await podman('exec', container, 'cat', '/tmp/ready').catch(() => '')) !== 'ready') {
      if (Date.now() > until) throw new Error(`${container} did not get ready: ${await podman('logs', container)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const archive = join(res.dir, `${container}.tar.zst`);
    await testPodman().checkpoint(container, { kind: 'archive', path: archive, compression: 'zstd' }, { leaveRunning: true });
    return archive;
  }

  let secretArchive: Promise<{ archive: string; planted: Planted }> | undefined;
  const withSecrets = () =>
    (secretArchive ??= (async () => {
      const pemBody = fakes.pemBody(25);
      const planted: Planted = { github: fakes.github(), awsId: fakes.awsId(), pemBody, password: fake(ALNUM, 20), npm: fakes.npm(), apiKey: fake(ALNUM, 24) };
      const pem = `-----BEGIN RSA PRIVATE KEY-----\n${pemBody}\n-----END RSA PRIVATE KEY-----`;
      // The sleep starts first, so no process forked after the secrets exist: they are in the shell's memory only.
      const script = [
        'sleep 100000 &',
        'GH=$(echo "$R_GH" | rev)',
        'KEY_ID=$(echo "$R_AWS" | rev)',
        'PEM=$(echo "$R_PEM" | rev)',
        'mkdir -p /root',
        'echo "$R_NPMRC" | rev > /root/.npmrc',
        // An option in the command line (sh -c SCRIPT), as a careless script passes a key.
        `: --api-key=${planted.apiKey}`,
        'echo ready > /tmp/ready',
        'wait',
      ].join('\n');
      const archive = await checkpointOf('ckpt-scan', script, {
        R_GH: reversedLines(planted.github),
        R_AWS: reversedLines(planted.awsId),
        R_PEM: reversedLines(pem),
        R_NPMRC: reversedLines(`//registry.npmjs.org/:_authToken=${planted.npm}`),
        DB_PASSWORD: planted.password,
      });
      return { archive, planted };
    })());

  /** No output may hold a secret, nor a long piece of the key. */
  const assertNoSecrets = (text: string, planted: Planted) => {
    for (const [name, secret] of Object.entries({ ...planted, pemLine: planted.pemBody.split('\n')[3]! })) {
      assert.ok(!text.includes(secret), `the output holds the ${name}`);
    }
  };

  const find = (report: ScanReport, kind: SecretFinding['kind'], where: SecretFinding['where']) => {
    const found = report.findings.filter((f) => f.kind === kind && f.where === where);
    assert.equal(found.length, 1, `one ${kind} in ${where}: ${JSON.stringify(report.findings, null, 1)}`);
    return found[0]!;
  };

  /** The planted secrets, each where it was put; `source` names the checkpoint as the report must. */
  const assertPlanted = (report: ScanReport, planted: Planted) => {
    for (const [kind, preview] of [['github-token', 'ghp_… (40 chars)'], ['aws-access-key-id', 'AKIA… (20 chars)']] as const) {
      const f = find(report, kind, 'memory');
      assert.deepEqual([f.pid, f.comm, f.pids, f.preview], [1, 'sh', [1], preview], JSON.stringify(f));
      assert.match(f.address!, /^0x[0-9a-f]+$/);
    }
    // The whole key; the shell may hold pieces of it too, each a finding of its own.
    const key = report.findings.find((f) => f.kind === 'private-key' && f.where === 'memory' && f.length === planted.pemBody.length);
    assert.deepEqual([key?.pid, key?.name], [1, 'RSA PRIVATE KEY'], JSON.stringify(report.findings, null, 1));
    const password = find(report, 'secret-variable', 'environment');
    assert.deepEqual([password.name, password.pid, password.length, password.preview], ['DB_PASSWORD', 1, 20, `${planted.password.slice(0, 4)}… (20 chars)`]);
    // Both processes carry the environment.
    assert.equal(password.pids!.length, 2, JSON.stringify(password));
    const option = find(report, 'secret-variable', 'cmdline');
    assert.deepEqual([option.name, option.pid, option.comm, option.length], ['api-key', 1, 'sh', 24]);
    const npm = find(report, 'npm-token', 'rootfs-diff');
    assert.deepEqual([npm.path, npm.pid, npm.preview], ['/root/.npmrc', undefined, 'npm_… (40 chars)']);
    assert.equal(report.capped, false);
    assert.ok(report.scanned.memoryBytes > 0 && report.scanned.files >= 1 && report.scanned.processes === 2, JSON.stringify(report.scanned));
  };

  it('finds each planted secret with its kind, place and process; exit code 5; no output holds a secret', TIMEOUT, async () => {
    const { archive, planted } = await withSecrets();
    const json = scan(`archive:${archive}`, '--json');
    assert.equal(json.code, SECRETS_FOUND, json.stderr);
    assertNoSecrets(json.stdout + json.stderr, planted);
    const report = JSON.parse(json.stdout) as ScanReport;
    assert.equal(report.reference, `archive:${archive}`);
    assertPlanted(report, planted);

    const text = scan(`archive:${archive}`);
    assert.equal(text.code, SECRETS_FOUND, text.stderr);
    assertNoSecrets(text.stdout + text.stderr, planted);
    assert.match(text.stdout, /^\d+ secrets found in archive:/);
    assert.match(text.stdout, /^github-token +memory +1 sh +0x[0-9a-f]+ +ghp_… \(40 chars\) +\d+$/m);
    assert.match(text.stdout, /^secret-variable +environment +1 sh \+\d +- +DB_PASSWORD \S+… \(20 chars\) +\d+$/m);
    assert.match(text.stdout, /^npm-token +rootfs-diff +- +\/root\/\.npmrc +npm_… \(40 chars\) +1$/m);
  });

  it('the same from the embedded store, after ckpt copy archive:FILE store:TAG', TIMEOUT, async () => {
    const { archive, planted } = await withSecrets();
    const copied = ckptWith(env(), 'copy', `archive:${archive}`, 'store:scan-secrets');
    assert.equal(copied.code, 0, copied.stderr);
    const json = scan('store:scan-secrets', '--json');
    assert.equal(json.code, SECRETS_FOUND, json.stderr);
    assertNoSecrets(json.stdout + json.stderr, planted);
    const report = JSON.parse(json.stdout) as ScanReport;
    assert.equal(report.reference, 'store:scan-secrets');
    assertPlanted(report, planted);
  });

  let registry: TestRegistry | undefined;
  after(() => registry?.stop());

  it('the same from a registry tag, its layer streamed', TIMEOUT, async () => {
    const { archive, planted } = await withSecrets();
    registry = await startRegistry();
    const tag = `docker://${registry.host}/team/scan:secrets`;
    const pushed = ckptWith(env(), 'copy', `archive:${archive}`, tag);
    assert.equal(pushed.code, 0, pushed.stderr);
    const json = scan(tag, '--json');
    assert.equal(json.code, SECRETS_FOUND, json.stderr);
    assertNoSecrets(json.stdout + json.stderr, planted);
    assertPlanted(JSON.parse(json.stdout) as ScanReport, planted);
  });

  it('a checkpoint without secrets scans clean: exit code 0', TIMEOUT, async () => {
    const archive = await checkpointOf('ckpt-scan-clean', 'sleep 100000 & echo ready > /tmp/ready; wait', { GREETING: 'hello' });
    const r = scan(`archive:${archive}`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout.trim(), /^No secrets found in archive:.* \(scanned [\d.]+ [kM]B of memory in 2 processes, environments, command lines, \d+ changed files?\)\.$/);
    const report = JSON.parse(scan(`archive:${archive}`, '--json').stdout) as ScanReport;
    assert.deepEqual(report.findings, []);
  });
});
