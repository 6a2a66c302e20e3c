/**
 * Reads what a checkpoint holds from a checkpoint archive (a path or a stream, any compression) or a folder
 * (an unpacked archive, or its checkpoint/ folder). The small CRIU images are read into memory, each and all
 * together capped; the memory pages are never read whole: from a folder the wanted bytes are read by offset,
 * from an archive they are picked out of the pages-*.img entry as it streams past. An archive that holds a
 * pages file before the maps that say what to pick from it is read a second time for those (a path only).
 */
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { EngineError } from '../errors.js';
import { openEntries, type TarEntry, type TarEntryOptions } from '../archive/entries.js';
import { folderEntries } from '../archive/reader.js';
import type { CheckpointContents } from './checkpointModel.js';
import { ContentsBuilder, isContentImage, memoryWanted, type MemoryWant } from './checkpointContents.js';
import { decodeEntry, MAX_CRIU_IMAGE_BYTES, onlyEntry, readImage } from './imageFile.js';
import { decodePageMap, PAGE_SIZE, type PageMap } from './memory.js';

export interface ReadContentsOptions extends TarEntryOptions {
  /** Read command lines and environments from the memory pages; default false (pages are skipped). */
  memory?: boolean;
  /** All images read into memory together; default 256 MiB. */
  maxImagesBytes?: number;
}

/** How the memory pages were read, for tests and benchmarks. */
export interface ContentsReadStats {
  /** Passes over the archive (1, or 2 when pages came before their maps); 0 for a folder. */
  archivePasses: number;
  /** Bytes of pages files copied out (the wanted strings), not the bytes streamed past. */
  pageBytesRead: number;
}

const CHECKPOINT_DIR = 'checkpoint/';
const PAGES = /^pages-(\d+)\.img$/;
const DEFAULT_MAX_IMAGES_BYTES = 256 << 20;

/** Every dumped page run of a process, in chunks, as the pages file streams past (see CheckpointVisitor). */
export type MemoryVisitor = (pid: number, vaddr: bigint, bytes: Buffer) => void | Promise<void>;

/**
 * Reads the contents from a checkpoint's entries as they come (one pass over an archive, a layer or a folder):
 * add() each entry of the checkpoint folder, then finish(). Pages files are picked from as they stream past and
 * handed to `onMemory`; one that comes before the maps that locate it is read again through `again` if given.
 */
export class ContentsReader {
  readonly #images: ImageCollector;
  readonly #served: MemoryWant[] = [];
  readonly #deferred = new Set<number>();
  readonly stats: ContentsReadStats = { archivePasses: 1, pageBytesRead: 0 };

  constructor(
    what: string,
    private readonly options: ReadContentsOptions & { onMemory?: MemoryVisitor } = {},
  ) {
    this.#images = new ImageCollector(what, options.maxImagesBytes);
  }

  /** Something skipped on the way, for the contents' notes. */
  note(text: string): void {
    this.#images.notes.push(text);
  }

  /** Whether the reader wants the bodies of pages files at all. */
  get #readsPages(): boolean {
    return !!this.options.memory || !!this.options.onMemory;
  }

  /** An entry of the checkpoint folder, `name` relative to it. */
  async add(name: string, entry: TarEntry): Promise<void> {
    if (entry.type !== 'file') return;
    const pages = PAGES.exec(name);
    if (isContentImage(name)) this.#images.add(name, entry.size, await readBody(entry.body, entry.size));
    else if (pages && this.#readsPages) {
      const id = Number(pages[1]);
      const owner = this.#images.ownerOf(id);
      if (!owner) return void this.#deferred.add(id);
      const wants = this.options.memory ? owner.wants : [];
      this.stats.pageBytesRead += await pick(entry.body, wants, owner, this.options.onMemory);
      this.#served.push(...wants);
    }
  }

  /** The model, with command lines and environments filled in when asked; `again` reopens the checkpoint's folder entries. */
  async finish(again?: () => Promise<AsyncIterable<{ name: string; entry: TarEntry }>>): Promise<CheckpointContents & { stats: ContentsReadStats }> {
    const builder = new ContentsBuilder(this.#images.images, this.#images.notes);
    const contents = builder.build();
    const served = this.#served;
    const live = new Set(contents.processes.map((p) => p.pid));
    // Pages files left for later that a process of this checkpoint owns (others are leftovers: see ownerOf).
    const later = new Set([...this.#deferred].filter((id) => this.#images.ownerOf(id, live)));
    if (later.size) {
      if (!again) {
        contents.notes.push('this stream holds memory pages before the maps that locate them, and a stream cannot be read twice; read it from a file to see command lines, environments and memory');
      } else {
        this.stats.archivePasses = 2;
        for await (const { name, entry } of await again()) {
          const pages = entry.type === 'file' ? PAGES.exec(name) : null;
          const owner = pages && later.has(Number(pages[1])) ? this.#images.ownerOf(Number(pages[1]), live) : undefined;
          if (!owner) continue;
          const wants = this.options.memory ? owner.wants : [];
          this.stats.pageBytesRead += await pick(entry.body, wants, owner, this.options.onMemory);
          served.push(...wants);
        }
      }
    }
    if (this.options.memory) {
      const done = new Set(served.map((w) => `${w.pid}/${w.what}`));
      // Pages files the checkpoint does not hold (or that could not be read again): nothing of them is known.
      const rest = builder.memoryWanted(contents.processes).filter((w) => !done.has(`${w.pid}/${w.what}`));
      builder.fillMemory(contents.processes, [...served, ...rest.map((w) => ({ ...w, missing: w.buffer.length }))]);
    }
    return { ...contents, stats: this.stats };
  }
}

/** Reads the contents of a checkpoint archive (a path or a stream, any compression): one pass, two when its pages come before their maps. */
export async function readArchiveContents(input: string | Readable, options: ReadContentsOptions = {}): Promise<CheckpointContents & { stats: ContentsReadStats }> {
  const what = typeof input === 'string' ? basename(input) : 'checkpoint archive';
  const reader = new ContentsReader(what, options);
  const inFolder = async function* (entries: AsyncIterable<TarEntry>) {
    for await (const entry of entries) if (entry.path.startsWith(CHECKPOINT_DIR)) yield { name: entry.path.slice(CHECKPOINT_DIR.length), entry };
  };
  for await (const { name, entry } of inFolder((await openEntries(input, what, options)).entries)) await reader.add(name, entry);
  return reader.finish(typeof input === 'string' ? async () => inFolder((await openEntries(input, what, options)).entries) : undefined);
}

/** The same from a folder: an unpacked archive, or its checkpoint/ folder itself. */
export async function readFolderContents(dir: string, options: Pick<ReadContentsOptions, 'memory' | 'maxImagesBytes' | 'signal'> = {}): Promise<CheckpointContents & { stats: ContentsReadStats }> {
  const reader = new ContentsReader(dir, options);
  const inFolder = async function* () {
    for await (const entry of folderEntries(dir, options.signal)) {
      const name = entry.path.startsWith(CHECKPOINT_DIR) ? entry.path.slice(CHECKPOINT_DIR.length) : entry.path.includes('/') ? '' : entry.path;
      if (name) yield { name, entry };
    }
  };
  for await (const { name, entry } of inFolder()) await reader.add(name, entry);
  const contents = await reader.finish(async () => inFolder());
  contents.stats.archivePasses = 0;
  return contents;
}

/** The content images read so far, by name, within the caps; too large ones become notes. */
class ImageCollector {
  readonly images = new Map<string, Buffer>();
  readonly notes: string[] = [];
  /** The processes whose pagemap names each pages file: more than one when podman re-checkpointed into the same folder (see ownerOf). */
  readonly #pagesOwners = new Map<number, number[]>();
  #total = 0;

  constructor(private readonly what: string, private readonly maxTotal = DEFAULT_MAX_IMAGES_BYTES) {}

  /** Adds image `name` of `size` bytes; `bytes` is undefined when it was too large to read. */
  add(name: string, size: number, bytes: Buffer | undefined): void {
    if (!bytes) return void this.notes.push(`${name} is ${size} bytes, more than the ${MAX_CRIU_IMAGE_BYTES} a CRIU image may take; not read`);
    if ((this.#total += size) > this.maxTotal) throw tooLarge(`${this.what}: its CRIU images take more than ${this.maxTotal} bytes together`);
    this.images.set(name, bytes);
    const pid = /^pagemap-(\d+)\.img$/.exec(name)?.[1];
    if (pid !== undefined) {
      const pagesId = quietly(() => readImage(bytes, 'pagemap', name, (e) => decodeEntry(e, 0, 'PagemapHead').pagesId));
      if (pagesId !== undefined) this.#pagesOwners.set(pagesId, [...(this.#pagesOwners.get(pagesId) ?? []), Number(pid)]);
    }
  }

  /**
   * Who pages-<id>.img belongs to, where its runs lie and what to pick from it, once its pagemap and mm have been
   * read. A second checkpoint podman writes into the same folder leaves the images of processes gone since
   * (pagemap-7.img naming pages file 2, now another process's): with `live` (the PIDs of pstree.img) only a
   * live process counts; without it, a pages file claimed twice has no owner yet.
   */
  ownerOf(pagesId: number, live?: ReadonlySet<number>): PagesOwner | undefined {
    const claimants = (this.#pagesOwners.get(pagesId) ?? []).filter((p) => !live || live.has(p));
    const pid = claimants.length === 1 ? claimants[0] : undefined;
    const mm = this.images.get(`mm-${pid}.img`);
    const pagemap = this.images.get(`pagemap-${pid}.img`);
    if (pid === undefined || !mm || !pagemap) return undefined;
    return quietly(() => {
      const map = readImage(pagemap, 'pagemap', 'pagemap', decodePageMap);
      // Notes (a cut-short string) are made again when the model is built.
      return { pid, map, wants: memoryWanted(pid, readImage(mm, 'mm', 'mm', (e) => onlyEntry(e, 'Mm')), map, []) };
    });
  }
}

interface PagesOwner {
  pid: number;
  map: PageMap;
  wants: MemoryWant[];
}

/** A value, or undefined where the images are damaged (the model's builder says so in its notes). */
function quietly<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function tooLarge(message: string): EngineError {
  return new EngineError('ARCHIVE_LIMIT_EXCEEDED', message, { hint: 'CRIU writes images of some KiB; do not trust this checkpoint' });
}

async function readBody(body: AsyncIterable<Buffer>, size: number): Promise<Buffer | undefined> {
  if (size > MAX_CRIU_IMAGE_BYTES) return undefined; // left unread: the entry reader skips it
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Copies the wanted pieces out of a pages file as it streams past, and hands each chunk to `onMemory` by the
 * virtual address it holds; returns the bytes copied.
 */
async function pick(body: AsyncIterable<Buffer>, wants: MemoryWant[], owner: PagesOwner, onMemory?: MemoryVisitor): Promise<number> {
  const pieces = wants.flatMap((w) => w.pieces.map((p) => ({ ...p, buffer: w.buffer }))).sort((a, b) => a.fileOffset - b.fileOffset);
  const runs = owner.map.runs.filter((r) => r.fileOffset !== undefined).sort((a, b) => a.fileOffset! - b.fileOffset!);
  if (!pieces.length && !onMemory) return 0; // left unread: the entry reader skips it
  let at = 0;
  let copied = 0;
  for await (const chunk of body) {
    const end = at + chunk.length;
    for (const p of pieces) {
      if (p.fileOffset >= end) break;
      const from = Math.max(p.fileOffset, at);
      const to = Math.min(p.fileOffset + p.length, end);
      if (from < to) copied += chunk.copy(p.buffer, p.at + (from - p.fileOffset), from - at, to - at);
    }
    if (onMemory) {
      for (const r of runs) {
        const runEnd = r.fileOffset! + Number(r.pages) * PAGE_SIZE;
        if (r.fileOffset! >= end) break;
        const from = Math.max(r.fileOffset!, at);
        const to = Math.min(runEnd, end);
        if (from < to) await onMemory(owner.pid, r.vaddr + BigInt(from - r.fileOffset!), chunk.subarray(from - at, to - at));
      }
    }
    at = end;
  }
  return copied;
}
