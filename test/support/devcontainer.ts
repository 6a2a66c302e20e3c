/**
 * The open-source devcontainers CLI (npm @devcontainers/cli) on the tests' podman store: `--docker-path` is a
 * small wrapper that adds the isolated store's flags, as a user's plain `podman` would be.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COUNTER_SCRIPT } from './counter.js';
import { projectRoot } from './paths.js';
import { BASE_IMAGE, PODMAN, podman, podmanArgs } from './stack.js';

const run = promisify(execFile);

/**
 * busybox with an /etc/passwd (the devcontainers CLI looks its user up), whose main process runs the
 * workspace's .devcontainer/start.sh: the developer's service must descend from the container's first process,
 * since processes started with exec are not part of a checkpoint.
 */
export const DEV_IMAGE = 'localhost/busybox-dev:2';

let wrapper: string | undefined;

/** The `--docker-path` for the devcontainers CLI: the podman under test with the tests' store flags. */
export function podmanWrapper(): string {
  if (wrapper) return wrapper;
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-devcontainer-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  wrapper = join(dir, 'podman');
  const quoted = [PODMAN, ...podmanArgs].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${quoted} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/** Builds DEV_IMAGE from the tests' busybox once per store. */
export async function ensureDevImage(): Promise<void> {
  if ((await podman('images', '-q', DEV_IMAGE)) !== '') return;
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-devimage-'));
  writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'group'), 'root:x:0:\n');
  const start = 'for f in /workspaces/*/.devcontainer/start.sh; do [ -f "$f" ] && exec sh "$f"; done; exec sleep 2147483647';
  writeFileSync(join(dir, 'Containerfile'), `FROM ${BASE_IMAGE}\nCOPY passwd group /etc/\nCMD ${JSON.stringify(['sh', '-c', start])}\n`);
  try {
    await podman('build', '-q', '-t', DEV_IMAGE, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A workspace folder with a devcontainer.json for DEV_IMAGE and a service that counts into /tmp/count while it
 * keeps a workspace file open (CRIU then needs that file where the restore mounts the workspace).
 */
export function makeWorkspace(path: string): string {
  mkdirSync(join(path, '.devcontainer'), { recursive: true });
  writeFileSync(join(path, '.devcontainer', 'devcontainer.json'), JSON.stringify({ name: 'shop', image: DEV_IMAGE, overrideCommand: false }));
  writeFileSync(join(path, '.devcontainer', 'start.sh'), `cd "$(dirname "$0")/.."; exec 3<README; ${COUNTER_SCRIPT}\n`);
  writeFileSync(join(path, 'README'), 'the shop service\n');
  return path;
}

/** `devcontainer SUBCOMMAND --docker-path <wrapper> ARGS`; its JSON result for `up`, stdout for `exec`. */
export async function devcontainer(subcommand: 'up' | 'exec', ...args: string[]): Promise<string> {
  const cli = join(projectRoot(), 'node_modules', '.bin', 'devcontainer');
  // Options before the command: everything after exec's command is the command's own.
  const { stdout } = await run(cli, [subcommand, '--docker-path', podmanWrapper(), ...args], { maxBuffer: 16 << 20, timeout: 120_000 });
  return stdout.trim();
}

/** `git ARGS` in `cwd`, with an identity of its own (the machine may have none). */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** makeWorkspace(`path`), committed as a git repository: the author's workspace that teammates clone. */
export function makeRepository(path: string): string {
  makeWorkspace(path);
  git(path, 'init', '-q');
  git(path, 'add', '.');
  git(path, 'commit', '-q', '-m', 'the shop');
  return path;
}
