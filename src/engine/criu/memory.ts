/**
 * A process's memory as CRIU keeps it: pagemap-<pid>.img lists runs of pages by virtual address, and the runs
 * marked present lie one after another in pages-<id>.img (id from the pagemap's head). This finds where the
 * bytes of an address range lie in that file, so they can be read by offset or picked out of a stream.
 */
import { decodeEntry } from './imageFile.js';
import { MalformedError, big } from './protobuf.js';
import type { Decoded } from './schema.js';

/** The page size CRIU wrote with on x86_64 (and the default elsewhere); images do not record it. */
export const PAGE_SIZE = 4096;
/** pagemap flags (CRIU's criu/include/pagemap.h). */
const PE_PARENT = 1 << 0;
const PE_PRESENT = 1 << 2;
/** More pages than a 64-bit address space holds: a forged run. */
const MAX_PAGES = 1n << 52n;

export interface PageRun {
  vaddr: bigint;
  pages: bigint;
  /** Offset of its first page in pages-<id>.img; absent when the pages are elsewhere (a parent checkpoint, lazy). */
  fileOffset?: number;
}

export interface PageMap {
  pagesId: number;
  runs: PageRun[];
  /** Bytes of pages in pages-<pagesId>.img. */
  dumpedBytes: number;
}

/** A pagemap image's raw entries (head first), decoded into runs with their file offsets. */
export function decodePageMap(entries: Buffer[]): PageMap {
  return pageMap(decodeEntry(entries, 0, 'PagemapHead'), entries.slice(1).map((_, i) => decodeEntry(entries, i + 1, 'Pagemap')));
}

/** A pagemap image's entries (head first) as runs with their file offsets. */
function pageMap(head: Decoded<'PagemapHead'>, entries: Decoded<'Pagemap'>[]): PageMap {
  const runs: PageRun[] = [];
  let offset = 0;
  for (const e of entries) {
    const pages = e.nrPages !== undefined ? big(e.nrPages) : BigInt(e.compatNrPages ?? 0);
    if (pages > MAX_PAGES) throw new MalformedError(`a pagemap entry of ${pages} pages`);
    // Images without flags (before CRIU 3.x) say only whether the pages are in the parent.
    const present = e.flags !== undefined ? (e.flags & PE_PRESENT) !== 0 && (e.flags & PE_PARENT) === 0 : !e.inParent;
    runs.push({ vaddr: big(e.vaddr), pages, fileOffset: present ? offset : undefined });
    if (present) offset += Number(pages) * PAGE_SIZE;
  }
  return { pagesId: head.pagesId ?? 0, runs: runs.sort((a, b) => (a.vaddr < b.vaddr ? -1 : a.vaddr > b.vaddr ? 1 : 0)), dumpedBytes: offset };
}

/** A piece of a wanted range: `length` bytes at `fileOffset` of the pages file go to `at` of the result. */
export interface Piece {
  at: number;
  fileOffset: number;
  length: number;
}

/**
 * Where the bytes [start, end) lie in the pages file, in file order, and how many are not in this checkpoint
 * (never dumped, or in a parent); those read as zeros.
 */
export function locate(map: PageMap, start: bigint, end: bigint): { pieces: Piece[]; missing: number } {
  const pieces: Piece[] = [];
  let missing = Number(end - start);
  for (const run of map.runs) {
    const runEnd = run.vaddr + run.pages * BigInt(PAGE_SIZE);
    const from = start > run.vaddr ? start : run.vaddr;
    const to = end < runEnd ? end : runEnd;
    if (from >= to || run.fileOffset === undefined) continue;
    const length = Number(to - from);
    pieces.push({ at: Number(from - start), fileOffset: run.fileOffset + Number(from - run.vaddr), length });
    missing -= length;
  }
  return { pieces: pieces.sort((a, b) => a.fileOffset - b.fileOffset), missing };
}

/** A NUL-separated block of strings (argv, environ) as a list; the trailing NUL makes no empty last item. */
export function nulSeparated(bytes: Buffer): string[] {
  const text = bytes.toString('utf8');
  const items = text.split('\0');
  while (items.length && items[items.length - 1] === '') items.pop();
  return items;
}
