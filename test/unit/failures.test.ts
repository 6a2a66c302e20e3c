import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { describeError, EngineError } from '../../src/engine/index.js';
import { classifyPodmanFailure, criuCause, criuLogPath, lastErrorLine, readTail } from '../../src/engine/podman/failures.js';

describe('podman failures', () => {
  const cases: [string, string][] = [
    ['Error: no container with name or ID "x" found: no such container', 'CONTAINER_NOT_FOUND'],
    ['Error: "exited" is not running, cannot checkpoint: container state improper', 'CONTAINER_NOT_RUNNING'],
    ['Error: checkpointing a container requires root', 'NEEDS_ROOT'],
    ['Error: image localhost/busybox:latest is not a checkpoint', 'NOT_A_CHECKPOINT_IMAGE'],
    ['Error: container image "x" requires runtime: "crun"', 'RUNTIME_MISMATCH'],
    ['Error: creating container storage: the container name "web" is already in use by abc', 'NAME_IN_USE'],
    ['Error: localhost/nope:1: image not known', 'IMAGE_NOT_FOUND'],
    ['Error: checkpoint/restore requires at least CRIU 31100', 'CRIU_FAILED'],
    ['Error: something entirely new', 'PODMAN_FAILED'],
  ];
  for (const [stderr, code] of cases) {
    it(`classifies "${stderr.slice(7, 50)}..." as ${code}`, async () => {
      const err = await classifyPodmanFailure('doing it', `time="x" level=warning msg="noise"\n${stderr}\n`);
      assert.equal(err.code, code);
      assert.ok(err.message.startsWith('doing it: '));
      assert.ok(err.hint, 'every failure has a next step');
    });
  }

  it('takes the last Error: line as the reason', () => {
    assert.equal(lastErrorLine('warn\nError: first\nmore\nError: second\n'), 'second');
    assert.equal(lastErrorLine('only text'), 'only text');
  });

  it('finds the CRIU log path runc reports and reads its tail with the first CRIU error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-unit-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const log = join(dir, 'dump.log');
    const lines = Array.from({ length: 100 }, (_, i) => `(00.0${i}) line ${i}`);
    lines.splice(90, 0, '(00.065195) Error (criu/sk-inet.c:191): inet: Connected TCP socket, consider using --tcp-established option.');
    writeFileSync(log, lines.join('\n') + '\n');
    const stderr = `Error: criu failed: type DUMP errno 0\nlog file: ${log}\n`;
    assert.equal(criuLogPath(stderr), log);
    const err = await classifyPodmanFailure('checkpointing web', stderr);
    assert.equal(err.code, 'CRIU_FAILED');
    assert.equal(err.message, 'checkpointing web: CRIU failed: inet: Connected TCP socket, consider using --tcp-established option.');
    assert.match(err.hint!, /--tcp-established/);
    assert.equal(err.log!.split('\n').length, 25);
    assert.match(err.log!, /line 99$/);
    assert.match(describeError(err), /Next step: .*\n--- .*dump\.log \(last lines\) ---\n/);
  });

  it('finds the cause in CRIU 4.2\'s log: past its early rlimit error, far above its closing summaries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-unit-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const log = join(dir, 'dump.log');
    const lines = [
      '(00.047957) Error (criu/util.c:1534): rlimit: Can\'t setup RLIMIT_NOFILE for self: Operation not permitted',
      ...Array.from({ length: 1100 }, (_, i) => `(00.1${i}) dumping ${i}`),
      '(00.186233) Error (criu/sk-inet.c:200): inet: Connected TCP socket, consider using --tcp-established option.',
      '(00.186248) Error (criu/cr-dump.c:1545): Dump files (pid: 3213) failed with -1',
      ...Array.from({ length: 20 }, (_, i) => `(00.2${i}) \tUnseizing ${i} into 1`),
      '(00.245004) Error (criu/cr-dump.c:1975): Dumping FAILED.',
    ];
    writeFileSync(log, lines.join('\n') + '\n');
    const err = await classifyPodmanFailure('checkpointing web', `Error: criu failed: type NOTIFY errno 0\nlog file: ${log}\n`);
    assert.equal(err.message, 'checkpointing web: CRIU failed: inet: Connected TCP socket, consider using --tcp-established option.');
    assert.match(err.hint!, /--tcp-established/);
    assert.equal(err.log!.split('\n').length, 25, 'the log shown is still only its last lines');
    assert.match(err.log!, /Dumping FAILED\.$/);
    assert.equal(criuCause('(0.1) Error (criu/cr-dump.c:1975): Dumping FAILED.'), 'Dumping FAILED.', 'a summary is better than nothing');
    assert.equal(criuCause('no errors here'), undefined);
  });

  it('reads nothing from a missing log', async () => {
    assert.equal(await readTail('/nonexistent/dump.log'), undefined);
  });

  it('describes plain errors too', () => {
    assert.equal(describeError(new Error('x')), 'x');
    assert.equal(describeError(new EngineError('CANCELLED', 'stopped')), 'stopped');
  });
});
