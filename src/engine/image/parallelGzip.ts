import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { gzip, type ZlibOptions } from 'node:zlib';

export interface ParallelGzipOptions {
  /** Bytes per gzip member; larger compresses slightly better, smaller spreads work sooner. */
  blockSize?: number;
  /** Members compressed at once; defaults to twice the number of cores, at most the size of libuv's thread pool. */
  concurrency?: number;
  /** zlib level, 1 (fast) to 9 (small). */
  level?: number;
}

/**
 * gzip spread over all cores: the input is cut into blocks, each compressed as its own gzip member on the
 * zlib thread pool, and the members are written in order. Concatenated members are one valid gzip stream
 * (RFC 1952 §2.2) that gunzip, Go's compress/gzip and node:zlib read as a whole. Memory stays bounded:
 * at most `concurrency` blocks are in flight.
 */
export class ParallelGzip extends Transform {
  readonly #blockSize: number;
  readonly #concurrency: number;
  readonly #options: ZlibOptions;
  /** The block being filled, when the input comes in pieces smaller than a block. */
  #block: Buffer | undefined;
  #filled = 0;
  /** Compressions in submission order; the head is written first. */
  #inFlight: Promise<Buffer>[] = [];
  #members = 0;

  constructor(options: ParallelGzipOptions = {}) {
    super();
    this.#blockSize = Math.max(1, options.blockSize ?? 1 << 20);
    this.#concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
    // An output buffer that holds a whole member (deflate's worst case is a little over the input), so each
    // block is one job on the pool. zlib's default 16 KiB would bring every block back to this thread some 20
    // times, and while this thread hashes and parses tar the pool would wait for it.
    const level = options.level ?? 1;
    // memLevel 9 (zlib's largest hash table) took 6-8% less CPU than the default 8 at level 1 on checkpoint pages,
    // for a blob 0.5% larger.
    this.#options = { level, memLevel: 9, chunkSize: Math.max(64 << 10, this.#blockSize + (this.#blockSize >> 8) + 1024) };
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#take(chunk).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    (async () => {
      if (this.#filled > 0) await this.#submit(this.#block!.subarray(0, this.#filled));
      this.#block = undefined;
      // An empty input is still one (empty) gzip member: zero bytes are not a gzip stream.
      if (this.#members === 0) await this.#submit(Buffer.alloc(0));
      while (this.#inFlight.length) this.push(await this.#inFlight.shift()!);
    })().then(() => done(), done);
  }

  /**
   * Copies the input into blocks, once: the pool reads a block after this chunk's callback has returned, when
   * the writer may reuse its buffer. (Buffer.concat per block, as before, copied the tail of every chunk twice.)
   */
  async #take(chunk: Buffer): Promise<void> {
    const size = this.#blockSize;
    let at = 0;
    while (at < chunk.length) {
      this.#block ??= Buffer.allocUnsafe(size);
      const n = chunk.copy(this.#block, this.#filled, at, Math.min(chunk.length, at + size - this.#filled));
      this.#filled += n;
      at += n;
      if (this.#filled === size) {
        const block = this.#block;
        this.#block = undefined;
        this.#filled = 0;
        await this.#submit(block);
      }
    }
  }

  /** Starts one member; once the window is full, writes the oldest when it is done. */
  async #submit(block: Buffer): Promise<void> {
    const member = new Promise<Buffer>((resolve, reject) => gzip(block, this.#options, (err, out) => (err ? reject(err) : resolve(out))));
    // Seen when its turn comes; until then (or if the stream is destroyed first) it is no unhandled rejection.
    member.catch(() => undefined);
    this.#inFlight.push(member);
    this.#members++;
    if (this.#inFlight.length >= this.#concurrency) this.push(await this.#inFlight.shift()!);
  }
}

/**
 * Twice the cores keeps the zlib pool busy while this thread parses, hashes and writes (measured on 2 cores:
 * cores + 1 and 3x cores were no faster). More than the pool's threads would only queue there, and the file
 * reads and writes that share the pool would wait behind them. The pool's size is the process's to choose
 * (UV_THREADPOOL_SIZE, read once when the pool starts): a library must not change it, and raising it made no
 * difference here.
 */
function defaultConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE);
  return Math.min(2 * availableParallelism(), Number.isInteger(pool) && pool > 0 ? pool : 4);
}
