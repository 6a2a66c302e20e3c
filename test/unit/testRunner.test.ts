/** scripts/run-tests.mjs: a hanging test file is ended on time, with what it started, and the run goes on. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { projectRoot } from '../support/paths.js';

/** A process's state letter from /proc ('Z' for an unreaped zombie), undefined once it has ended. */
function state(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0];
  } catch {
    return undefined;
  }
}

/** Whether a killed process is gone: ended, or a zombie its new parent has not reaped yet; waits up to 3 s. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 30; i++) {
    if ([undefined, 'Z'].includes(state(pid))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * Fixture code that starts `sleep 1000` in a session of its own and lets it be, like podman leaves conmon, and
 * notes its PID in `pidFile`.
 */
function stray(pidFile: string, env = 'process.env'): string {
  return `{
  const child = require('node:child_process').spawn('sleep', ['1000'], { detached: true, stdio: 'ignore', env: ${env} });
  child.unref();
  require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
}`;
}

describe('test runner', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-runner-'));
  const pid = (name: string) => Number(readFileSync(join(dir, name), 'utf8'));
  after(() => {
    try {
      process.kill(pid('bystander.pid'), 'SIGKILL');
    } catch {
      // Never started, or already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends a hanging file after its timeout with what it started, sweeps strays of a passing file, and reports', { timeout: 60_000 }, async () => {
    // Passes, leaving a stray with its marker and a bystander whose marker only starts like it.
    writeFileSync(join(dir, 'a-pass.test.js'), `
${stray(join(dir, 'left.pid'))}
${stray(join(dir, 'bystander.pid'), `{ ...process.env, LC_CKPT_TEST_RUN: process.env.LC_CKPT_TEST_RUN + '0' }`)}
require('node:test').it('passes', () => {});
`);
    writeFileSync(join(dir, 'b-hang.test.js'), `
${stray(join(dir, 'hang.pid'))}
require('node:test').it('hangs', () => new Promise(() => setInterval(() => {}, 1000)));
`);
    const started = Date.now();
    const r = spawnSync(process.execPath, [join(projectRoot(), 'scripts', 'run-tests.mjs'), dir], {
      encoding: 'utf8',
      env: { ...process.env, CKPT_TEST_FILE_TIMEOUT: '3' },
      timeout: 45_000,
    });
    const took = Date.now() - started;
    assert.equal(r.status, 1, r.stderr);
    assert.ok(took < 15_000, `the run took ${took} ms`);
    assert.match(r.stderr, /a-pass\.test\.js left processes behind: killed 1 processes \(sleep\)/);
    assert.match(r.stderr, /TIMEOUT after 3 s: .*b-hang\.test\.js — killed \d+ processes \((node, sleep|sleep, node)\)/);
    assert.match(r.stderr, /passed +[\d.]+ s {2}.*a-pass\.test\.js/);
    assert.match(r.stderr, /timed out +[\d.]+ s {2}.*b-hang\.test\.js/);
    assert.match(r.stderr, /1 passed, 0 failed, 1 timed out, 0 not run of 2 files/);
    for (const name of ['left.pid', 'hang.pid']) assert.ok(await gone(pid(name)), `the stray in ${name} is still alive`);
    assert.ok(!['Z', undefined].includes(state(pid('bystander.pid'))), 'the bystander with another marker was killed');
  });
});
