/**
 * zstd candidates for the engine, measured in one run against the `zstd` CLI: streaming decompression (and
 * compression where a candidate has it) of a realistic 256 MiB tar, each in its own process timed by GNU time
 * (elapsed seconds, peak RSS). Candidates are loaded from ZSTD_BENCH_MODULES (default: this project), so they
 * can be tried without becoming dependencies:
 *   npm install --prefix /tmp/zbench fzstd zstd-napi zstd-codec
 *   node out/bench/zstd.js [/tmp/zbench]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Transform, Writable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { zstdCompressor, zstdDecompressor } from '../src/engine/archive/zstd.js';

type Mode = 'decompress' | 'compress';
type Load = (req: NodeRequire) => Partial<Record<Mode, () => Duplex>> | Promise<Partial<Record<Mode, () => Duplex>>>;

const LEVEL = 3; // podman's zstd writer (klauspost SpeedDefault) is roughly level 3
const candidates: Record<string, Load> = {
  // What the engine itself uses on this Node: node:zlib's zstd, or its own backpressured zstd-napi wrapper.
  engine: () => ({ decompress: zstdDecompressor, compress: () => zstdCompressor(LEVEL) }),
  'node:zlib': () => {
    const z = zlib as unknown as Record<string, (() => Duplex) | undefined>;
    return { decompress: z.createZstdDecompress, compress: z.createZstdCompress };
  },
  'zstd-napi': (req) => {
    const m = req('zstd-napi');
    return { decompress: () => new m.DecompressStream(), compress: () => new m.CompressStream({ compressionLevel: LEVEL }) };
  },
  fzstd: (req) => {
    const m = req('fzstd');
    return {
      decompress: () => {
        const t = new Transform({
          transform(chunk, _e, done) {
            try { d.push(chunk); done(); } catch (e) { done(e as Error); }
          },
          flush(done) {
            try { d.push(new Uint8Array(0), true); done(); } catch (e) { done(e as Error); }
          },
        });
        // fzstd hands out a fresh array per block, so wrapping it without a copy is safe.
        const d = new m.Decompress((b: Uint8Array) => b.length && t.push(Buffer.from(b.buffer, b.byteOffset, b.length)));
        return t;
      },
    };
  },
  'zstd-codec': async (req) => {
    type Streams = { ZstdDecompressTransform: new () => Transform; ZstdCompressTransform: new (l: number) => Transform };
    // Its wasm module initialises asynchronously and calls back when ready.
    const s = await new Promise<Streams>((resolve) => req('zstd-codec/lib/zstd-stream.js').run(resolve));
    return { decompress: () => new s.ZstdDecompressTransform(), compress: () => new s.ZstdCompressTransform(LEVEL) };
  },
};

/** Child: stream the file through one candidate; count what comes out, and hash it when verifying (untimed). */
async function child(name: string, mode: Mode, input: string, modules: string, verify: boolean): Promise<void> {
  const make = name === 'passthrough'
    ? () => new Transform({ transform: (c, _e, d) => d(null, c) })
    : (await candidates[name]!(createRequire(join(modules, 'x.js'))))[mode];
  if (!make) throw new Error(`${name} cannot ${mode}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const sink = new Writable({ write(c: Buffer, _e, d) { bytes += c.length; if (verify) hash.update(c); d(); } });
  await pipeline(createReadStream(input, { highWaterMark: 1 << 20 }), make(), sink);
  console.log(JSON.stringify({ bytes, sha: hash.digest('hex').slice(0, 16) }));
}

/** Runs a command under GNU time; returns elapsed seconds, peak RSS in MiB and stdout. */
function timed(cmd: string, args: string[]): { secs: number; rssMiB: number; out: string } | { error: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '@@ %e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const m = /@@ ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) return { error: r.stderr.split('\n').filter((l) => !l.startsWith('@@')).slice(-3).join(' ').slice(0, 200) };
  return { secs: Number(m[1]), rssMiB: Number(m[2]) / 1024, out: r.stdout.trim() };
}

function prepare(dir: string): { tar: string; zst: string; size: number } {
  mkdirSync(dir, { recursive: true });
  const tar = join(dir, 'input.tar');
  const zst = join(dir, 'input.tar.zst');
  // /usr/lib is a fair stand-in for a checkpoint: binaries, text and zero-filled runs (like memory pages).
  if (!existsSync(tar)) execFileSync('sh', ['-c', `tar -cf - -C / usr/lib 2>/dev/null | head -c ${256 << 20} > ${tar}`]);
  // From stdin, like podman's streaming writer: no content size in the frame header.
  if (!existsSync(zst)) execFileSync('sh', ['-c', `zstd -q -${LEVEL} -c < ${tar} > ${zst}`]);
  return { tar, zst, size: statSync(tar).size };
}

function main(): void {
  const modules = process.argv[2] ?? process.env.ZSTD_BENCH_MODULES ?? process.cwd();
  const { tar, zst, size } = prepare(join(process.env.TMPDIR ?? '/tmp', 'ckpt-zstd-bench'));
  const mib = size / (1 << 20);
  console.log(`input: ${mib.toFixed(0)} MiB tar, ${(statSync(zst).size / (1 << 20)).toFixed(0)} MiB at zstd -${LEVEL}; node ${process.version}; modules from ${modules}`);
  console.log('candidate      mode        MiB/s   peak RSS MiB  check');
  const row = (name: string, mode: string, r: ReturnType<typeof timed>, check = '') =>
    console.log('error' in r
      ? `${name.padEnd(14)} ${mode.padEnd(11)} ${r.error}`
      : `${name.padEnd(14)} ${mode.padEnd(11)} ${(mib / r.secs).toFixed(0).padStart(5)}   ${r.rssMiB.toFixed(0).padStart(12)}  ${check}`);
  const digest = (name: string, input: string) =>
    JSON.parse(execFileSync(process.execPath, [__filename, '--child', name, 'decompress', input, modules, 'verify'], { encoding: 'utf8' })).sha;
  const reference = digest('passthrough', tar);
  row('zstd CLI', 'decompress', timed('zstd', ['-q', '-d', '-c', zst, '-o', '/dev/null']));
  row('zstd CLI', 'compress', timed('zstd', ['-q', `-${LEVEL}`, '-c', tar, '-o', '/dev/null']));
  for (const name of ['passthrough', ...Object.keys(candidates)]) {
    for (const mode of ['decompress', 'compress'] as const) {
      if (name === 'passthrough' && mode === 'compress') continue;
      const r = timed(process.execPath, [__filename, '--child', name, mode, mode === 'decompress' && name !== 'passthrough' ? zst : tar, modules]);
      if ('error' in r) { if (!/cannot|Cannot find module|not a function/.test(r.error)) row(name, mode, r); continue; }
      const out = JSON.parse(r.out) as { bytes: number; sha: string };
      const same = () => (name === 'passthrough' || digest(name, zst) === reference ? 'output matches' : 'OUTPUT DIFFERS');
      row(name, mode, r, mode === 'decompress' ? same() : `ratio ${(size / out.bytes).toFixed(2)}`);
    }
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3]!, process.argv[4] as Mode, process.argv[5]!, process.argv[6]!, process.argv[7] === 'verify').catch((e) => { console.error(String(e)); process.exit(1); });
} else main();
