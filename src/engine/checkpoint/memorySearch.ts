/**
 * A checkpoint's memory, as checkpointctl's `memparse` shows it: how much each process has, and where a text or
 * a regular expression occurs, by virtual address, with bytes of context. The pages stream past once; only a
 * small tail of each run is kept (streamScanner.ts), so a match split between two chunks is still found and
 * memory stays flat.
 */
import { EngineError } from '../errors.js';
import type { CheckpointVma } from '../criu/checkpointModel.js';
import type { ImageReference } from '../reference.js';
import { visitCheckpoint, type InspectOptions } from './inspectCheckpoint.js';
import { scanningRuns, StreamScanner } from './streamScanner.js';
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
  const { pid, search, regex, context: contextBytes = 0, maxMatches = 1000, ...rest } = options;
  if (search !== undefined && regex !== undefined) throw new EngineError('INVALID_ARGUMENT', 'search for a text or a regular expression, not both');
  if (!Number.isSafeInteger(contextBytes) || contextBytes < 0 || contextBytes > MAX_CONTEXT) throw new EngineError('INVALID_ARGUMENT', `the context is 0 to ${MAX_CONTEXT} bytes, not ${contextBytes}`);
  const pattern = search !== undefined ? literal(search) : regex !== undefined ? compiled(regex) : undefined;
  const matches: MemoryMatch[] = [];
  let truncated = false;
  const runs = pattern && scanningRuns((p, vaddr) => new StreamScanner((text) => each(pattern, text), (m, window, windowStart) => {
    if (matches.length >= maxMatches) return void (truncated = true);
    const text = printable(window.slice(m.start, m.end));
    const context = printable(window.slice(Math.max(0, m.start - contextBytes), m.start)) + text + printable(window.slice(m.end, m.end + contextBytes));
    matches.push({ pid: p, address: `0x${(windowStart + BigInt(m.start)).toString(16)}`, text, context });
  }, { keep: MAX_MATCH_BYTES + 2 * contextBytes + 1, unsettled: contextBytes + 1 }, vaddr));
  const visitor = runs ? { memory: (p: number, vaddr: bigint, bytes: Buffer) => (pid === undefined || p === pid ? runs.visit(p, vaddr, bytes) : undefined) } : {};
  const inspection = await visitCheckpoint(places, ref, visitor, rest);
  runs?.end();
  const processes = inspection.contents.processes.filter((p) => pid === undefined || p.pid === pid);
  if (pid !== undefined && !processes.length) {
    throw new EngineError('INVALID_ARGUMENT', `the checkpoint has no process ${pid}`, { hint: `its processes are ${inspection.contents.processes.map((p) => p.pid).join(', ') || 'none'}` });
  }
  return {
    reference: inspection.reference,
    processes: processes.map((p) => ({ pid: p.pid, comm: p.comm, dumpedBytes: p.memory.dumpedBytes, mappedBytes: byKind(p.memory.vmas) })),
    // Pages of processes gone before a re-checkpoint into the same folder are in no live process.
    matches: matches.filter((m) => inspection.contents.processes.some((p) => p.pid === m.pid)),
    truncated,
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

/** The pattern's matches in `text`, one after another (an empty match is no match). */
function* each(pattern: RegExp, text: string): Generator<{ start: number; end: number }> {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (m[0].length) yield { start: m.index, end: m.index + m[0].length };
    else pattern.lastIndex++;
  }
}

/** Latin-1 text (one character per byte) for a terminal or a table: printable ASCII as it is, anything else '?'. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
