/**
 * zstd decompression on a worker thread, for Nodes whose zlib has no zstd (before 22.15, so VS Code before
 * 1.101): zstd-napi's calls are synchronous, and on the main thread they held up everything else there (the
 * extension host, the tar parser feeding the gzip pool) for about a second per 512 MiB of tar. Memory stays
 * bounded both ways: at most two input chunks are on their way, and the worker waits on a shared counter while
 * MAX_OUTSTANDING decompressed buffers are not taken yet.
 */
import { Duplex } from 'node:stream';
import { Worker } from 'node:worker_threads';

const OUT_SIZE = 128 << 10;
const MAX_OUTSTANDING = 8;
const INPUT_IN_FLIGHT = 2;
/** Shared Int32Array slots: buffers posted and not taken yet; set to 1 when the reader is gone. */
const OUTSTANDING = 0;
const CLOSED = 1;

type ToWorker = { chunk: ArrayBuffer } | { end: true };
type FromWorker = { out: ArrayBuffer; length: number } | { consumed: true } | { ended: true } | { error: string };

interface WorkerData {
  binding: string;
  shared: SharedArrayBuffer;
  outSize: number;
  max: number;
}

/**
 * The worker's body. It runs from its own source text (`eval`), so it uses nothing from this module; a bundled
 * engine then needs no second file beside it.
 */
function workerMain(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const data = workerData as WorkerData;
  const port = parentPort!;
  const zstd = require(data.binding) as typeof import('zstd-napi/binding');
  const counters = new Int32Array(data.shared);
  const dctx = new zstd.DCtx();
  let inFrame = false;
  const send = (out: Buffer, length: number) => {
    for (let n = Atomics.load(counters, 0); n >= data.max; n = Atomics.load(counters, 0)) {
      if (Atomics.load(counters, 1) === 1) throw new Error('closed');
      Atomics.wait(counters, 0, n);
    }
    Atomics.add(counters, 0, 1);
    port.postMessage({ out: out.buffer, length }, [out.buffer as ArrayBuffer]);
  };
  port.on('message', (msg: ToWorker) => {
    try {
      if ('end' in msg) {
        if (inFrame) throw new Error('the zstd stream ends inside a frame (truncated)');
        port.postMessage({ ended: true });
        return;
      }
      let src = new Uint8Array(msg.chunk);
      for (;;) {
        const out = Buffer.allocUnsafeSlow(data.outSize);
        const [ret, produced, consumed] = dctx.decompressStream(out, src);
        src = src.subarray(consumed);
        // An idle call after a frame hints at the next one, so only progress says where the stream is.
        if (consumed > 0 || produced > 0) inFrame = ret !== 0;
        if (produced > 0) send(out, produced);
        if (src.length === 0 && produced < data.outSize) break;
      }
      port.postMessage({ consumed: true });
    } catch (err) {
      port.postMessage({ error: (err as Error).message });
    }
  });
}

const WORKER_SOURCE = `(${workerMain.toString()})()`;

/** A Duplex that decompresses zstd on a worker thread with zstd-napi's binding at `binding` (a resolved path). */
export function workerZstdDecompressor(binding: string): Duplex {
  return new WorkerDecompress(binding);
}

class WorkerDecompress extends Duplex {
  readonly #worker: Worker;
  readonly #counters: Int32Array;
  /** Buffers pushed while the reader was full: counted as taken only when it reads again. */
  #untaken = 0;
  #unacked = 0;
  #waitingWrite: ((err?: Error | null) => void) | undefined;
  #waitingFinal: ((err?: Error | null) => void) | undefined;
  /** Set once the worker is told to stop: its exit is then no failure. */
  #stopping = false;

  constructor(binding: string) {
    super();
    const shared = new SharedArrayBuffer(8);
    this.#counters = new Int32Array(shared);
    const data: WorkerData = { binding, shared, outSize: OUT_SIZE, max: MAX_OUTSTANDING };
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
    this.#worker.on('message', (msg: FromWorker) => this.#onMessage(msg));
    this.#worker.on('error', (err) => this.destroy(err));
    this.#worker.on('exit', (code) => {
      if (!this.#stopping) this.destroy(new Error(`the zstd worker stopped (exit code ${code})`));
    });
  }

  #onMessage(msg: FromWorker): void {
    if (this.destroyed) return;
    if ('out' in msg) {
      if (this.push(Buffer.from(msg.out, 0, msg.length))) this.#taken(1);
      else this.#untaken++;
    } else if ('consumed' in msg) {
      this.#unacked--;
      const write = this.#waitingWrite;
      this.#waitingWrite = undefined;
      write?.();
    } else if ('ended' in msg) {
      this.push(null);
      const final = this.#waitingFinal;
      this.#waitingFinal = undefined;
      final?.();
      this.#stop();
    } else this.destroy(new Error(msg.error));
  }

  #taken(n: number): void {
    Atomics.sub(this.#counters, OUTSTANDING, n);
    Atomics.notify(this.#counters, OUTSTANDING);
  }

  override _read(): void {
    const n = this.#untaken;
    this.#untaken = 0;
    if (n > 0) this.#taken(n);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    // A copy of exactly the chunk's bytes, handed over: the writer may reuse its buffer once `done` is called.
    const copy = chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer;
    this.#worker.postMessage({ chunk: copy } satisfies ToWorker, [copy]);
    if (++this.#unacked < INPUT_IN_FLIGHT) done();
    else this.#waitingWrite = done;
  }

  override _final(done: (err?: Error | null) => void): void {
    this.#waitingFinal = done;
    this.#worker.postMessage({ end: true } satisfies ToWorker);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.#stop().then(() => done(err), () => done(err));
  }

  #stop(): Promise<number> {
    this.#stopping = true;
    Atomics.store(this.#counters, CLOSED, 1);
    Atomics.notify(this.#counters, OUTSTANDING);
    return this.#worker.terminate();
  }
}
