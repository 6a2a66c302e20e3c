/**
 * Issue 11: a hostile checkpoint image cannot drive the terminal of whoever runs `ckpt` on it. A real checkpoint
 * (podman + CRIU) is built into an embedded store of the test's own with annotations, a container name and a
 * bind-mount path that carry terminal escapes; the built CLI prints them, and a fake registry puts them into its
 * error. No ESC, BEL, DEL, C1 or bidi override reaches the output, and what the image tried is still shown, escaped.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/engine/index.js';
import { ckptWith, type CliRun } from '../support/cli.js';
import { startCounter, testPodman, testResources, uniqueName, waitForCounter } from '../support/stack.js';

const engine = testPodman();
const TIMEOUT = { timeout: 180_000 };

/** Erase the line, move up (hiding the warning above), an OSC 8 link with BEL, a one-byte CSI, DEL, a bidi override. */
const HOSTILE = '\x1b[2K\x1b[1Ahidden\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07\u009b2J\x7f\u202eexe.txt';
/** The same as the user sees it: every control as \uXXXX. */
const SHOWN = '\\u001b[2K\\u001b[1Ahidden\\u001b]8;;https://evil.example/\\u0007click\\u001b]8;;\\u0007\\u009b2J\\u007f\\u202eexe.txt';
const DESCRIPTION = 'org.opencontainers.image.description';

/** Nothing in the output a terminal would act on, nor bytes that were not UTF-8 (a raw 8-bit C1). */
function assertInert(run: CliRun, what: string): void {
  for (const [stream, text] of [['stdout', run.stdout], ['stderr', run.stderr]] as const) {
    const bytes = Buffer.from(text, 'utf8');
    for (const [byte, name] of [[0x1b, 'ESC'], [0x07, 'BEL'], [0x7f, 'DEL']] as const) {
      assert.equal(bytes.indexOf(byte), -1, `${what}: ${name} on ${stream}:\n${JSON.stringify(text)}`);
    }
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u0080-\u009f\u202a-\u202e\u2066-\u2069\ufffd]/, `${what}: a control on ${stream}`);
  }
}

describe('hostile text from an image or a registry cannot drive the terminal (ckpt, real podman + CRIU)', { concurrency: false }, () => {
  const res = testResources();
  const name = uniqueName('esc');
  const tag = `${name}:hostile`;
  let env: Record<string, string>;

  before(async () => {
    res.containers.push(name, `${name}-copy`);
    // What `restore --dry-run` copies into podman to check it.
    res.images.push(`localhost/${tag}`);
    await startCounter(name);
    await waitForCounter(name, 3);
    const archive = join(res.dir, `${name}.tar.zst`);
    await engine.checkpoint(name, { kind: 'archive', path: archive });
    const mount = { destination: '/data', type: 'bind', source: `/nonexistent/${HOSTILE}`, options: ['rbind', 'rw'] };
    const storeDir = join(res.dir, 'store');
    await new Store(storeDir).buildFromArchive(archive, tag, {
      host: { ...(await engine.hostFacts()), distributionName: `fedora${HOSTILE}` },
      annotations: { [DESCRIPTION]: `a bug${HOSTILE}` },
      editMetadata: (file, value) => {
        if (file === 'spec.dump') return { ...value, mounts: [...((value.mounts as unknown[]) ?? []), mount] };
        const spec = (value.spec ?? {}) as Record<string, unknown>;
        return { ...value, name: `web${HOSTILE}`, spec: { ...spec, mounts: [...((spec.mounts as unknown[]) ?? []), mount] } };
      },
    });
    env = { CKPT_STORE: storeDir };
  });

  it('images: the container name is shown escaped in the table and kept exact in --json', TIMEOUT, () => {
    const table = ckptWith(env, 'images', '--location', 'store');
    assert.equal(table.code, 0, table.stderr);
    assertInert(table, 'images');
    assert.match(table.stdout.split('\n')[0]!, /^IMAGE +CONTAINER +CRIU +SIZE +CREATED +ID$/);
    assert.ok(table.stdout.includes(`store:${tag}  web${SHOWN}`), table.stdout);

    const json = ckptWith(env, 'images', '--location', 'store', '--json');
    assert.equal(json.code, 0, json.stderr);
    assertInert(json, 'images --json');
    const [image] = JSON.parse(json.stdout) as { annotations: Record<string, string> }[];
    assert.equal(image?.annotations['io.podman.annotations.checkpoint.name'], `web${HOSTILE}`, 'JSON means the same text');
  });

  it('inspect: annotations are shown escaped, each where it belongs', TIMEOUT, () => {
    const r = ckptWith(env, 'inspect', `store:${tag}`);
    assert.equal(r.code, 0, r.stderr);
    assertInert(r, 'inspect');
    assert.match(r.stdout, /^Image: +store:/);
    for (const expected of [`web${SHOWN}\n`, `fedora${SHOWN}\n`, `a bug${SHOWN}\n`]) assert.ok(r.stdout.includes(expected), `${expected} in:\n${r.stdout}`);

    const json = ckptWith(env, 'inspect', `store:${tag}`, '--json');
    assert.equal(json.code, 0, json.stderr);
    assertInert(json, 'inspect --json');
    assert.equal((JSON.parse(json.stdout) as { annotations: Record<string, string> }).annotations[DESCRIPTION], `a bug${HOSTILE}`);
  });

  it('restore --dry-run: the preflight names the bind-mount path escaped, and refuses', TIMEOUT, () => {
    const r = ckptWith(env, 'restore', `store:${tag}`, '--name', `${name}-copy`, '--dry-run');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assertInert(r, 'restore --dry-run');
    assert.ok(r.stdout.includes(`/nonexistent/${SHOWN}`), r.stdout);
    assert.match(r.stderr, /would not restore here/);

    const json = ckptWith(env, 'restore', `store:${tag}`, '--name', `${name}-copy`, '--dry-run', '--json');
    assertInert(json, 'restore --dry-run --json');
    const report = JSON.parse(json.stdout) as { findings: { message: string }[] };
    assert.ok(report.findings.some((f) => f.message.includes(`/nonexistent/${HOSTILE}`)), json.stdout);
  });

  describe('a registry whose error message carries escapes', () => {
    let server: ChildProcess;
    let port: string;
    before(async () => {
      // Its own process: ckptWith waits synchronously, so a server in this one could not answer.
      const script = `
        const s = require('node:http').createServer((req, res) => {
          if (req.url === '/v2/') { res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' }); return res.end('{}'); }
          res.writeHead(403, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: ${JSON.stringify(HOSTILE)} }] }));
        });
        s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
      server = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const [line] = (await once(server.stdout!, 'data')) as [Buffer];
      port = line.toString().trim();
    });
    after(() => {
      server.kill();
    });

    it('inspect docker://… prints its message escaped, in the error and with --verbose', TIMEOUT, () => {
      const r = ckptWith(env, 'inspect', `docker://127.0.0.1:${port}/evil:tag`, '--verbose');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assertInert(r, 'registry error');
      assert.match(r.stderr, /^GET http:\/\/127\.0\.0\.1:\d+\/v2\/evil\/manifests\/tag 403$/m);
      assert.ok(r.stderr.includes(`(HTTP 403: DENIED ${SHOWN})\n`), r.stderr);
    });
  });
});
