/**
 * `ckpt` as users get it: `npm pack` of this checkout, `npm install -g` of that tarball into a prefix of its own
 * (dependencies from the npm registry, zstd-napi built by its install script), and the installed command run
 * from there: its version, this host, and a real checkpoint it writes as a zstd archive and then looks inside.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../support/paths.js';
import { hostCriuPattern, startCounter, STORE_DIR, testResources, uniqueName, waitForCounter } from '../support/stack.js';

const TIMEOUT = { timeout: 600_000 };

describe('the npm package', () => {
  const res = testResources();

  it('installs with npm install -g, puts ckpt on the PATH, and the installed ckpt checkpoints and looks inside', TIMEOUT, async () => {
    const { name, version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { name: string; version: string };
    // The build ran already (npm test builds first); prepack would rebuild out/, which the running tests use.
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', res.dir], { cwd: projectRoot(), stdio: 'ignore' });
    const tarball = join(res.dir, `${name}-${version}.tgz`);
    const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    assert.deepEqual(listed, ['package/CHANGELOG.md', 'package/LICENSE', 'package/README.md', 'package/dist/cli.js', 'package/dist/engine.js', 'package/package.json'], 'the tarball holds the CLI and engine bundles and their documents, nothing else');

    const prefix = join(res.dir, 'prefix');
    // npm 11 runs no install scripts of a global install unless allowed: zstd-napi's builds its native addon.
    execFileSync('npm', ['install', '-g', '--allow-scripts=zstd-napi', '--no-audit', '--no-fund', '--prefix', prefix, tarball], { stdio: 'ignore', timeout: 540_000 });
    const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, CKPT_PODMAN_STORE: STORE_DIR, CKPT_STORE: join(res.dir, 'store') };
    const ckpt = (...args: string[]) => {
      const r = spawnSync('ckpt', args, { env, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `ckpt ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    assert.equal(execFileSync('bash', ['-c', 'command -v ckpt'], { env, encoding: 'utf8' }).trim(), join(prefix, 'bin', 'ckpt'));
    assert.equal(ckpt('--version').trim(), `ckpt ${version} (Checkpoint Studio)`);
    assert.match(ckpt('host'), new RegExp(`^CRIU +${hostCriuPattern()} `, 'm'));

    const container = uniqueName('npm-installed');
    res.containers.push(container);
    await startCounter(container);
    await waitForCounter(container, 5);
    const archive = join(res.dir, 'counter.tar.zst');
    ckpt('checkpoint', container, '--export', archive);
    assert.ok(existsSync(archive));
    // zstd on this Node (before 22.15) goes through the zstd-napi addon the install built.
    assert.match(ckpt('inspect', `archive:${archive}`, '--cmdline'), /Command line: sh -c /);
  });
});
