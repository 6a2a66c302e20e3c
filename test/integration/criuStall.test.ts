/**
 * Fault injection on real podman + CRIU: CRIU is frozen (SIGSTOP) in the middle of a checkpoint or a restore
 * (test/support/criuFault.ts), and the engine's watchdog must report it, stop CRIU and leave the container as it was.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isEngineError, type EngineError } from '../../src/engine/index.js';
import { isCriu, listProcesses } from '../../src/engine/podman/procfs.js';
import { freezerFiles } from '../../src/engine/podman/thaw.js';
import { startStallableCounter } from '../support/criuFault.js';
import {
  BASE_IMAGE,
  hostCriuPattern,
  podman,
  readCounter,
  TEST_LABEL,
  testPodman,
  testResources,
  uniqueName,
  waitForCounter,
} from '../support/stack.js';

const STALL_MS = 5000;
const TIMEOUT = { timeout: 120_000 };
const engine = testPodman({ criuStallTimeoutMs: STALL_MS });

async function criuProcesses(): Promise<number[]> {
  return (await listProcesses()).filter(isCriu).map((p) => p.pid);
}

async function freezerStates(containerPid: number): Promise<string[]> {
  const { v1, v2 } = await freezerFiles(containerPid);
  return [v1, v2].filter((f): f is string => !!f && existsSync(f)).map((f) => readFileSync(f, 'utf8').trim());
}

describe('CRIU stall watchdog (real podman + CRIU, CRIU frozen mid-operation)', { concurrency: false }, () => {
  const res = testResources();

  /** A counting container whose CRIU can be frozen, with its image names registered for cleanup. */
  async function stallable(prefix: string) {
    const name = uniqueName(prefix);
    res.containers.push(name, `${name}-copy`);
    res.images.push(`localhost/${name}:stalled`, `localhost/${name}:ckpt`);
    return { name, ...(await startStallableCounter(name, res.dir)) };
  }

  function assertStalled(err: unknown, what: RegExp): true {
    assert.ok(isEngineError(err, 'CRIU_STALLED'), `expected CRIU_STALLED, got ${String(err)}`);
    const e = err as EngineError;
    assert.match(e.message, what);
    assert.match(e.message, new RegExp(`CRIU ${hostCriuPattern()} made no progress for \\d+ s`));
    assert.ok(e.message.includes(`kernel ${release()}`), e.message);
    assert.match(e.hint!, /ckpt host --check/);
    assert.match(e.log ?? '', /Running post-(dump|restore) scripts/, 'the stall error carries the tail of CRIU\'s log');
    return true;
  }

  it('a checkpoint whose CRIU freezes is stopped in time; the container runs on, thawed, and checkpoints afterwards', TIMEOUT, async () => {
    const { name, stopAt, armed } = await stallable('stall-dump');
    const { pid } = (await engine.container(name))!;
    const criuBefore = await criuProcesses();
    stopAt('post-dump');
    const started = Date.now();
    await assert.rejects(engine.checkpoint(name, { kind: 'image', name: `localhost/${name}:stalled` }, { leaveRunning: true }), (err) => assertStalled(err, /^checkpointing /));
    const took = Date.now() - started;
    assert.equal(armed(), false, 'CRIU never reached post-dump: the fault was not injected');
    assert.ok(took >= STALL_MS && took < STALL_MS + 15_000, `reported after ${took} ms`);

    assert.equal((await engine.container(name))?.state, 'running');
    assert.deepEqual((await freezerStates(pid)).filter((s) => s !== 'THAWED' && s !== '0'), [], 'the container was left frozen');
    const now = await readCounter(name);
    await waitForCounter(name, now + 5);
    assert.deepEqual(await criuProcesses(), criuBefore, 'a CRIU process was left behind');
    assert.equal(await engine.checkpointImage(`localhost/${name}:stalled`), undefined, 'a half-made checkpoint image was kept');

    const again = await engine.checkpoint(name, { kind: 'image', name: `localhost/${name}:ckpt` }, { leaveRunning: true });
    assert.ok(again.image, 'the second checkpoint made no image');
  });

  it('a restore whose CRIU freezes is stopped in time and leaves nothing; the next restore goes on counting', TIMEOUT, async () => {
    const { name, stopAt, armed } = await stallable('stall-rst');
    const image = `localhost/${name}:ckpt`;
    await engine.checkpoint(name, { kind: 'image', name: image }, { leaveRunning: true });
    const criuBefore = await criuProcesses();
    const copy = `${name}-copy`;
    stopAt('post-restore');
    const started = Date.now();
    await assert.rejects(engine.restore({ kind: 'image', ref: image }, { name: copy }), (err) => assertStalled(err, /^restoring /));
    const took = Date.now() - started;
    assert.equal(armed(), false, 'CRIU never reached post-restore: the fault was not injected');
    assert.ok(took < STALL_MS + 15_000, `reported after ${took} ms`);
    assert.equal(await engine.container(copy), undefined, 'the half-restored container was kept');
    assert.deepEqual(await criuProcesses(), criuBefore, 'a CRIU process was left behind');

    const restored = await engine.restore({ kind: 'image', ref: image }, { name: copy });
    assert.equal(restored.container.state, 'running');
    const first = await readCounter(copy);
    await waitForCounter(copy, first + 5);
  });

  it('a big checkpoint that keeps writing is never cut off, however short the stall timeout', TIMEOUT, async () => {
    const name = uniqueName('stall-big');
    const image = `localhost/${name}:ckpt`;
    res.containers.push(name);
    res.images.push(image);
    // 256 MB of touched memory: CRIU writes for seconds, then podman packs the image with no CRIU running.
    await podman('run', '-d', '--name', name, '--label', TEST_LABEL, BASE_IMAGE, 'sh', '-c',
      'x=$(head -c 256000000 /dev/zero | tr "\\0" x); touch /tmp/ready; while :; do sleep 1; done');
    for (let i = 0; i < 600 && !(await podman('exec', name, 'ls', '/tmp').catch(() => '')).includes('ready'); i++) await sleep(100);
    const hasty = testPodman({ criuStallTimeoutMs: 1000 });
    const started = Date.now();
    const result = await hasty.checkpoint(name, { kind: 'image', name: image });
    assert.ok(result.image && result.image.size > 200_000_000, `image of ${result.image?.size} bytes`);
    assert.ok(Date.now() - started > 1000, 'the checkpoint was too quick to prove anything');
  });

  it('cancel ends a stalled checkpoint at once, long before the stall timeout, and the container runs on', TIMEOUT, async () => {
    const { name, stopAt, armed } = await stallable('stall-cancel');
    const patient = testPodman({ criuStallTimeoutMs: 300_000 });
    const controller = new AbortController();
    stopAt('post-dump');
    const run = patient.checkpoint(name, { kind: 'image', name: `localhost/${name}:stalled` }, { leaveRunning: true, signal: controller.signal });
    while (armed()) await sleep(50);
    await sleep(1000);
    const cancelledAt = Date.now();
    controller.abort();
    await assert.rejects(run, (err) => isEngineError(err, 'CANCELLED'));
    assert.ok(Date.now() - cancelledAt < 10_000, `cancel took ${Date.now() - cancelledAt} ms`);
    const now = await readCounter(name);
    await waitForCounter(name, now + 5);
  });
});
