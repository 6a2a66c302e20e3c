/** scripts/run-tests.mjs: a hanging test file is ended on time, with what it started, and the run goes on. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { projectRoot } from '../support/paths.js';

/** Whether a killed process is gone: ended, or a zombie its new parent has not reaped yet; waits up to 3 s. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 30; i++) {
    const state = (() => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0];
      } catch {
        return undefined;
      }
    })();
    if (state === undefined || state === 'Z') return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('test runner', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-runner-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ends a hanging file after its timeout, kills what it started even outside its process group, and reports', { timeout: 60_000 }, async () => {
    writeFileSync(join(dir, 'a-pass.test.js'), `require('node:test').it('passes', () => {});\n`);
    // Like conmon: a process in a session of its own, which a process-group kill does not reach.
    writeFileSync(join(dir, 'b-hang.test.js'), `
const { spawn } = require('node:child_process');
require('node:test').it('hangs', async () => {
  const stray = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
  require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'stray.pid'))}, String(stray.pid));
  await new Promise(() => setInterval(() => {}, 1000));
});
`);
    const started = Date.now();
    const r = spawnSync(process.execPath, [join(projectRoot(), 'scripts', 'run-tests.mjs'), dir], {
      encoding: 'utf8',
      env: { ...process.env, CKPT_TEST_FILE_TIMEOUT: '3' },
      timeout: 45_000,
    });
    const took = Date.now() - started;
    assert.equal(r.status, 1, r.stderr);
    assert.ok(took < 20_000, `the run took ${took} ms`);
    assert.match(r.stderr, /TIMEOUT after 3 s: .*b-hang\.test\.js — killed \d+ processes \(.*sleep.*\)/);
    assert.match(r.stderr, /passed +\d+ s {2}.*a-pass\.test\.js/);
    assert.match(r.stderr, /timed out +\d+ s {2}.*b-hang\.test\.js/);
    assert.match(r.stderr, /1 of 2 files did not pass/);
    const stray = Number(readFileSync(join(dir, 'stray.pid'), 'utf8'));
    assert.ok(stray > 0 && (await gone(stray)), `the stray process ${stray} is still alive`);
  });
});
