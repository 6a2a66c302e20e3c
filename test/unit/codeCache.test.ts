import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { requireWithCodeCache } from '../../src/cli/codeCache.js';

// Each load is a process of its own (this file again, as a child): the cache is written when a process exits.
if (process.env.CODE_CACHE_CHILD) {
  const [path, dir] = JSON.parse(process.env.CODE_CACHE_CHILD) as [string, string];
  const loaded = requireWithCodeCache(path, dir);
  const exports = loaded.exports as { answer(): number; sibling: string };
  process.stdout.write(JSON.stringify({ cache: loaded.cache, answer: exports.answer(), sibling: exports.sibling }));
} else {
  describe('the V8 code cache of the CLI engine', () => {
    const root = mkdtempSync(join(tmpdir(), 'ckpt-code-cache-'));
    after(() => rmSync(root, { recursive: true, force: true }));
    const bundle = join(root, 'engine.js');
    const cacheDir = join(root, 'cache', 'checkpoint-studio');
    // A module that requires a sibling relative to itself, as dist/engine.js requires zstd-napi's binding.
    writeFileSync(join(root, 'sibling.js'), 'module.exports = "beside";');
    const write = (n: number) => writeFileSync(bundle, `exports.answer = () => ${n}; exports.sibling = require('./sibling.js');`);
    const load = (dir = cacheDir) => {
      const r = spawnSync(process.execPath, [__filename], { env: { ...process.env, CODE_CACHE_CHILD: JSON.stringify([bundle, dir]) }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { cache: string; answer: number; sibling: string };
    };
    const caches = () => readdirSync(cacheDir).filter((n) => n.endsWith('.v8'));

    it('is made by the first run and used by the next; a changed bundle gets a new one and the old one goes', () => {
      write(1);
      assert.deepEqual(load(), { cache: 'made', answer: 1, sibling: 'beside' });
      assert.equal(caches().length, 1);
      assert.deepEqual(load(), { cache: 'used', answer: 1, sibling: 'beside' });
      // The same length, other code: V8 alone would take the old cache (it checks the source's length only).
      write(2);
      assert.deepEqual(load(), { cache: 'made', answer: 2, sibling: 'beside' });
      assert.deepEqual(load(), { cache: 'used', answer: 2, sibling: 'beside' });
      assert.equal(caches().length, 1, `the last build's cache is left: ${caches().join(', ')}`);
    });

    it('is never used from a folder others can write to, and a damaged one is made again', () => {
      write(3);
      load();
      chmodSync(cacheDir, 0o777);
      assert.equal(load().cache, 'made');
      chmodSync(cacheDir, 0o700);
      assert.equal(load().cache, 'used');
      for (const name of caches()) writeFileSync(join(cacheDir, name), Buffer.alloc(4096, 7), { mode: 0o600 });
      assert.deepEqual(load(), { cache: 'made', answer: 3, sibling: 'beside' });
      assert.equal(load().cache, 'used');
    });

    it('loads without one where no cache can be kept', () => {
      const blocked = join(root, 'not-a-folder');
      writeFileSync(blocked, '');
      write(4);
      assert.deepEqual(load(join(blocked, 'checkpoint-studio')), { cache: 'made', answer: 4, sibling: 'beside' });
      mkdirSync(join(root, 'other'));
      assert.equal(load(join(root, 'other')).cache, 'made');
      assert.equal(load(join(root, 'other')).cache, 'used');
    });
  });
}
