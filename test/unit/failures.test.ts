import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { describeError, EngineError } from '../../src/engine/index.js';
import { classifyPodmanFailure, criuLogPath, lastErrorLine, readTail } from '../../src/engine/podman/failures.js';

describe('podman failures', () => {
  const cases: [string, string][] = [
    ['Error: no container with name or ID "x" found: no such container', 'CONTAINER_NOT_FOUND'],
    ['Error: "exited" is not running, cannot checkpoint: container state improper', 'CONTAINER_NOT_RUNNING'],
    ['Error: checkpointing a container requires root', 'NEEDS_ROOT'],
    ['Error: image localhost/busybox:latest is not a checkpoint', 'NOT_A_CHECKPOINT_IMAGE'],
    ['Error: container image "x" requires runtime: "crun"', 'RUNTIME_MISMATCH'],
    ['Error: creating container storage: the container name "web" is already in use by abc', 'NAME_IN_USE'],
    ['Error: localhost/nope:1: image not known', 'IMAGE_NOT_FOUND'],
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

  it('reads nothing from a missing log', async () => {
    assert.equal(await readTail('/nonexistent/dump.log'), undefined);
  });

  it('describes plain errors too', () => {
    assert.equal(describeError(new Error('x')), 'x');
    assert.equal(describeError(new EngineError('CANCELLED', 'stopped')), 'stopped');
  });
});
