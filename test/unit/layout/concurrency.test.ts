/**
 * Several processes on one store: concurrent writers, a writer killed mid-write, and the lock's stale-holder
 * handling. The children are this same file, run with CKPT_LAYOUT_CHILD set.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openLayout } from '../../../src/engine/layout/index.js';
import { withLock } from '../../../src/engine/layout/lock.js';
import { code, deadPid, scratchStore, writeImage } from './support.js';

interface ChildTask {
  store: string;
  mode: 'write' | 'crash';
  prefix: string;
  count: number;
}

async function child(task: ChildTask): Promise<void> {
  const store = await openLayout(task.store);
  if (task.mode === 'write') {
    for (let i = 0; i < task.count; i++) await store.tag(`${task.prefix}-${i}`, await writeImage(store, ['shared layer', `${task.prefix} ${i}`]));
    return;
  }
  // Crash mode: an untagged image, a layer half written, and the store lock held, when the parent kills us.
  await writeImage(store, ['written, never tagged']);
  void withLock(join(task.store, '.ckpt-lock'), {}, () => new Promise(() => process.stdout.write('locked\n')));
  async function* endless() {
    for (;;) yield Buffer.alloc(64 * 1024, 1);
  }
  let told = false;
  await store.writeBlob(endless(), {
    onProgress: (n) => {
      // Progress counts bytes hashed; up to the file stream's buffer (8 MiB) of them may not have reached the file yet.
      if (n > 16 << 20 && !told) process.stdout.write('writing\n');
      told ||= n > 16 << 20;
    },
  });
}

function run(task: ChildTask): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, CKPT_LAYOUT_CHILD: JSON.stringify(task) };
  delete env.NODE_TEST_CONTEXT;
  return spawn(process.execPath, [__filename], { env, stdio: ['ignore', 'pipe', 'inherit'] });
}

function exited(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => proc.on('exit', (status) => resolve(status)));
}

/** Resolves once the child has printed every one of `lines`. */
function printed(proc: ChildProcess, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (lines.every((l) => out.includes(`${l}\n`))) resolve();
    });
    proc.on('exit', () => reject(new Error(`child exited having printed only ${JSON.stringify(out)}`)));
  });
}

if (process.env.CKPT_LAYOUT_CHILD) {
  child(JSON.parse(process.env.CKPT_LAYOUT_CHILD) as ChildTask).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  describe('layout store: several processes', { timeout: 60_000 }, () => {
    it('two writers at once both land all their tags in index.json', async () => {
      const store = await scratchStore();
      const a = run({ store: store.path, mode: 'write', prefix: 'a', count: 15 });
      const b = run({ store: store.path, mode: 'write', prefix: 'b', count: 15 });
      assert.deepEqual(await Promise.all([exited(a), exited(b)]), [0, 0]);
      const names = (await store.tags()).map((t) => t.name).sort();
      const expected = ['a', 'b'].flatMap((p) => Array.from({ length: 15 }, (_, i) => `${p}-${i}`)).sort();
      assert.deepEqual(names, expected);
      assert.deepEqual((await store.verify()).problems, []);
      assert.deepEqual((await store.gc()).removed, [], 'every blob written is tagged');
    });

    it('a writer killed mid-write leaves no visible half image, and gc clears what it left', async () => {
      const store = await scratchStore();
      await store.tag('before', await writeImage(store, ['before the crash']));
      const indexBefore = readFileSync(join(store.path, 'index.json'));
      const proc = run({ store: store.path, mode: 'crash', prefix: 'c', count: 0 });
      await printed(proc, ['locked', 'writing']);
      proc.kill('SIGKILL');
      await exited(proc);

      assert.deepEqual(readFileSync(join(store.path, 'index.json')), indexBefore);
      assert.deepEqual((await store.verify()).problems, [], 'every file named by a digest is whole');
      assert.ok(readdirSync(join(store.path, 'blobs', 'sha256')).some((n) => n.endsWith('.tmp')), 'the half layer is a temp file');

      const started = Date.now();
      await store.tag('after', await writeImage(store, ['after the crash']));
      assert.ok(Date.now() - started < 5_000, 'the dead writer\'s lock is broken at once');

      const report = await store.gc();
      assert.equal(report.tempFiles, 1);
      assert.equal(report.removed.length, 3, 'the untagged image the dead writer had leased');
      assert.ok(report.bytesFreed > 1 << 20);
      assert.deepEqual((await store.tags()).map((t) => t.name), ['before', 'after']);
      assert.deepEqual((await store.verify()).problems, []);
    });

    it('waits for a live holder, then gives up with STORE_BUSY, or stops on abort', async () => {
      const store = await scratchStore();
      const image = await writeImage(store, ['x']);
      // Held by this very process (alive), with another token: not ours to take.
      writeFileSync(join(store.path, '.ckpt-lock'), `${process.pid} 0123456789abcdef\n`);
      const impatient = await openLayout(store.path, { lockTimeoutMs: 200 });
      await assert.rejects(impatient.tag('x', image), (err) => code(err) === 'STORE_BUSY' && /held by process \d+/.test((err as Error).message));
      await assert.rejects(store.tag('x', image, { signal: AbortSignal.timeout(100) }), (err) => code(err) === 'CANCELLED');
      writeFileSync(join(store.path, '.ckpt-lock'), `${deadPid()} 0123456789abcdef\n`);
      await store.tag('x', image);
      assert.equal((await store.resolve('x')).digest, image.digest);
    });
  });
}
