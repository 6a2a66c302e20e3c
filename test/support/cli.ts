import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { STORE_DIR } from './stack.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The project root, found upwards from this (bundled) file. */
function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('project root not found');
    dir = up;
  }
  return dir;
}

const CLI = join(projectRoot(), 'dist', 'cli.js');

/** Runs the built `ckpt` as a user would, against the test store. */
export function ckpt(...args: string[]): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, CKPT_PODMAN_STORE: STORE_DIR },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
