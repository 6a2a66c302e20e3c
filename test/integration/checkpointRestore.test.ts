/** Checkpoint and restore through the engine, against real podman + runc + CRIU. */
import assert from 'node:assert/strict';
import { openSync, readSync, closeSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isEngineError, PodmanAnnotation, type ArchiveCompression } from '../../src/engine/index.js';
import {
  BASE_IMAGE,
  hostCriu,
  podman,
  readCounter,
  removeContainers,
  startCounter,
  TEST_LABEL,
  testPodman,
  testResources,
  uniqueName,
  waitForCounter,
} from '../support/stack.js';

const engine = testPodman();
const TIMEOUT = { timeout: 120_000 };

/** Asserts the restored copy goes on from the checkpointed value and keeps counting. */
async function assertCounterGoesOn(copy: string, checkpointedAt: number): Promise<void> {
  const first = await readCounter(copy);
  // Restarting from scratch would show a small number: the original counted for well over a second.
  assert.ok(first >= checkpointedAt, `restored counter ${first} is below the checkpointed ${checkpointedAt}`);
  const later = await waitForCounter(copy, first + 5);
  assert.ok(later > first, 'restored counter does not go on counting');
}

/** The value the counter printed last: for a checkpointed container, the value it was frozen at. */
async function lastLogged(name: string): Promise<number> {
  return Number(await podman('logs', '--tail', '1', name));
}

function magic(path: string): Buffer {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(262);
  readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  return buf;
}

describe('checkpoint and restore (real podman + CRIU)', { concurrency: false }, () => {
  const res = testResources();
  const { containers, images } = res;

  /** A running counter that has reached `min`, with an image name and a copy name, all cleaned up after. */
  async function counting(prefix: string, min: number) {
    const name = uniqueName(prefix);
    const image = `localhost/${name}:ckpt`;
    const copy = `${name}-copy`;
    containers.push(name, copy);
    images.push(image);
    await startCounter(name);
    await waitForCounter(name, min);
    return { name, image, copy };
  }


  it('checkpoints into an image and restores a copy whose counter goes on', TIMEOUT, async () => {
    const { name, image, copy } = await counting('counter', 30);

    const result = await engine.checkpoint(name, { kind: 'image', name: image });
    assert.equal(result.containerName, name);
    assert.ok(result.image, 'no image in the result');
    assert.ok(result.image.names.includes(image));
    assert.equal(result.image.annotations[PodmanAnnotation.Name], name);
    assert.equal((await engine.container(name))?.state, 'checkpointed');
    const frozenAt = await lastLogged(name);
    assert.ok(frozenAt >= 30);

    const listed = await engine.listCheckpointImages();
    assert.ok(listed.some((i) => i.names.includes(image)), 'checkpoint image not listed');
    assert.ok(!listed.some((i) => i.names.includes(BASE_IMAGE)), 'a plain image was listed as a checkpoint image');

    const restored = await engine.restore({ kind: 'image', ref: image }, { name: copy });
    assert.equal(restored.container.name, copy);
    assert.equal(restored.container.state, 'running');
    assert.ok(restored.stats && restored.stats.criu.pages_restored! > 0, 'no CRIU restore statistics');
    await assertCounterGoesOn(copy, frozenAt);
    assert.equal((await engine.container(copy))?.restored, true);
  });

  it("records this host's real facts in the image annotations", TIMEOUT, async () => {
    const { name, image } = await counting('facts', 3);
    const { image: img } = await engine.checkpoint(name, { kind: 'image', name: image });
    const a = img!.annotations;
    // Compare with sources independent of podman: the kernel, Node, the CRIU binary itself.
    assert.equal(a[PodmanAnnotation.HostKernel], release());
    assert.equal(a[PodmanAnnotation.HostArch], process.arch === 'x64' ? 'amd64' : process.arch);
    assert.equal(a[PodmanAnnotation.CriuVersion], hostCriu().number);
    assert.equal(a[PodmanAnnotation.RuntimeName], 'runc');
    assert.match(a[PodmanAnnotation.RuntimeVersion]!, /^runc version [\d.]+/);
    assert.match(a[PodmanAnnotation.RuntimeVersion]!, /\n/, 'runtime.version should keep all lines');
    assert.equal(a[PodmanAnnotation.RootfsImageName], BASE_IMAGE);
    const facts = await engine.hostFacts();
    assert.equal(facts.criu?.number, Number(a[PodmanAnnotation.CriuVersion]));
    assert.equal(facts.kernel, a[PodmanAnnotation.HostKernel]);
    assert.equal(facts.cgroupsVersion, a[PodmanAnnotation.CgroupsVersion]);
    assert.equal(facts.distributionName, a[PodmanAnnotation.DistributionName]);
  });

  const MAGIC: Record<ArchiveCompression, (b: Buffer) => boolean> = {
    zstd: (b) => b.readUInt32LE(0) === 0xfd2fb528,
    gzip: (b) => b[0] === 0x1f && b[1] === 0x8b,
    none: (b) => b.subarray(257, 262).toString() === 'ustar',
  };

  for (const compression of ['zstd', 'gzip', 'none'] as const) {
    it(`exports a ${compression} archive and restores from it`, TIMEOUT, async () => {
      const { name, copy } = await counting(`arch-${compression}`, 30);
      const path = join(res.dir, `${name}.tar`);
      const result = await engine.checkpoint(name, { kind: 'archive', path, compression });
      assert.ok(result.archive && result.archive.size > 0);
      assert.ok(MAGIC[compression](magic(path)), `${path} is not ${compression}`);
      const frozenAt = await lastLogged(name);

      const restored = await engine.restore({ kind: 'archive', path }, { name: copy });
      assert.equal(restored.container.name, copy);
      await assertCounterGoesOn(copy, frozenAt);
    });
  }

  it('leave-running keeps the original counting', TIMEOUT, async () => {
    const { name, image } = await counting('leave', 5);
    await engine.checkpoint(name, { kind: 'image', name: image }, { leaveRunning: true });
    const c = await engine.container(name);
    assert.equal(c?.state, 'running');
    const now = await readCounter(name);
    await waitForCounter(name, now + 5);
  });

  it('restores a checkpointed container in place', TIMEOUT, async () => {
    const { name } = await counting('inplace', 30);
    const path = join(res.dir, `${name}.tar.zst`);
    await engine.checkpoint(name, { kind: 'archive', path });
    const frozenAt = await lastLogged(name);
    const restored = await engine.restore({ kind: 'container', nameOrId: name });
    assert.equal(restored.container.name, name);
    await assertCounterGoesOn(name, frozenAt);
  });

  it('refuses to restore without a new name while the original exists, and says what to do', TIMEOUT, async () => {
    const { name, image } = await counting('taken', 3);
    await engine.checkpoint(name, { kind: 'image', name: image });
    await assert.rejects(engine.restore({ kind: 'image', ref: image }), (err) => {
      assert.ok(isEngineError(err, 'NAME_IN_USE'), String(err));
      assert.match(err.hint!, /--name/);
      return true;
    });
    // Once the original is gone, the same restore reuses its name.
    await removeContainers(name);
    const restored = await engine.restore({ kind: 'image', ref: image });
    assert.equal(restored.container.name, name);
  });

  it('gives clear errors for containers that cannot be checkpointed', TIMEOUT, async () => {
    await assert.rejects(engine.checkpoint(uniqueName('missing'), { kind: 'image', name: 'localhost/x:1' }), (err) => {
      assert.ok(isEngineError(err, 'CONTAINER_NOT_FOUND'), String(err));
      return true;
    });
    const name = uniqueName('stopped');
    containers.push(name);
    await podman('create', '--name', name, '--label', TEST_LABEL, BASE_IMAGE, 'true');
    await assert.rejects(engine.checkpoint(name, { kind: 'image', name: `localhost/${name}:1` }), (err) => {
      assert.ok(isEngineError(err, 'CONTAINER_NOT_RUNNING'), String(err));
      assert.match(err.message, /created, not running/);
      return true;
    });
  });

  it('explains a real CRIU failure with the tail of dump.log', TIMEOUT, async () => {
    const name = uniqueName('tcp');
    containers.push(name);
    // An established loopback TCP connection: CRIU refuses it without --tcp-established.
    await podman(
      'run', '-d', '--name', name, '--label', TEST_LABEL, BASE_IMAGE, 'sh', '-c',
      'sleep 1000 | nc -l -p 9000 >/dev/null & sleep 0.3; sleep 1000 | nc 127.0.0.1 9000',
    );
    await new Promise((r) => setTimeout(r, 800));
    await assert.rejects(engine.checkpoint(name, { kind: 'image', name: `localhost/${name}:1` }), (err) => {
      assert.ok(isEngineError(err, 'CRIU_FAILED'), String(err));
      assert.match(err.message, /Connected TCP socket/);
      assert.match(err.hint!, /TCP/);
      assert.match(err.logPath!, /dump\.log$/);
      assert.match(err.log!, /Dumping FAILED/);
      return true;
    });
    // Nothing is lost: the container is still running.
    assert.equal((await engine.container(name))?.state, 'running');
  });

  it('removes a checkpoint image and refuses plain images', TIMEOUT, async () => {
    const { name, image } = await counting('rm', 3);
    await engine.checkpoint(name, { kind: 'image', name: image });
    await engine.removeCheckpointImage(image);
    assert.equal(await engine.checkpointImage(image), undefined);
    await assert.rejects(engine.removeCheckpointImage(BASE_IMAGE), (err) => isEngineError(err, 'NOT_A_CHECKPOINT_IMAGE'));
    assert.notEqual(await podman('images', '-q', BASE_IMAGE), '', 'the base image must survive');
  });
});
