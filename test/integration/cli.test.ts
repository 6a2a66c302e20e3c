/** The `ckpt` CLI as a person or a script uses it, against real podman + CRIU. */
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ckpt, ckptWith } from '../support/cli.js';
import {
  ensureStack,
  hostCriu,
  hostCriuPattern,
  podman,
  readCounter,
  removeContainers,
  removeImages,
  scratchDir,
  startCounter,
  uniqueName,
  waitForCounter,
} from '../support/stack.js';

const TIMEOUT = { timeout: 120_000 };

describe('ckpt CLI (real podman + CRIU)', { concurrency: false }, () => {
  const name = uniqueName('cli');
  const image = `localhost/${name}:ckpt`;
  const copy = `${name}-copy`;
  let dir: string;

  before(async () => {
    await ensureStack();
    dir = scratchDir();
    await startCounter(name);
    await waitForCounter(name, 30);
  });
  after(async () => {
    await removeContainers(name, copy, `${name}-arch`);
    await removeImages(image);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ps lists the running container', TIMEOUT, () => {
    const r = ckpt('ps');
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.startsWith(name + ' '));
    assert.ok(line, `no row for ${name} in:\n${r.stdout}`);
    assert.match(line, /running/);
    const json = JSON.parse(ckpt('ps', '--json').stdout) as { name: string; state: string }[];
    assert.equal(json.find((c) => c.name === name)?.state, 'running');
  });

  it('checkpoint --image, images, inspect, restore --name: the copy goes on counting', TIMEOUT, async () => {
    const cp = ckpt('checkpoint', name, '--image', image);
    assert.equal(cp.code, 0, cp.stderr);
    assert.match(cp.stdout, new RegExp(`checkpointed ${name} into image ${image}`));
    const frozenAt = Number(await podman('logs', '--tail', '1', name));

    const images = ckpt('images');
    assert.equal(images.code, 0, images.stderr);
    const row = images.stdout.split('\n').find((l) => l.startsWith(image));
    assert.ok(row, images.stdout);
    assert.match(row, new RegExp(`${name}\\s+${hostCriuPattern()}`));

    const human = ckpt('inspect', image);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`CRIU\\s+${hostCriuPattern()}\\n`));
    assert.match(human.stdout, new RegExp(`Name\\s+${name}\\n`));
    assert.match(human.stdout, /Runtime\s+runc\n/);
    const json = JSON.parse(ckpt('inspect', image, '--json').stdout) as { annotations: Record<string, string> };
    assert.equal(json.annotations['io.podman.annotations.checkpoint.criu.version'], hostCriu().number);

    const taken = ckpt('restore', image);
    assert.equal(taken.code, 1);
    // The preflight stops it before podman runs, and says what to do.
    assert.match(taken.stderr, new RegExp(`error +a container named ${name} already exists`));
    assert.match(taken.stderr, /--name NEW/);

    const rs = ckpt('restore', image, '--name', copy);
    assert.equal(rs.code, 0, rs.stderr);
    assert.match(rs.stdout, new RegExp(`restored ${copy} .*running`));
    const first = await readCounter(copy);
    assert.ok(first >= frozenAt, `copy restarted: ${first} < ${frozenAt}`);
    await waitForCounter(copy, first + 5);
  });

  it('checkpoint --export and restore --import', TIMEOUT, async () => {
    const file = join(dir, 'copy.tar.gz');
    const cp = ckpt('checkpoint', copy, '--export', file, '--compress', 'gzip', '--leave-running');
    assert.equal(cp.code, 0, cp.stderr);
    assert.match(cp.stdout, /into archive .*copy\.tar\.gz/);
    const rs = ckpt('restore', '--import', file, '--name', `${name}-arch`);
    assert.equal(rs.code, 0, rs.stderr);
    const value = await readCounter(`${name}-arch`);
    await waitForCounter(`${name}-arch`, value + 5);
  });

  it('image create builds into the embedded store without podman; images, inspect, verify, rm, gc', TIMEOUT, async () => {
    const env = { CKPT_STORE: join(dir, 'store') };
    const file = join(dir, 'copy.tar.gz');
    const built = ckptWith(env, 'image', 'create', file, 'store:bug-42', '--annotation', 'org.opencontainers.image.description=bug 42');
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stdout, /built store:bug-42: podman checkpoint of .*, layer .* \(gzip\), sha256:[0-9a-f]{64}/);
    const listed = ckptWith(env, 'images', '--location', 'store');
    assert.match(listed.stdout, new RegExp(`store:bug-42\\s+${copy}\\s+${hostCriuPattern()}`));
    const json = JSON.parse(ckptWith(env, 'inspect', 'store:bug-42', '--json').stdout) as { location: string; annotations: Record<string, string> };
    assert.equal(json.location, 'store');
    assert.equal(json.annotations['io.podman.annotations.checkpoint.name'], copy);
    assert.equal(json.annotations['org.opencontainers.image.description'], 'bug 42');
    assert.match(ckptWith(env, 'verify').stdout, /0 problems/);
    // A damaged blob is found and reported with exit code 1.
    const blobs = join(dir, 'store', 'blobs', 'sha256');
    const victim = readdirSync(blobs).map((b) => join(blobs, b)).sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    chmodSync(victim, 0o600);
    appendFileSync(victim, 'x');
    const damaged = ckptWith(env, 'verify');
    assert.equal(damaged.code, 1);
    assert.match(damaged.stderr, /problems in .*Next step: remove the damaged images/s);
    assert.equal(ckptWith(env, 'rm', 'store:bug-42').code, 0);
    assert.match(ckptWith(env, 'gc').stdout, /freed .* in 3 blobs/);
    assert.equal(ckptWith(env, 'inspect', 'store:bug-42').code, 3);
  });

  it('exit codes and messages scripts can rely on', TIMEOUT, () => {
    const missing = ckpt('checkpoint', 'no-such-container-xyz', '--image', 'localhost/x:1');
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /no such container\nNext step: /);
    const both = ckpt('checkpoint', name, '--image', 'localhost/x:1', '--export', '/tmp/x.tar');
    assert.equal(both.code, 2);
    assert.match(both.stderr, /either --image or --export/);
    const notRunning = ckpt('checkpoint', name, '--image', 'localhost/x:2');
    assert.equal(notRunning.code, 1);
    assert.match(notRunning.stderr, /checkpointed, not running/);
    const noImage = ckpt('inspect', 'localhost/does-not-exist:1');
    assert.equal(noImage.code, 3);
    assert.equal(ckpt('frobnicate').code, 2);
    const help = ckpt('restore', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: ckpt restore/);
    const badStall = ckpt('checkpoint', name, '--image', 'localhost/x:3', '--stall-timeout', '0');
    assert.equal(badStall.code, 2);
    assert.match(badStall.stderr, /--stall-timeout must be a whole number of seconds/);
  });

  it('host --check proves this host by a real checkpoint and restore, timing each step, and leaves nothing', TIMEOUT, async () => {
    const before = await podman('ps', '-a', '-q');
    const r = ckpt('host', '--check');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const steps = r.stdout.split('\n').filter((l) => /^ {2}(ok|FAIL) /.test(l));
    assert.ok(steps.length >= 7, r.stdout);
    for (const line of steps) assert.match(line, /^ {2}ok {4} +\d+\.\d\d s {2}\S/);
    assert.match(r.stdout, /copy goes on from the checkpoint: from \d+ \(checkpointed at \d+\) to \d+/);
    assert.match(r.stdout, new RegExp(`CRIU ${hostCriuPattern()}, kernel `));
    const json = JSON.parse(ckpt('host', '--check', '--json').stdout) as { ok: boolean; criu: string; steps: { ok: boolean; ms: number }[] };
    assert.equal(json.ok, true);
    assert.equal(json.criu, hostCriu().text);
    assert.ok(json.steps.every((s) => s.ok && s.ms >= 0));
    assert.equal(await podman('ps', '-a', '-q'), before, 'the check left containers behind');
    assert.equal(await podman('images', '-q', '--filter', 'reference=localhost/ckpt-check-*'), '', 'the check left its checkpoint image');
  });
});
