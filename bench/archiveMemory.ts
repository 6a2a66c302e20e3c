/**
 * A hostile archive within the default limits (issue 11 item 4): 500,000 empty files with 3.8 KB names given
 * in PAX headers, 23 MB of gzip and 2.6 GB of tar, made here and removed at the end. The engine must refuse it
 * (ARCHIVE_LIMIT_EXCEEDED) fast and in bounded memory; GNU tar listing the whole archive is the baseline, in
 * the same run, and the reader with the limits raised to what they were shows what reading it all costs. Each step runs in a process of its own under GNU time (wall seconds, peak RSS).
 *
 *   bash scripts/bench.sh archiveMemory
 *   (or: node scripts/build.mjs && node out/bench/archiveMemory.js)
 * About a minute; needs GNU time and GNU tar, no podman.
 *
 * BENCH_ENTRIES  entries in the archive (default 500000)
 * BENCH_KEEP=1   keep the temp folder (the archive) for a closer look
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractArchive, isEngineError, readCheckpointArchive } from '../src/engine/index.js';
import { writeLongNamesArchive } from '../test/support/hostileArchive.js';
import { measured, type Measured } from '../test/support/measured.js';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 500_000);
const STEP = 'CKPT_BENCH_STEP';

/** The child's side: one engine call; what it threw, by code. */
async function child(step: string, [file, target]: string[]): Promise<void> {
  try {
    if (step === 'read') await readCheckpointArchive(file!);
    // The limits as they were before issue 11 (500,000 entries, nothing else): what the reader itself costs.
    else if (step === 'read-raised') await readCheckpointArchive(file!, { maxEntries: 500_000, maxNameBytes: Infinity, maxDepth: Infinity });
    else await extractArchive(file!, target!);
    console.log('accepted');
  } catch (err) {
    console.log(isEngineError(err) ? `${err.code}: ${err.message.replace(/"[^"]*"/g, '"…"').slice(0, 140)}` : String(err));
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-bench-archive-'));
  try {
    const archive = join(dir, 'long-names.tar.gz');
    const started = Date.now();
    const bytes = await writeLongNamesArchive(archive, { entries: ENTRIES });
    console.log(`input: ${ENTRIES} entries with 3.8 KB PAX names, ${(bytes / 2 ** 20).toFixed(1)} MiB of gzip (made in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    const steps: Array<[string, () => Promise<Measured>, (m: Measured) => string]> = [
      ['GNU tar -tzf (lists every entry; baseline)', () => measured('bash', ['-c', 'tar -tzf "$1" | wc -l', 'tar', archive]), (m) => `${m.stdout.trim()} entries listed`],
      ['engine readCheckpointArchive', () => measured(process.execPath, [__filename, archive], { [STEP]: 'read' }), (m) => m.stdout.trim()],
      ['engine readCheckpointArchive, old limits', () => measured(process.execPath, [__filename, archive], { [STEP]: 'read-raised' }), (m) => m.stdout.trim()],
      ['engine extractArchive', () => measured(process.execPath, [__filename, archive, join(dir, 'extracted')], { [STEP]: 'extract' }), (m) => m.stdout.trim()],
      [
        'ckpt image create',
        () => measured(process.execPath, [join(__dirname, '..', '..', 'dist', 'cli.js'), 'image', 'create', archive, 'store:bench'], {
          CKPT_STORE: join(dir, 'store'),
          CKPT_PODMAN: join(dir, 'no-podman'),
        }),
        (m) => m.stderr.split('\n').find((l) => l.startsWith('ckpt image:'))?.slice(0, 120) ?? `exit ${m.code}`,
      ],
    ];
    console.log(`${'step'.padEnd(44)} ${'seconds'.padStart(8)} ${'peak RSS MiB'.padStart(13)}  result`);
    for (const [name, run, result] of steps) {
      const m = await run();
      console.log(`${name.padEnd(44)} ${m.seconds.toFixed(2).padStart(8)} ${m.rssMiB.toFixed(0).padStart(13)}  ${result(m)}`);
    }
  } finally {
    if (process.env.BENCH_KEEP === '1') console.log(`\nkept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const step = process.env[STEP];
(step ? child(step, process.argv.slice(2)) : main()).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
