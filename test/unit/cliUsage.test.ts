import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.js';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: { CKPT_PODMAN: '/nonexistent/podman' },
    signal: new AbortController().signal,
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('ckpt usage (no podman needed)', () => {
  it('prints help for ckpt and for each command', async () => {
    const r = await cli('--help');
    assert.equal(r.code, 0);
    for (const name of ['ps', 'checkpoint', 'images', 'inspect', 'restore', 'rm', 'host']) {
      assert.match(r.stdout, new RegExp(`\\n  ${name} `));
      const h = await cli(name, '--help');
      assert.equal(h.code, 0);
      assert.match(h.stdout, new RegExp(`^Usage: ckpt ${name}`));
    }
  });

  it('exits 2 with the command help on usage mistakes', async () => {
    for (const argv of [
      ['nope'],
      ['checkpoint'],
      ['checkpoint', 'c'],
      ['checkpoint', 'c', '--image', 'i', '--export', '/x'],
      ['checkpoint', 'c', '--image', 'i', '--compress', 'gzip'],
      ['checkpoint', 'c', '--export', '/x', '--compress', 'lz4'],
      ['restore'],
      ['restore', 'img', '--import', '/x'],
      ['ps', '--bogus'],
      ['inspect', 'a', 'b'],
    ]) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage: ckpt|unknown command/);
    }
  });

  it('takes global options with their values before the command (a value is never the command)', async () => {
    for (const argv of [['--podman-store', '/tmp/s', 'ps'], ['--store', 'restore', 'ps'], ['--stall-timeout=5', 'ps'], ['-v', 'ps'], ['ps', '--podman', '/nonexistent/podman']]) {
      const r = await cli(...argv);
      assert.doesNotMatch(r.stderr, /unknown command|Usage: ckpt/, argv.join(' '));
      assert.match(r.stderr, /podman was not found/, argv.join(' '));
    }
  });

  it('says podman is missing and how to get it', async () => {
    const r = await cli('ps');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /podman was not found\nNext step: install podman/);
  });
});
