import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { untilFailure } from '../../src/engine/withLimit.js';

/** A call that runs until its signal aborts (then ends a little later, as a request winding down does). */
function untilAborted(log: string[], name: string, signal: AbortSignal): Promise<void> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => setTimeout(() => (log.push(`${name} ended`), reject(new Error(`${name} aborted`))), 20), { once: true });
  });
}

describe('untilFailure: side by side, all or nothing', () => {
  it('runs at most `size` at a time and every item once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await untilFailure([1, 2, 3, 4, 5, 6, 7], 3, 'counting', undefined, async (n) => {
      most = Math.max(most, ++running);
      await sleep(5 * (n % 3));
      running--;
      done.push(n);
    });
    assert.equal(most, 3);
    assert.deepEqual(done.sort(), [1, 2, 3, 4, 5, 6, 7]);
  });

  it('throws the first failure only after the calls in flight have ended, and starts no more', async () => {
    const log: string[] = [];
    const started: string[] = [];
    await assert.rejects(
      untilFailure(['slow', 'failing', 'never'], 2, 'pushing', undefined, async (name, signal) => {
        started.push(name);
        if (name === 'failing') {
          await sleep(5);
          throw new Error('the registry said no');
        }
        await untilAborted(log, name, signal);
      }).finally(() => log.push('thrown')),
      /the registry said no/,
    );
    assert.deepEqual(started, ['slow', 'failing']);
    assert.deepEqual(log, ['slow ended', 'thrown']);
  });

  it('a cancel stops the calls in flight and is thrown as CANCELLED once they have ended', async () => {
    const log: string[] = [];
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('interrupted')), 10);
    await assert.rejects(
      untilFailure(['a', 'b'], 2, 'pushing web', controller.signal, (name, signal) => untilAborted(log, name, signal)).finally(() => log.push('thrown')),
      (err: Error & { code?: string }) => err.code === 'CANCELLED' && /pushing web/.test(err.message),
    );
    assert.deepEqual([...log.slice(0, 2).sort(), log[2]], ['a ended', 'b ended', 'thrown']);
    await assert.rejects(untilFailure(['a'], 1, 'pushing web', controller.signal, async () => assert.fail('started after the cancel')), /cancelled: pushing web/);
  });
});
