import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `use` in a private temporary folder (0700: checkpoints hold process memory) named `ckpt-PREFIX-…`, and
 * removes the folder and all in it afterwards, whether `use` succeeded, failed or was cancelled.
 */
export async function withTempFolder<T>(prefix: string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(tmpdir(), `ckpt-${prefix}-${randomBytes(8).toString('hex')}`);
  await mkdir(dir, { mode: 0o700 });
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
