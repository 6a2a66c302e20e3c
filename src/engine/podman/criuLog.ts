import { join } from 'node:path';
import { isEngineError } from '../errors.js';
import { criuFailure, readCriuLogEnd } from './failures.js';

/**
 * Runs a checkpoint or restore; when CRIU fails and podman's message named no log, attaches the tail of the
 * container's own dump.log / restore.log (podman does not expose its path, podman#25154).
 */
export async function withCriuLog<T>(
  what: string,
  staticDir: string | undefined,
  logName: 'dump.log' | 'restore.log',
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!isEngineError(err, 'CRIU_FAILED') || err.logPath || !staticDir) throw err;
    const logPath = join(staticDir, logName);
    const log = await readCriuLogEnd(logPath);
    if (!log) throw err;
    throw criuFailure(what, log, logPath);
  }
}
