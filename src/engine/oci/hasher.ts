import { EngineError } from '../errors.js';
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { Digest } from './digest.js';

export interface HashingOptions {
  /** When given, the stream fails on a mismatch: at the end for the digest, as soon as it is too long for the size. */
  expected?: { digest?: Digest; size?: number };
  /** Names the content in errors ("blob sha256:…", "layer 1"). */
  what?: string;
  /** Called with the bytes passed so far. */
  onProgress?: (bytes: number) => void;
}

/** A pass-through stream that counts and hashes what goes through it. */
export interface HashingStream extends Transform {
  readonly size: number;
  /** The sha256 of everything that went through; throws before the stream has ended. */
  digest(): Digest;
}

export function hashingStream(options: HashingOptions = {}): HashingStream {
  return new Hasher(options);
}

class Hasher extends Transform implements HashingStream {
  readonly #hash = createHash('sha256');
  readonly #options: HashingOptions;
  #size = 0;
  #digest: Digest | undefined;

  constructor(options: HashingOptions) {
    super();
    this.#options = options;
  }

  get size(): number {
    return this.#size;
  }

  digest(): Digest {
    if (!this.#digest) throw new Error('the digest is known only after the stream has ended');
    return this.#digest;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.length;
    const { expected, what = 'blob', onProgress } = this.#options;
    // Fail early: a stranger's stream that runs past the promised size may never end.
    if (expected?.size !== undefined && this.#size > expected.size) {
      callback(new EngineError('DIGEST_MISMATCH', `${what} is longer than the ${expected.size} bytes its descriptor gives`));
      return;
    }
    this.#hash.update(chunk);
    onProgress?.(this.#size);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = `sha256:${this.#hash.digest('hex')}` as Digest;
    const { expected, what = 'blob' } = this.#options;
    if (expected?.size !== undefined && this.#size !== expected.size) {
      callback(new EngineError('DIGEST_MISMATCH', `${what} is ${this.#size} bytes, but its descriptor gives ${expected.size}`));
    } else if (expected?.digest !== undefined && this.#digest !== expected.digest) {
      callback(new EngineError('DIGEST_MISMATCH', `${what} hashes to ${this.#digest}, not ${expected.digest}`, {
        hint: 'the content was damaged or tampered with; fetch it again from its source',
      }));
    } else {
      callback();
    }
  }
}
