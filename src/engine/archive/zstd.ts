/**
 * zstd streams: node:zlib's where this Node has it (22.15 and later, so VS Code 1.101+), else zstd-napi
 * (native libzstd, streaming both ways: bench/zstd.ts measured it at 4x the pure-JS fzstd, 2x the wasm zstd-codec).
 */
import { EngineError } from '../errors.js';
import { createRequire } from 'node:module';
import { Transform, type Duplex, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import type * as ZstdNapi from 'zstd-napi/binding';

/** node:zlib's zstd API, typed here because @types/node 20 does not know it. */
const nodeZstd = zlib as unknown as {
  createZstdDecompress?: () => Duplex;
  createZstdCompress?: (options: { params: Record<number, number> }) => Duplex;
  constants: Record<string, number>;
};

let napi: typeof ZstdNapi | undefined;
function binding(): typeof ZstdNapi {
  // Required at run time, not bundled: a native addon cannot be inlined, and the node:zlib path needs none.
  try {
    napi ??= createRequire(__filename)('zstd-napi/binding') as typeof ZstdNapi;
    return napi;
  } catch (cause) {
    throw new EngineError('ZSTD_UNAVAILABLE', `this Node ${process.version} has no zstd support`, {
      cause,
      hint: 'use Node 22.15 or later (VS Code 1.101 or later), or install the zstd-napi package beside the engine',
    });
  }
}

/**
 * libzstd's streaming calls wrapped as a Transform. One input chunk can expand a thousandfold, so output is
 * pushed one libzstd buffer at a time and the rest waits for the reader (as node:zlib does): memory stays bounded.
 */
class NapiTransform extends Transform {
  private pending: (() => void) | undefined;
  private open = false;

  constructor(
    private readonly step: (out: Buffer, src: Uint8Array, end: boolean) => ZstdNapi.StreamResult,
    private readonly outSize: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pump(chunk, false, done);
  }

  override _flush(done: TransformCallback): void {
    this.pump(new Uint8Array(0), true, done);
  }

  override _read(size: number): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) pending();
    else super._read(size);
  }

  /** Whether the data ended inside a frame: set by the decompressor's step. */
  get inFrame(): boolean {
    return this.open;
  }

  private pump(src: Uint8Array, end: boolean, done: TransformCallback): void {
    try {
      for (;;) {
        const out = Buffer.allocUnsafe(this.outSize);
        const [ret, produced, consumed] = this.step(out, src, end);
        src = src.subarray(consumed);
        if (consumed > 0 || produced > 0) this.open = ret !== 0; // an idle call after a frame hints at the next one
        // Push even when nothing came out: an empty push answers a pending read, or the stream would wait forever.
        const wanted = this.push(out.subarray(0, produced));
        const drained = src.length === 0 && produced < this.outSize;
        if (end ? ret === 0 : drained) return done();
        if (!wanted) {
          this.pending = () => this.pump(src, end, done);
          return;
        }
      }
    } catch (err) {
      done(err as Error);
    }
  }
}

function napiDecompressor(b: typeof ZstdNapi): Transform {
  const dctx = new b.DCtx();
  const t: NapiTransform = new NapiTransform((out, src, end) => {
    if (end && t.inFrame) throw new Error('the zstd stream ends inside a frame (truncated)');
    return end ? [0, 0, 0] : dctx.decompressStream(out, src);
  }, b.dStreamOutSize());
  return t;
}

function napiCompressor(b: typeof ZstdNapi, level: number): Transform {
  const cctx = new b.CCtx();
  cctx.setParameter(b.CParameter.compressionLevel, level);
  cctx.setParameter(b.CParameter.checksumFlag, 1);
  return new NapiTransform((out, src, end) => cctx.compressStream2(out, src, end ? b.EndDirective.end : b.EndDirective.continue), b.cStreamOutSize());
}

export function zstdDecompressor(): Duplex {
  return nodeZstd.createZstdDecompress ? nodeZstd.createZstdDecompress() : napiDecompressor(binding());
}

/** Level 3 is zstd's default and close to podman's writer; frames carry a checksum. */
export function zstdCompressor(level = 3): Duplex {
  if (nodeZstd.createZstdCompress) {
    const c = nodeZstd.constants;
    return nodeZstd.createZstdCompress({ params: { [c.ZSTD_c_compressionLevel!]: level, [c.ZSTD_c_checksumFlag!]: 1 } });
  }
  return napiCompressor(binding(), level);
}
