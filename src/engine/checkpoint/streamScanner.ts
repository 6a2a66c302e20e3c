/**
 * Finds matches in bytes that arrive in pieces (a run of memory pages, a file): a match split across two pieces
 * is still found, because the end of each piece is kept and searched again with the next, and only that tail is
 * kept, never the whole run. Used by the secrets scan and the memory search.
 */
import type { MemoryVisitor } from '../criu/readContents.js';

/** A match in a window of text: [start, end). */
export interface StreamMatch {
  start: number;
  end: number;
}

/**
 * `match` found in `window` (the bytes as Latin-1, one character per byte), which starts at offset `windowStart`
 * of the stream: the match is at `windowStart + match.start`.
 */
export type OnMatch<M extends StreamMatch> = (match: M, window: string, windowStart: bigint) => void;

export interface StreamScannerOptions {
  /** Bytes kept from one piece for the next: the longest match, plus the context looked back on. */
  keep: number;
  /**
   * A match ending this close to the end of what has arrived may go on in the next piece (a key's next line, a
   * greedy pattern, the context shown after it): it is left for the next search, which sees it whole.
   */
  unsettled: number;
}

export class StreamScanner<M extends StreamMatch> {
  private tail = Buffer.alloc(0);
  /** Offset in the stream of the tail's first byte. */
  private tailStart: bigint;
  /** Matches starting before this offset were reported already. */
  private settled: bigint;

  /** `start`: the stream's offset of its first byte (a memory run's address), which offsets are reported from. */
  constructor(
    private readonly find: (text: string) => Iterable<M>,
    private readonly onMatch: OnMatch<M>,
    private readonly options: StreamScannerOptions,
    start = 0n,
  ) {
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

  /** The stream ended: a match running up to its last byte is complete now. */
  end(): void {
    if (this.tail.length) this.scan(this.tail, true);
    this.tailStart = this.next;
    this.tail = Buffer.alloc(0);
  }

  private scan(window: Buffer, final: boolean): void {
    const text = window.toString('latin1');
    for (const match of this.find(text)) {
      const at = this.tailStart + BigInt(match.start);
      if (at < this.settled) continue;
      if (!final && text.length - match.end < this.options.unsettled) break;
      this.onMatch(match, text, this.tailStart);
      this.settled = this.tailStart + BigInt(match.end);
    }
    const keep = Math.min(this.options.keep, window.length);
    // A copy, so the tail does not pin the caller's (possibly large) piece.
    this.tail = Buffer.from(window.subarray(window.length - keep));
    this.tailStart += BigInt(window.length - keep);
  }
}

/**
 * A memory visitor that searches each contiguous run of one process's pages as one stream, with the scanner
 * `start` makes for it; call end() after the visit, for the last run.
 */
export function scanningRuns<M extends StreamMatch>(start: (pid: number, vaddr: bigint) => StreamScanner<M>): { visit: MemoryVisitor; end(): void } {
  let run: { pid: number; scanner: StreamScanner<M> } | undefined;
  return {
    visit: (pid, vaddr, bytes) => {
      if (!run || run.pid !== pid || run.scanner.next !== vaddr) {
        run?.scanner.end();
        run = { pid, scanner: start(pid, vaddr) };
      }
      run.scanner.push(bytes);
    },
    end: () => run?.scanner.end(),
  };
}
