/**
 * The host check against a podman that never answers (a real process that hangs): the step ends on its own
 * time with an error saying so, not as if the user had cancelled, and progress names the step that runs.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkHost } from '../../src/engine/podman/hostCheck.js';
import { PodmanExec } from '../../src/engine/podman/exec.js';

describe('host check with a podman that hangs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-hang-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the step fails after its timeout with "no answer within", and the steps were announced as they started', { timeout: 20_000 }, async () => {
    const podman = join(dir, 'podman');
    writeFileSync(podman, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(podman, 0o755);
    const started: string[] = [];
    const began = Date.now();
    const report = await checkHost(new PodmanExec({ podmanPath: podman }), { stepTimeoutMs: 300, onStart: (t) => started.push(t) });
    assert.ok(Date.now() - began < 10_000, 'the check did not end on its own time');
    assert.equal(report.ok, false);
    assert.deepEqual(started, ['podman and CRIU']);
    const [step] = report.steps;
    assert.equal(step?.ok, false);
    assert.match(step!.detail!, /^podman and CRIU: no answer within 0\.3 s \(/);
    assert.doesNotMatch(step!.detail!, /cancelled/);
  });

  it('a check the caller cancels stays a cancellation', { timeout: 20_000 }, async () => {
    const podman = join(dir, 'podman');
    const report = await checkHost(new PodmanExec({ podmanPath: podman }), { signal: AbortSignal.timeout(200), stepTimeoutMs: 2_000 });
    assert.match(report.steps[0]!.detail!, /^cancelled: /);
  });
});
