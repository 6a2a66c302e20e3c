import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

export interface ParallelGzipOptions {
  /** Bytes per gzip member; larger compresses slightly better, smaller spreads work sooner. */
  blockSize?: number;
  /** Members compressed at once; defaults to twice the number of cores. */
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
  readonly #level: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Compressions in submission order; the head is written first. */
  #inFlight: Promise<Buffer>[] = [];
  #members = 0;

  constructor(options: ParallelGzipOptions = {}) {
    super();
    this.#blockSize = options.blockSize ?? 1 << 20;
    // Twice the cores keeps the zlib pool busy while this thread hashes and writes.
    this.#concurrency = Math.max(1, options.concurrency ?? 2 * availableParallelism());
    this.#level = options.level ?? 1;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    this.#drainBlocks(false).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    this.#drainBlocks(true)
      .then(async () => {
        // An empty input is still one (empty) gzip member: zero bytes are not a gzip stream.
        if (this.#members === 0) this.#inFlight.push(gzipAsync(Buffer.alloc(0), { level: this.#level }));
        while (this.#inFlight.length) this.push(await this.#inFlight.shift()!);
        done();
      })
      .catch(done);
  }

  /** Submits full blocks (and the rest at the end), writing finished members once the window is full. */
  async #drainBlocks(final: boolean): Promise<void> {
    while (this.#pendingBytes >= this.#blockSize || (final && this.#pendingBytes > 0)) {
      const all = Buffer.concat(this.#pending, this.#pendingBytes);
      const block = all.subarray(0, this.#blockSize);
      const rest = all.subarray(block.length);
      this.#pending = rest.length ? [rest] : [];
      this.#pendingBytes = rest.length;
      this.#inFlight.push(gzipAsync(block, { level: this.#level }));
      this.#members++;
      if (this.#inFlight.length >= this.#concurrency) this.push(await this.#inFlight.shift()!);
    }
  }
}
