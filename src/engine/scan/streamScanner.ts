/**
 * Finds secrets in bytes that arrive in pieces (a run of memory pages, a file): a secret split across two
 * pieces is still found, because the end of each piece is kept and scanned again with the next, and only that
 * tail is kept, never the whole run.
 */
import { detectSecrets, MAX_SECRET_LENGTH, type SecretMatch } from './detectors.js';

/** Kept from one piece for the next: the longest secret, plus the context detectors look back on. */
const KEEP = MAX_SECRET_LENGTH + 512;
/**
 * A secret ending this close to the end of what has arrived may go on in the next piece (a key's next line
 * after its newline, a token's next character): it is left for the next scan, which sees it whole.
 */
const UNSETTLED = 16;

export type OnSecret = (match: SecretMatch, secret: string, offset: bigint) => void;

export class StreamScanner {
  private tail = Buffer.alloc(0);
  /** Offset in the stream of the tail's first byte. */
  private tailStart: bigint;
  /** Secrets starting before this offset were reported already. */
  private settled: bigint;

  /** `start`: the stream's offset of its first byte (a memory run's address), which offsets are reported from. */
  constructor(private readonly onSecret: OnSecret, start = 0n) {
    this.tailStart = start;
    this.settled = start;
  }

  /** Where the next piece must start for it to continue this stream. */
  get next(): bigint {
    return this.tailStart + BigInt(this.tail.length);
  }

  push(piece: Buffer): void {
    this.scan(this.tail.length ? Buffer.concat([this.tail, piece]) : piece, false);
  }

  /** The stream ended: a secret running up to its last byte is complete now. */
  end(): void {
    if (this.tail.length) this.scan(this.tail, true);
    this.tailStart = this.next;
    this.tail = Buffer.alloc(0);
  }

  private scan(window: Buffer, final: boolean): void {
    const text = window.toString('latin1');
    for (const match of detectSecrets(text)) {
      const at = this.tailStart + BigInt(match.start);
      if (at < this.settled) continue;
      if (!final && text.length - match.end < UNSETTLED) break;
      this.onSecret(match, text.slice(match.start, match.end), at);
      this.settled = this.tailStart + BigInt(match.end);
    }
    const keep = Math.min(KEEP, window.length);
    // A copy, so the tail does not pin the caller's (possibly large) piece.
    this.tail = Buffer.from(window.subarray(window.length - keep));
    this.tailStart += BigInt(window.length - keep);
  }
}
