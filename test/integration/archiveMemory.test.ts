/**
 * Issue 11 item 4: an archive within the old default limits (500,000 entries of 3.8 KB PAX names, 23 MB of gzip)
 * took a reader to 2.4 GB of memory and a minute before it failed. Reading it, extracting it and building an
 * image from it (`ckpt image create`, as a user runs it) now each fail with ARCHIVE_LIMIT_EXCEEDED naming the
 * limit, in seconds and in bounded memory, measured by GNU time on a process of its own. The archive is made
 * here, never committed. Needs no podman: the CLI is pointed at a podman that does not exist.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extractArchive, isEngineError, readCheckpointArchive } from '../../src/engine/index.js';
import { projectRoot } from '../support/paths.js';
import { writeLongNamesArchive } from '../support/hostileArchive.js';
import { measured, type Measured } from '../support/measured.js';
import { scratchDir } from '../support/stack.js';

const STEP = 'CKPT_ARCHIVE_MEMORY_STEP';
const MAX_SECONDS = 10;
const MAX_RSS_MIB = 300;

/** This file, run again as a child: one engine call, its EngineError printed as JSON. */
async function childStep(step: string, [file, target]: string[]): Promise<void> {
  try {
    if (step === 'read') await readCheckpointArchive(file!);
    else await extractArchive(file!, target!);
    console.log(JSON.stringify({ ok: true }));
  } catch (err) {
    if (!isEngineError(err)) throw err;
    console.log(JSON.stringify({ code: err.code, message: err.message, hint: err.hint }));
  }
}

function assertRefusedByNameLimit(text: string): void {
  assert.match(text, /entry names and link targets take more than 8388608 bytes together/, text);
  assert.match(text, /raise maxNameBytes/, text);
}

function assertBounded(run: Measured, what: string): void {
  assert.ok(run.seconds < MAX_SECONDS, `${what} took ${run.seconds.toFixed(1)} s`);
  assert.ok(run.rssMiB < MAX_RSS_MIB, `${what} peaked at ${run.rssMiB.toFixed(0)} MiB`);
  console.log(`${what}: refused in ${run.seconds.toFixed(2)} s, peak RSS ${run.rssMiB.toFixed(0)} MiB`);
}

if (process.env[STEP]) {
  childStep(process.env[STEP], process.argv.slice(2)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  describe('an archive of 500,000 long names (issue 11 item 4)', { concurrency: false, timeout: 300_000 }, () => {
    let dir: string;
    let archive: string;
    const self = __filename;

    before(async () => {
      assert.ok(existsSync('/usr/bin/time'), 'GNU time measures the peak RSS: apt-get install time');
      dir = scratchDir();
      archive = join(dir, 'long-names.tar.gz');
      const bytes = await writeLongNamesArchive(archive);
      console.log(`made ${archive}: ${(bytes / 2 ** 20).toFixed(1)} MiB`);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('readCheckpointArchive refuses it fast, in bounded memory', async () => {
      const run = await measured(process.execPath, [self, archive], { [STEP]: 'read' });
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout) as { code: string; message: string; hint: string };
      assert.equal(result.code, 'ARCHIVE_LIMIT_EXCEEDED', result.message);
      assertRefusedByNameLimit(`${result.message}\n${result.hint}`);
      assertBounded(run, 'readCheckpointArchive');
    });

    it('extractArchive refuses it fast, in bounded memory, and leaves the target empty', async () => {
      const target = join(dir, 'extracted');
      const run = await measured(process.execPath, [self, archive, target], { [STEP]: 'extract' });
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout) as { code: string; message: string; hint: string };
      assert.equal(result.code, 'ARCHIVE_LIMIT_EXCEEDED', result.message);
      assertRefusedByNameLimit(`${result.message}\n${result.hint}`);
      assert.ok(!existsSync(target), 'the target this call made is removed');
      assertBounded(run, 'extractArchive');
    });

    it('ckpt image create refuses it fast, in bounded memory, and leaves nothing behind', async () => {
      const store = join(dir, 'store');
      const tmp = join(dir, 'tmp');
      mkdirSync(tmp);
      const run = await measured(process.execPath, [join(projectRoot(), 'dist', 'cli.js'), 'image', 'create', archive, 'store:long-names'], {
        CKPT_STORE: store,
        CKPT_PODMAN: join(dir, 'no-podman'),
        TMPDIR: tmp,
      });
      assert.notEqual(run.code, 0, 'the build fails');
      assertRefusedByNameLimit(run.stderr);
      assertBounded(run, 'ckpt image create');
      assert.deepEqual(readdirSync(tmp), [], 'no temporary folder is left');
      const index = JSON.parse(readFileSync(join(store, 'index.json'), 'utf8')) as { manifests: unknown[] };
      assert.deepEqual(index.manifests, [], 'no image is tagged');
      const blobs = join(store, 'blobs', 'sha256');
      const left = existsSync(blobs) ? readdirSync(blobs).filter((n) => statSync(join(blobs, n)).isFile()) : [];
      assert.deepEqual(left, [], 'no blob of the failed build is left');
    });
  });
}
