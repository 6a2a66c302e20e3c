/**
 * Looking inside a large checkpoint (issue 12): `ckpt inspect --all` and `ckpt mem --search` against
 * checkpointctl 1.3.0 (`inspect --all`, `memparse --search`) on the same real checkpoints, in the same run, each
 * step a process of its own under GNU time (wall seconds, peak RSS). The checkpoints are real: a busybox `sort`
 * holding SIZE MiB of random lines in its memory (it waits for an end of input that never comes), checkpointed by
 * podman + CRIU to a plain tar, and that tar compressed with zstd (podman's default for exports). checkpointctl reads
 * the copy support/checkpointctl.ts adapts for its older pagemap reader, compressed the same way. The same checkpoint is then pushed to a registry on loopback and inspected there
 * (the layer streamed, never stored): bytes read and time reported.
 *
 *   bash scripts/bench.sh inspectContents
 *   (or: node scripts/build.mjs && node out/bench/inspectContents.js)
 * Some minutes; needs the test stack (podman, CRIU, checkpointctl, a registry): `npm test` sets it up.
 *
 * BENCH_SIZES  MiB of memory per checkpoint, comma-separated (default 256,1024)
 * BENCH_KEEP=1 keep the temp folder for a closer look
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { CHECKPOINTCTL, forCheckpointctl } from '../test/support/checkpointctl.js';
import { measured, type Measured } from '../test/support/measured.js';
import { startRegistry } from '../test/support/registry.js';
import { ensureStack, podman, removeContainers, STORE_DIR, testPodman, uniqueName } from '../test/support/stack.js';

const SIZES = (process.env.BENCH_SIZES ?? '256,1024').split(',').map(Number);
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const MARK = 'ckpt-bench-needle-';

/** A real checkpoint of a process holding `mib` MiB of memory, with a known string in it, as a plain tar. */
async function bigCheckpoint(dir: string, mib: number): Promise<{ archive: string; pid: number; needle: string }> {
  const name = uniqueName(`bench-mem-${mib}`);
  const needle = `${MARK}${mib}`;
  const archive = join(dir, `memory-${mib}.tar`);
  try {
    // The needle goes in first, so it sits in sort's memory among the random lines.
    await podman('run', '-d', '--name', name, 'localhost/busybox:latest', 'sh', '-c',
      `{ echo ${needle}; head -c $((${mib} * 1048576)) /dev/urandom; sleep 100000; } | sort > /dev/null`);
    const engine = testPodman();
    // Wait until sort holds it all: its resident memory (seen from the host) passes the size.
    for (let i = 0; ; i++) {
      const hostPid = /(\d+)\s+sort\b/.exec(await podman('top', name, 'hpid', 'comm'))?.[1];
      const rss = hostPid ? Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${hostPid}/status`, 'utf8'))?.[1] ?? 0) / 1024 : 0;
      if (rss >= mib) break;
      if (i > 1200) throw new Error(`sort holds only ${rss.toFixed(0)} MiB after two minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await engine.checkpoint(name, { kind: 'archive', path: archive, compression: 'none' });
  } finally {
    await removeContainers(name);
  }
  const pid = Number(/\s(\d+)\s+sort\b/.exec((await measured(process.execPath, [CLI, 'mem', `archive:${archive}`])).stdout)?.[1]);
  return { archive, pid, needle };
}

async function main(): Promise<void> {
  await ensureStack();
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-bench-inspect-'));
  const registry = await startRegistry();
  try {
    const env = { CKPT_PODMAN_STORE: STORE_DIR, CKPT_STORE: join(dir, 'store') };
    const ckpt = (...args: string[]) => measured(process.execPath, [CLI, ...args], env);
    console.log(`${'checkpoint'.padEnd(14)} ${'step'.padEnd(46)} ${'seconds'.padStart(8)} ${'ratio'.padStart(6)} ${'peak RSS MiB'.padStart(13)}  result`);
    for (const mib of SIZES) {
      const { archive: plain, pid, needle } = await bigCheckpoint(dir, mib);
      const plainTheirs = await forCheckpointctl(plain);
      // podman's default export compression; checkpointctl reads it too.
      const zst = (file: string) => (execFileSync('zstd', ['-q', '-f', '-T0', file, '-o', `${file}.zst`]), `${file}.zst`);
      for (const [archive, theirs] of [[plain, plainTheirs], [zst(plain), zst(plainTheirs)]] as const) {
        const size = `${(statSync(archive).size / 2 ** 20).toFixed(0)} MiB${archive.endsWith('.zst') ? ' zst' : ''}`;
        const pairs: Array<[string, () => Promise<Measured>, () => Promise<Measured>, (m: Measured) => string]> = [
          ['inspect --all', () => measured(CHECKPOINTCTL, ['inspect', '--all', '--format', 'json', theirs]), () => ckpt('inspect', `archive:${archive}`, '--all', '--json'),
            (m) => `${m.stdout.length} bytes out`],
          [`memparse / mem --pid ${pid} --search`, () => measured(CHECKPOINTCTL, ['memparse', '--pid', String(pid), '--search', needle, theirs]),
            () => ckpt('mem', `archive:${archive}`, '--pid', String(pid), '--search', needle),
            (m) => (m.stdout.includes(needle) ? 'found' : `NOT FOUND (exit ${m.code})`)],
        ];
        for (const [what, baseline, ours, result] of pairs) {
          const b = await baseline();
          const o = await ours();
          const row = (who: string, m: Measured, ratio: string) =>
            console.log(`${size.padEnd(14)} ${`${who} ${what}`.padEnd(46)} ${m.seconds.toFixed(2).padStart(8)} ${ratio.padStart(6)} ${m.rssMiB.toFixed(0).padStart(13)}  ${m.code ? `exit ${m.code}: ${m.stderr.trim().slice(0, 100)}` : result(m)}`);
          row('checkpointctl', b, '1.00');
          row('ckpt', o, (o.seconds / b.seconds).toFixed(2));
        }
      }
      const archive = plain;
      // From a registry: the layer streamed once, nothing stored.
      const tag = `docker://${registry.host}/bench/memory:${mib}`;
      await ckpt('copy', `archive:${archive}`, tag);
      const remote = await ckpt('inspect', tag, '--all', '--json');
      const read = remote.code ? `exit ${remote.code}: ${remote.stderr.trim().slice(0, 100)}` : `${((JSON.parse(remote.stdout) as { read: { bytes: number } }).read.bytes / 2 ** 20).toFixed(1)} MiB read from the registry`;
      console.log(`${`${mib} MiB`.padEnd(14)} ${'ckpt inspect --all docker://…'.padEnd(46)} ${remote.seconds.toFixed(2).padStart(8)} ${''.padStart(6)} ${remote.rssMiB.toFixed(0).padStart(13)}  ${read}`);
      for (const f of new Set([plain, plainTheirs, `${plain}.zst`, `${plainTheirs}.zst`])) rmSync(f, { force: true });
    }
  } finally {
    await registry.stop();
    if (process.env.BENCH_KEEP === '1') console.log(`\nkept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
