/**
 * zstd streams: node:zlib's where this Node has it (22.15 and later, so VS Code 1.101+), else zstd-napi
 * (native libzstd, streaming both ways: bench/zstd.ts measured it at 4x the pure-JS fzstd, 2x the wasm zstd-codec),
 * which decompresses on a worker thread (zstdWorker.ts).
 */
import { EngineError } from '../errors.js';
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import type * as ZstdNapi from 'zstd-napi/binding';
import { workerZstdDecompressor } from './zstdWorker.js';

/** node:zlib's zstd API, typed here because @types/node 20 does not know it. */
const nodeZstd = zlib as unknown as {
  createZstdDecompress?: () => Duplex;
  createZstdCompress?: (options: { params: Record<number, number> }) => Duplex;
  constants: Record<string, number>;
};

let napi: typeof ZstdNapi | undefined;
function binding(): typeof ZstdNapi {
  napi ??= createRequire(__filename)(bindingPath()) as typeof ZstdNapi;
  return napi;
}

/** Where zstd-napi's binding is: resolved at run time, not bundled (a native addon cannot be inlined, and the node:zlib path needs none). */
function bindingPath(): string {
  try {
    return createRequire(__filename).resolve('zstd-napi/binding');
  } catch (cause) {
    throw new EngineError('ZSTD_UNAVAILABLE', `this Node ${process.version} has no zstd support`, {
      cause,
      hint: 'use Node 22.15 or later (VS Code 1.101 or later), or install the zstd-napi package beside the engine',
    });
  }
}

type Step = (out: Buffer, src: Uint8Array, end: boolean) => ZstdNapi.StreamResult;

/**
 * libzstd's streaming calls as a Duplex built from an async generator: one input chunk can expand a
 * thousandfold, so output is yielded one libzstd buffer at a time and the generator waits for the reader
 * between them: memory stays bounded, and backpressure is Node's own (no hand-written _read/_transform dance,
 * whose re-entrant reads once left a large archive's stream waiting forever).
 */
function napiDuplex(step: Step, outSize: number): Duplex {
  return Duplex.from(async function* (source: AsyncIterable<Buffer>) {
    const run = function* (src: Uint8Array, end: boolean) {
      for (;;) {
        const out = Buffer.allocUnsafe(outSize);
        const [ret, produced, consumed] = step(out, src, end);
        src = src.subarray(consumed);
        if (produced > 0) yield out.subarray(0, produced);
        if (end ? ret === 0 : src.length === 0 && produced < outSize) return;
      }
    };
    for await (const chunk of source) yield* run(chunk, false);
    yield* run(new Uint8Array(0), true);
  });
}

function napiCompressor(b: typeof ZstdNapi, level: number): Duplex {
  const cctx = new b.CCtx();
  cctx.setParameter(b.CParameter.compressionLevel, level);
  cctx.setParameter(b.CParameter.checksumFlag, 1);
  return napiDuplex((out, src, end) => cctx.compressStream2(out, src, end ? b.EndDirective.end : b.EndDirective.continue), b.cStreamOutSize());
}

export function zstdDecompressor(): Duplex {
  return nodeZstd.createZstdDecompress ? nodeZstd.createZstdDecompress() : workerZstdDecompressor(bindingPath());
}

/** Level 3 is zstd's default and close to podman's writer; frames carry a checksum. */
export function zstdCompressor(level = 3): Duplex {
  if (nodeZstd.createZstdCompress) {
    const c = nodeZstd.constants;
    return nodeZstd.createZstdCompress({ params: { [c.ZSTD_c_compressionLevel!]: level, [c.ZSTD_c_checksumFlag!]: 1 } });
  }
  return napiCompressor(binding(), level);
}
