/**
 * One writer at a time for a store's index.json (and for gc), across processes: a lock file created with
 * O_EXCL that holds the owner's pid. It is held for milliseconds (a read-modify-write), so a pid check tells a
 * crashed owner exactly; no heartbeat timer is needed, unlike mtime-based locks.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { cancelled, EngineError } from '../errors.js';
import { errno, FILE_MODE, processAlive } from './files.js';

export interface LockOptions {
  signal?: AbortSignal;
  /** How long to wait for another holder; default 30 s. */
  timeoutMs?: number;
}

/** Past this age a lock is taken to be abandoned even if its pid runs: that pid has been reused. */
const MAX_AGE_MS = 10 * 60_000;
/** A lock file is created empty and then written: give the writer this long before judging it by content. */
const WRITE_GRACE_MS = 5_000;

/** Runs `fn` holding the lock file at `path`. */
export async function withLock<T>(path: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const token = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw cancelled(`waiting for the store lock ${path}`, options.signal);
    try {
      await writeFile(path, token, { flag: 'wx', mode: FILE_MODE });
      break;
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw err;
    }
    const holder = await readHolder(path);
    if (!holder) continue; // released meanwhile
    if (holder.stale && (await breakStale(path, holder.content))) continue;
    if (Date.now() > deadline) {
      throw new EngineError('STORE_BUSY', `the store lock ${path} is held by process ${holder.pid || '?'}`, {
        hint: `wait for that process to finish; if none runs, delete ${path}`,
      });
    }
    await sleep(Math.min(200, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()), undefined, { signal: options.signal })
      .catch(() => undefined);
  }
  try {
    return await fn();
  } finally {
    // Remove only our own lock: one judged stale and taken over belongs to someone else now.
    if ((await readFile(path, 'utf8').catch(() => '')) === token) await unlink(path).catch(() => undefined);
  }
}

async function readHolder(path: string): Promise<{ content: string; pid: number; stale: boolean } | undefined> {
  try {
    const [content, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const age = Date.now() - info.mtimeMs;
    const pid = Number(/^(\d+) [0-9a-f]{16}\n$/.exec(content)?.[1] ?? NaN);
    const stale = Number.isNaN(pid) ? age > WRITE_GRACE_MS : age > MAX_AGE_MS || !processAlive(pid);
    return { content, pid, stale };
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Removes a stale lock unless it changed since it was judged. Breakers take turns through a second O_EXCL
 * file, so two of them can never both remove a lock and one remove the other's fresh lock.
 */
async function breakStale(path: string, judged: string): Promise<boolean> {
  const breaker = `${path}.break`;
  try {
    await writeFile(breaker, String(process.pid), { flag: 'wx', mode: FILE_MODE });
  } catch (err) {
    if (errno(err) !== 'EEXIST') throw err;
    // A breaker needs microseconds; one that stays this long has crashed.
    const info = await stat(breaker).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > WRITE_GRACE_MS) await unlink(breaker).catch(() => undefined);
    return false;
  }
  try {
    if ((await readFile(path, 'utf8').catch(() => undefined)) === judged) await unlink(path).catch(() => undefined);
    return true;
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}
