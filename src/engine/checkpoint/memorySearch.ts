/**
 * A checkpoint's memory, as checkpointctl's `memparse` shows it: how much each process has, and where a text or
 * a regular expression occurs, by virtual address, with bytes of context. The pages stream past once; only a
 * small tail of each run is kept, so a match split between two chunks is still found and memory stays flat.
 */
import { EngineError } from '../errors.js';
import type { CheckpointVma } from '../criu/checkpointModel.js';
import type { ImageReference } from '../reference.js';
import { visitCheckpoint, type InspectOptions } from './inspectCheckpoint.js';
import type { CheckpointPlaces } from './source.js';

export interface MemorySearchOptions extends Omit<InspectOptions, 'memory' | 'pid'> {
  /** Only this process (not its children, as memparse). */
  pid?: number;
  /** A text to find (its UTF-8 bytes). */
  search?: string;
  /** A JavaScript regular expression, matched against the bytes as Latin-1 (one character per byte). */
  regex?: string;
  /** Bytes shown on each side of a match; default 0, at most 4096. */
  context?: number;
  /** Matches reported at most; default 1000 (then `truncated`). */
  maxMatches?: number;
}

export interface MemoryReport {
  reference: string;
  processes: ProcessMemory[];
  matches: MemoryMatch[];
  /** More matches than maxMatches were found; the rest are not listed. */
  truncated: boolean;
  notes: string[];
}

export interface ProcessMemory {
  pid: number;
  comm: string;
  /** Bytes of pages this checkpoint holds for the process (memparse's "memory size"). */
  dumpedBytes: number;
  /** Bytes mapped, by kind of mapping (heap, stack, file, anonymous…), from its VMAs. */
  mappedBytes: Partial<Record<CheckpointVma['kind'], number>>;
}

export interface MemoryMatch {
  pid: number;
  /** Where the match starts, hex ("0x7ffc…"). */
  address: string;
  /** The match itself, bytes that do not print as '?'. */
  text: string;
  /** The match with `context` bytes each side, the same way. */
  context: string;
}

/** Longest match a regular expression may span across two chunks of a run and still be found whole. */
const MAX_MATCH_BYTES = 4096;
const MAX_CONTEXT = 4096;

export async function searchCheckpointMemory(places: CheckpointPlaces, ref: ImageReference, options: MemorySearchOptions = {}): Promise<MemoryReport> {
  const { pid, search, regex, context = 0, maxMatches = 1000, ...rest } = options;
  if (search !== undefined && regex !== undefined) throw new EngineError('INVALID_ARGUMENT', 'search for a text or a regular expression, not both');
  if (!Number.isSafeInteger(context) || context < 0 || context > MAX_CONTEXT) throw new EngineError('INVALID_ARGUMENT', `the context is 0 to ${MAX_CONTEXT} bytes, not ${context}`);
  const pattern = search !== undefined ? literal(search) : regex !== undefined ? compiled(regex) : undefined;
  const finder = pattern && new MatchFinder(pattern, context, maxMatches);
  const visitor = finder ? { memory: (p: number, vaddr: bigint, bytes: Buffer) => (pid === undefined || p === pid ? finder.feed(p, vaddr, bytes) : undefined) } : {};
  const inspection = await visitCheckpoint(places, ref, visitor, rest);
  finder?.flush();
  const processes = inspection.contents.processes.filter((p) => pid === undefined || p.pid === pid);
  if (pid !== undefined && !processes.length) {
    throw new EngineError('INVALID_ARGUMENT', `the checkpoint has no process ${pid}`, { hint: `its processes are ${inspection.contents.processes.map((p) => p.pid).join(', ') || 'none'}` });
  }
  return {
    reference: inspection.reference,
    processes: processes.map((p) => ({ pid: p.pid, comm: p.comm, dumpedBytes: p.memory.dumpedBytes, mappedBytes: byKind(p.memory.vmas) })),
    // Pages of processes gone before a re-checkpoint into the same folder are in no live process.
    matches: (finder?.matches ?? []).filter((m) => inspection.contents.processes.some((p) => p.pid === m.pid)),
    truncated: finder?.truncated ?? false,
    notes: [...inspection.missing, ...inspection.contents.notes],
  };
}

function byKind(vmas: CheckpointVma[]): ProcessMemory['mappedBytes'] {
  const sizes: ProcessMemory['mappedBytes'] = {};
  for (const v of vmas) sizes[v.kind] = (sizes[v.kind] ?? 0) + Number(BigInt(v.end) - BigInt(v.start));
  return sizes;
}

function literal(text: string): RegExp {
  if (!text || Buffer.byteLength(text) > MAX_MATCH_BYTES) throw new EngineError('INVALID_ARGUMENT', `the text to search for is 1 to ${MAX_MATCH_BYTES} bytes long`);
  const bytes = Buffer.from(text, 'utf8').toString('latin1');
  return new RegExp(bytes.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g');
}

function compiled(source: string): RegExp {
  try {
    return new RegExp(source, 'g');
  } catch (cause) {
    throw new EngineError('INVALID_ARGUMENT', `${JSON.stringify(source)} is not a regular expression: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Finds matches run by run. The buffer searched is the kept tail plus the new chunk; a match is reported once its
 * context after it has arrived (or the run ended), and never twice: `from` is the first address not yet covered.
 */
class MatchFinder {
  readonly matches: MemoryMatch[] = [];
  truncated = false;
  #pid = -1;
  /** Address of the tail's first byte, and of the byte after it. */
  #base = 0n;
  #tail = Buffer.alloc(0);
  #from = 0n;

  constructor(private readonly pattern: RegExp, private readonly context: number, private readonly max: number) {}

  feed(pid: number, vaddr: bigint, chunk: Buffer): void {
    if (pid !== this.#pid || vaddr !== this.#base + BigInt(this.#tail.length)) {
      this.flush();
      [this.#pid, this.#base, this.#tail, this.#from] = [pid, vaddr, Buffer.alloc(0), vaddr];
    }
    const buffer = this.#tail.length ? Buffer.concat([this.#tail, chunk]) : chunk;
    this.#scan(buffer, false);
    const keep = Math.min(buffer.length, MAX_MATCH_BYTES + 2 * this.context);
    this.#base += BigInt(buffer.length - keep);
    this.#tail = Buffer.from(buffer.subarray(buffer.length - keep));
  }

  /** The end of a run: what is left is searched without waiting for more context. */
  flush(): void {
    if (this.#tail.length) this.#scan(this.#tail, true);
    this.#tail = Buffer.alloc(0);
  }

  #scan(buffer: Buffer, last: boolean): void {
    const text = buffer.toString('latin1');
    const re = this.pattern;
    re.lastIndex = Math.max(0, Number(this.#from - this.#base));
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      // An empty match would never move on.
      if (end === start) re.lastIndex++;
      if (!last && end + this.context > buffer.length) return; // wait for its context, or for the rest of a longer match
      if (end === start) continue;
      if (this.matches.length >= this.max) {
        this.truncated = true;
        return;
      }
      const text = printable(buffer.subarray(start, end));
      this.matches.push({
        pid: this.#pid,
        address: `0x${(this.#base + BigInt(start)).toString(16)}`,
        text,
        context: printable(buffer.subarray(Math.max(0, start - this.context), start)) + text + printable(buffer.subarray(end, end + this.context)),
      });
      this.#from = this.#base + BigInt(end);
    }
  }
}

/** Bytes as text for a terminal or a table: printable ASCII as it is, anything else '?'. */
function printable(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?';
  return out;
}
