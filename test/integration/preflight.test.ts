/** The restore preflight with real podman + CRIU: what `ckpt restore` checks and refuses before podman runs. */
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { copyImage, parseReference, PodmanAnnotation, preflightRestore, Store } from '../../src/engine/index.js';
import { ckptWith } from '../support/cli.js';
import { COUNTER_SCRIPT } from '../support/counter.js';
import { BASE_IMAGE, podman, startCounter, TEST_LABEL, testPodman, testResources, uniqueName, waitForCounter } from '../support/stack.js';

const engine = testPodman();
const TIMEOUT = { timeout: 180_000 };

describe('restore preflight', { concurrency: false }, () => {
  const res = testResources();

  it('a bind-mounted workspace: fine inside it, flagged outside, and a missing source stops the restore before podman runs', TIMEOUT, async () => {
    const name = uniqueName('pf-ws');
    const image = `localhost/${name}:ckpt`;
    const workspace = join(res.dir, 'shop');
    mkdirSync(workspace);
    writeFileSync(join(workspace, 'README'), 'the workspace\n');
    res.containers.push(name, `${name}-copy`);
    res.images.push(image);
    await podman('run', '-d', '--name', name, '--label', TEST_LABEL, '-v', `${workspace}:/workspaces/shop`, BASE_IMAGE, 'sh', '-c', COUNTER_SCRIPT);
    await waitForCounter(name, 3);
    await engine.checkpoint(name, { kind: 'image', name: image });

    const inside = ckptWith({}, 'restore', image, '--name', `${name}-copy`, '--dry-run', '--workspace', workspace);
    assert.equal(inside.code, 0, inside.stderr);
    assert.match(inside.stdout, new RegExp(`ok +host path ${workspace} is mounted at /workspaces/shop \\(read-write\\), inside the workspace`));
    const outside = ckptWith({}, 'restore', image, '--name', `${name}-copy`, '--dry-run');
    assert.equal(outside.code, 0, outside.stderr);
    assert.match(outside.stdout, /warning +host path .* outside the workspace/);
    const taken = ckptWith({}, 'restore', image, '--dry-run');
    assert.equal(taken.code, 1);
    assert.match(taken.stdout, new RegExp(`error +a container named ${name} already exists`));

    // Host paths outside the workspace need consent, path by path: a restore without it is refused.
    const unasked = ckptWith({}, 'restore', image, '--name', `${name}-copy`);
    assert.equal(unasked.code, 1, unasked.stdout);
    assert.match(unasked.stderr, new RegExp(`would mount a host path outside the workspace: ${workspace}\n`));
    assert.match(unasked.stderr, new RegExp(`--allow-host-path ${workspace}`));
    assert.equal(await engine.container(`${name}-copy`), undefined, 'restored without consent');
    const otherPath = ckptWith({}, 'restore', image, '--name', `${name}-copy`, '--allow-host-path', `${workspace}-other`);
    assert.equal(otherPath.code, 1, 'consent for another path let it through');
    const allowed = ckptWith({}, 'restore', image, '--name', `${name}-copy`, '--allow-host-path', workspace);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal((await engine.container(`${name}-copy`))?.state, 'running');
    await podman('rm', '-f', '-t', '0', `${name}-copy`);

    renameSync(workspace, `${workspace}-moved`);
    const missing = ckptWith({}, 'restore', image, '--name', `${name}-copy`);
    assert.equal(missing.code, 1, missing.stdout);
    assert.match(missing.stderr, new RegExp(`error +the bind-mount source ${workspace} for /workspaces/shop does not exist here`));
    assert.equal(await engine.container(`${name}-copy`), undefined, 'podman created a container anyway');
  });

  it('checkpoint names the processes started with exec, which CRIU leaves out, and the restore indeed lacks them', TIMEOUT, async () => {
    const name = uniqueName('pf-exec');
    const image = `localhost/${name}:ckpt`;
    res.containers.push(name, `${name}-copy`);
    res.images.push(image);
    await startCounter(name);
    await podman('exec', '-d', name, 'sh', '-c', 'while true; do sleep 0.3; done # the-exec-marker');
    const r = ckptWith({}, 'checkpoint', name, '--image', image);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: 2 processes were started with exec .* will not be in the checkpoint/);
    assert.match(r.stderr, /the-exec-marker/);
    await engine.restore({ kind: 'image', ref: image }, { name: `${name}-copy` });
    assert.doesNotMatch(await podman('top', `${name}-copy`, 'args'), /the-exec-marker/);
  });

  it('judges an archive read from an image by the runtime its config.dump names, which podman checks, not by the manifest', TIMEOUT, async () => {
    const name = uniqueName('pf-runtime');
    res.containers.push(name);
    await startCounter(name);
    await waitForCounter(name, 3);
    const archive = join(res.dir, `${name}.tar.zst`);
    await engine.checkpoint(name, { kind: 'archive', path: archive });
    const { runtimeName } = await engine.hostFacts();
    // A manifest can say anything: here, a runtime this host lacks, beside the archive's own (this host's).
    const report = await preflightRestore(engine, { kind: 'archive', path: archive }, {
      name: `${name}-copy`,
      image: { ref: `store:${name}`, annotations: { [PodmanAnnotation.RuntimeName]: 'hostile-runtime' } },
    });
    assert.equal(report.annotations[PodmanAnnotation.RuntimeName], runtimeName);
    assert.deepEqual(report.findings.filter((f) => /hostile-runtime/.test(f.message)), []);
    assert.ok(report.canRestore, JSON.stringify(report.findings.filter((f) => f.severity === 'error')));
  });

  it('refuses an image that asks to bind-mount /etc and the home folder, and runs nothing', TIMEOUT, async () => {
    const name = uniqueName('pf-hostile');
    const image = `localhost/${name}:hostile`;
    res.containers.push(name, `${name}-copy`);
    res.images.push(image);
    await startCounter(name);
    await waitForCounter(name, 3);
    const archive = join(res.dir, `${name}.tar.zst`);
    await engine.checkpoint(name, { kind: 'archive', path: archive });
    // What a stranger could publish: a real checkpoint whose metadata binds in the host's /etc and a home folder.
    const hostile = [
      { destination: '/host-etc', type: 'bind', source: '/etc', options: ['rbind', 'ro'] },
      { destination: '/host-home', type: 'bind', source: homedir(), options: ['rbind', 'rw'] },
    ];
    const layoutDir = join(res.dir, 'hostile-layout');
    await new Store(layoutDir).buildFromArchive(archive, 'hostile', {
      host: await engine.hostFacts(),
      editMetadata: (file, value) => {
        if (file === 'spec.dump') return { ...value, mounts: [...((value.mounts as unknown[]) ?? []), ...hostile] };
        const spec = (value.spec ?? {}) as Record<string, unknown>;
        return { ...value, spec: { ...spec, mounts: [...((spec.mounts as unknown[]) ?? []), ...hostile] }, userVolumes: ['/host-etc', '/host-home'] };
      },
    });
    await copyImage({ podman: engine, store: new Store(join(res.dir, 'store')), hostFacts: () => engine.hostFacts() }, parseReference(`oci:${layoutDir}:hostile`), parseReference(image));

    const r = ckptWith({}, 'restore', image, '--name', `${name}-copy`);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /error +refused: the checkpoint asks to bind-mount the host's \/etc at \/host-etc \(read-only\): it is \/etc/);
    assert.match(r.stderr, new RegExp(`error +refused: the checkpoint asks to bind-mount the host's ${homedir()} at /host-home`));
    assert.equal(await engine.container(`${name}-copy`), undefined, 'podman created a container anyway');
  });
});
