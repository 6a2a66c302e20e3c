import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './paths.js';
import { STORE_DIR } from './stack.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const CLI = join(projectRoot(), 'dist', 'cli.js');

/** Runs the built `ckpt` as a user would, against the test store. */
export function ckpt(...args: string[]): CliRun {
  return ckptWith({}, ...args);
}

/** The same with extra environment (e.g. CKPT_STORE for an embedded store of the test's own). */
export function ckptWith(env: Record<string, string>, ...args: string[]): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, CKPT_PODMAN_STORE: STORE_DIR, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
