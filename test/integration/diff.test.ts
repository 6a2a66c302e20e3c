/**
 * `ckpt diff` on two real checkpoints of one container (podman + runc + CRIU, leave running), taken before and
 * after its shell started another process and a file in it grew: the new process with its command line and the
 * changed file are named, as archives and as images of the embedded store alike; a checkpoint against itself
 * shows no differences.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CheckpointDiff } from '../../src/engine/index.js';
import { ckptWith } from '../support/cli.js';
import { BASE_IMAGE, podman, TEST_LABEL, testPodman, testResources, uniqueName } from '../support/stack.js';

const TIMEOUT = { timeout: 240_000 };
/** The process the shell starts between the checkpoints. */
const ADDED = ['sleep', '424242'];
const STATE = '/tmp/state.txt';

async function until(what: string, probe: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('ckpt diff: two checkpoints of one container', { concurrency: false }, () => {
  const res = testResources();
  let made: { a: string; b: string } | undefined;
  const env = () => ({ CKPT_STORE: join(res.dir, 'store') });
  const ckpt = (...args: string[]) => ckptWith(env(), ...args);
  const diffJson = (a: string, b: string): CheckpointDiff => {
    const r = ckpt('diff', a, b, '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as CheckpointDiff;
  };

  /** Checkpoint A of the waiting shell; then the file grows and the shell starts ADDED; checkpoint B. */
  const checkpoints = async () => {
    if (made) return made;
    const name = uniqueName('ckpt-diff');
    res.containers.push(name);
    // Every process of A is still there in B (the shell waits on a sleep, and USR1 starts ADDED): podman leaves
    // the images of A's processes in the checkpoint folder, and a process of A gone by B would leave stale ones.
    const script = [`echo one > ${STATE}`, `trap '${ADDED.join(' ')} & touch /tmp/started' USR1`, 'sleep 100000 &', 'while :; do wait; done'].join('\n');
    await podman('run', '-d', '--name', name, '--label', TEST_LABEL, BASE_IMAGE, 'sh', '-c', script);
    await until('the state file', async () => (await podman('exec', name, 'cat', STATE).catch(() => '')) === 'one');
    const engine = testPodman();
    const a = join(res.dir, 'a.tar.zst');
    const b = join(res.dir, 'b.tar.zst');
    await engine.checkpoint(name, { kind: 'archive', path: a, compression: 'zstd' }, { leaveRunning: true });
    await podman('exec', name, 'sh', '-c', `echo two-and-longer >> ${STATE}`);
    await podman('kill', '--signal', 'USR1', name);
    await until('the added process', async () => (await podman('exec', name, 'test', '-f', '/tmp/started').then(() => true, () => false)));
    await engine.checkpoint(name, { kind: 'archive', path: b, compression: 'zstd' }, { leaveRunning: true });
    made = { a, b };
    return made;
  };

  it('names the added process with its command line and the changed file, in JSON and as text', TIMEOUT, async () => {
    const { a, b } = await checkpoints();
    const d = diffJson(`archive:${a}`, `archive:${b}`);
    assert.equal(d.version, 1);
    assert.equal(d.equal, false);
    assert.deepEqual([d.a, d.b], [`archive:${a}`, `archive:${b}`]);
    const added = d.processes.added.find((p) => p.cmdline?.join(' ') === ADDED.join(' '));
    assert.ok(added, `no added ${ADDED.join(' ')}: ${JSON.stringify(d.processes)}`);
    assert.deepEqual([added.comm, added.ppid], ['sleep', 1]);
    assert.ok(!d.processes.changed.some((p) => p.pid === 1 && p.commandChanged), 'the shell is the same process');
    const state = d.rootfsDiff?.changed.find((f) => f.path === STATE);
    assert.deepEqual(state && [state.a.size, state.b.size], [4, 19], JSON.stringify(d.rootfsDiff));
    assert.ok(d.rootfsDiff?.added.some((f) => f.path === '/tmp/started'), JSON.stringify(d.rootfsDiff));
    assert.deepEqual(d.notes, []);

    const r = ckpt('diff', `archive:${a}`, `archive:${b}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Processes\\n(  .*\\n)*  \\+ \\[${added.pid}\\] sleep: sleep 424242 \\(parent 1\\)$`, 'm'), r.stdout);
    assert.match(r.stdout, /^Changed files \(rootfs-diff\)\n(  .*\n)*  ~ \/tmp\/state\.txt: 4 B → 19 B$/m, r.stdout);
    assert.match(r.stdout, /^  \+ \/tmp\/started \(0 B\)$/m, r.stdout);
    assert.match(r.stderr, /reading A: archive:.*\nreading B: archive:/);
  });

  it('a checkpoint against itself shows no differences, exit code 0', TIMEOUT, async () => {
    const { a } = await checkpoints();
    const r = ckpt('diff', `archive:${a}`, `archive:${a}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').at(-1), 'no differences');
    assert.equal(diffJson(`archive:${a}`, `archive:${a}`).equal, true);
  });

  it('the same diff comes out for the two checkpoints as images of the embedded store', TIMEOUT, async () => {
    const { a, b } = await checkpoints();
    for (const [file, tag] of [[a, 'a'], [b, 'b']] as const) {
      const r = ckpt('copy', `archive:${file}`, `store:${tag}`);
      assert.equal(r.code, 0, r.stderr);
    }
    const archives = diffJson(`archive:${a}`, `archive:${b}`);
    const images = diffJson('store:a', 'store:b');
    assert.deepEqual([images.a, images.b], ['store:a', 'store:b']);
    const { a: _a, b: _b, annotations, ...same } = images;
    assert.deepEqual(same, (({ a: _x, b: _y, ...rest }) => rest)(archives));
    assert.ok(annotations, 'two images compare their annotations');
    const equalItself = diffJson('store:a', 'store:a');
    assert.equal(equalItself.equal, true);
    // An archive against an image: the image's annotations cannot be compared, which is a note, not a difference.
    const mixed = diffJson(`archive:${a}`, 'store:a');
    assert.equal(mixed.equal, true, JSON.stringify(mixed));
    assert.deepEqual(mixed.notes, ['annotations not compared: A is an archive, which keeps none']);
  });
});
