/**
 * Compression of archives and layers, told by magic bytes (never by file name, which people get wrong and
 * podman-remote once got wrong), and undone as a stream with bounded memory.
 */
import { EngineError } from '../errors.js';
import { createReadStream } from 'node:fs';
import { addAbortSignal, pipeline, Readable, Transform, type Duplex } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { zstdCompressor, zstdDecompressor } from './zstd.js';

export type Compression = 'zstd' | 'gzip' | 'none';

export interface ReadOptions {
  signal?: AbortSignal;
  /** Called with the bytes read so far from the file or stream (compressed bytes, so a file's size is the total). */
  onProgress?: (bytesRead: number) => void;
  /**
   * Largest uncompressed/compressed ratio accepted once the output passes 256 MiB: a bomb guard that
   * fails early, before the size limits. Zero-filled memory pages compress well, so the default is generous.
   */
  maxRatio?: number;
}

const HEAD = 512;
const RATIO_FLOOR = 256 << 20;
const startsWith = (head: Uint8Array, magic: number[]) => magic.every((b, i) => head[i] === b);

/** The compression of a stream from its first 512 bytes, or undefined when it is no tar, gzip or zstd stream. */
export function detectCompression(head: Uint8Array): Compression | undefined {
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  if (head.length < HEAD) return undefined;
  // POSIX "ustar\0" and GNU "ustar  \0" both start so; an all-zero block is an empty tar (an empty layer).
  if (Buffer.from(head.subarray(257, 262)).toString('latin1') === 'ustar') return 'none';
  return head.subarray(0, HEAD).every((b) => b === 0) ? 'none' : undefined;
}

/** Opens a file path or a stream and returns its uncompressed tar bytes; `what` names it in errors. */
export async function openTar(input: string | Readable, what: string, options: ReadOptions = {}): Promise<{ compression: Compression; tar: Readable }> {
  const source = typeof input === 'string' ? createReadStream(input, { highWaterMark: 256 << 10 }) : input;
  if (options.signal) addAbortSignal(options.signal, source);
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let bytesRead = 0;
  const head: Buffer[] = [];
  while (bytesRead < HEAD) {
    const next = await chunks.next();
    if (next.done) break;
    head.push(next.value);
    bytesRead += next.value.length;
  }
  options.onProgress?.(bytesRead);
  const first = Buffer.concat(head);
  const compression = detectCompression(first);
  if (!compression) {
    source.destroy();
    throw new EngineError('NOT_AN_ARCHIVE', `${what}: ${first.length === 0 ? 'the file is empty' : 'this is not a tar archive, nor a gzip- or zstd-compressed one'}`, {
      hint: 'choose a checkpoint archive made by `podman container checkpoint --export` or by CRI-O/containerd',
    });
  }
  let inflate: Duplex | undefined;
  try {
    if (compression !== 'none') inflate = compression === 'gzip' ? createGunzip() : zstdDecompressor();
  } catch (err) {
    source.destroy(); // no zstd on this Node
    throw err;
  }
  const raw = Readable.from((async function* () {
    try {
      yield first;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
        bytesRead += next.value.length;
        options.onProgress?.(bytesRead);
        yield next.value;
      }
    } finally {
      source.destroy(); // also when the reader stops early
    }
  })(), { objectMode: false });
  if (!inflate) return { compression, tar: raw };
  const maxRatio = options.maxRatio ?? 10_000;
  let bytesOut = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytesOut += chunk.length;
      if (bytesOut > RATIO_FLOOR && bytesOut > maxRatio * bytesRead) {
        return done(new EngineError('ARCHIVE_LIMIT_EXCEEDED', `${what}: the ${compression} data expands more than ${maxRatio} times (a decompression bomb?)`, {
          hint: 'if the archive is trusted, raise maxRatio',
        }));
      }
      done(null, chunk);
    },
  });
  // Errors anywhere destroy every stage, so the tar reader at the end sees them.
  const tar = pipeline(raw, inflate, guard, () => undefined);
  return { compression, tar };
}

/** A compressing stream for writing layers and archives. */
export function compressor(compression: Exclude<Compression, 'none'>, level?: number): Duplex {
  return compression === 'gzip' ? createGzip(level === undefined ? {} : { level }) : zstdCompressor(level);
}
