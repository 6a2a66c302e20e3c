/**
 * Reads what a checkpoint holds from a checkpoint archive (a path or a stream, any compression) or a folder
 * (an unpacked archive, or its checkpoint/ folder). The small CRIU images are read into memory, each and all
 * together capped; the memory pages are never read whole: from a folder the wanted bytes are read by offset,
 * from an archive they are picked out of the pages-*.img entry as it streams past. An archive that holds a
 * pages file before the maps that say what to pick from it is read a second time for those (a path only).
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { EngineError, cancelled } from '../errors.js';
import { openEntries, type TarEntryOptions } from '../archive/entries.js';
import { walkFolder } from '../archive/walkFolder.js';
import type { CheckpointContents } from './checkpointModel.js';
import { ContentsBuilder, isContentImage, memoryWanted, type MemoryWant } from './checkpointContents.js';
import { decodeEntry, MAX_CRIU_IMAGE_BYTES, onlyEntry, readImage } from './imageFile.js';
import { decodePageMap } from './memory.js';

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

export async function readArchiveContents(input: string | Readable, options: ReadContentsOptions = {}): Promise<CheckpointContents & { stats: ContentsReadStats }> {
  const what = typeof input === 'string' ? basename(input) : 'checkpoint archive';
  const images = new ImageCollector(what, options.maxImagesBytes);
  const served: MemoryWant[] = [];
  const deferred = new Set<number>();
  const stats: ContentsReadStats = { archivePasses: 1, pageBytesRead: 0 };
  const { entries } = await openEntries(input, what, options);
  for await (const entry of entries) {
    if (entry.type !== 'file' || !entry.path.startsWith(CHECKPOINT_DIR)) continue;
    const name = entry.path.slice(CHECKPOINT_DIR.length);
    const pages = PAGES.exec(name);
    if (isContentImage(name)) images.add(name, entry.size, await readBody(entry.body, entry.size));
    else if (pages && options.memory) {
      const wants = images.wantsFor(Number(pages[1]));
      if (!wants) deferred.add(Number(pages[1]));
      else {
        stats.pageBytesRead += await pick(entry.body, wants);
        served.push(...wants);
      }
    }
  }
  const builder = new ContentsBuilder(images.images, images.notes);
  const contents = builder.build();
  if (options.memory) {
    const done = new Set(served.map((w) => `${w.pid}/${w.what}`));
    const rest = builder.memoryWanted(contents.processes).filter((w) => !done.has(`${w.pid}/${w.what}`));
    const again = rest.filter((w) => deferred.has(w.pagesId));
    if (again.length && typeof input !== 'string') {
      contents.notes.push('this stream holds memory pages before the maps that locate them, and a stream cannot be read twice; read it from a file to see command lines and environments');
    } else if (again.length) {
      stats.archivePasses = 2;
      for await (const entry of (await openEntries(input, what, options)).entries) {
        const pages = entry.type === 'file' && entry.path.startsWith(CHECKPOINT_DIR) ? PAGES.exec(entry.path.slice(CHECKPOINT_DIR.length)) : null;
        const wants = pages ? again.filter((w) => w.pagesId === Number(pages[1])) : [];
        if (wants.length) stats.pageBytesRead += await pick(entry.body, wants);
      }
      served.push(...again);
    }
    // Pages files the archive does not hold (or that could not be read again): nothing of them is known.
    for (const w of rest.filter((w) => !served.includes(w))) served.push({ ...w, missing: w.buffer.length });
    builder.fillMemory(contents.processes, served);
  }
  return { ...contents, stats };
}

export async function readFolderContents(dir: string, options: Pick<ReadContentsOptions, 'memory' | 'maxImagesBytes' | 'signal'> = {}): Promise<CheckpointContents & { stats: ContentsReadStats }> {
  const images = new ImageCollector(dir, options.maxImagesBytes);
  const pagesFiles = new Map<number, string>();
  for await (const { path, rel, stat } of walkFolder(dir)) {
    if (options.signal?.aborted) throw cancelled(`reading ${dir}`, options.signal);
    if (!stat.isFile()) continue;
    // The folder of an unpacked archive, or its checkpoint/ folder itself.
    const name = rel.startsWith(CHECKPOINT_DIR) ? rel.slice(CHECKPOINT_DIR.length) : rel.includes('/') ? '' : rel;
    const pages = PAGES.exec(name);
    if (isContentImage(name)) images.add(name, stat.size, stat.size > MAX_CRIU_IMAGE_BYTES ? undefined : await readSmall(path, stat.size));
    else if (pages) pagesFiles.set(Number(pages[1]), path);
  }
  const builder = new ContentsBuilder(images.images, images.notes);
  const contents = builder.build();
  const stats: ContentsReadStats = { archivePasses: 0, pageBytesRead: 0 };
  if (options.memory) {
    const wants = builder.memoryWanted(contents.processes);
    for (const w of wants) {
      const path = pagesFiles.get(w.pagesId);
      if (!path) {
        w.missing = w.buffer.length;
        continue;
      }
      const file = await open(path, 'r');
      try {
        for (const p of w.pieces) stats.pageBytesRead += (await file.read(w.buffer, p.at, p.length, p.fileOffset)).bytesRead;
      } finally {
        await file.close();
      }
    }
    builder.fillMemory(contents.processes, wants);
  }
  return { ...contents, stats };
}

/** The content images read so far, by name, within the caps; too large ones become notes. */
class ImageCollector {
  readonly images = new Map<string, Buffer>();
  readonly notes: string[] = [];
  readonly #pagesOwners = new Map<number, number>();
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
      if (pagesId !== undefined) this.#pagesOwners.set(pagesId, Number(pid));
    }
  }

  /** What to pick from pages-<id>.img, when its pagemap and mm have been read already. */
  wantsFor(pagesId: number): MemoryWant[] | undefined {
    const pid = this.#pagesOwners.get(pagesId);
    const mm = this.images.get(`mm-${pid}.img`);
    const pagemap = this.images.get(`pagemap-${pid}.img`);
    if (pid === undefined || !mm || !pagemap) return undefined;
    return quietly(() => {
      const map = readImage(pagemap, 'pagemap', 'pagemap', decodePageMap);
      // Notes (a cut-short string) are made again when the model is built.
      return memoryWanted(pid, readImage(mm, 'mm', 'mm', (e) => onlyEntry(e, 'Mm')), map, []);
    });
  }
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

async function readSmall(path: string, size: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await file.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** Copies the wanted pieces out of a pages file as it streams past; returns the bytes copied. */
async function pick(body: AsyncIterable<Buffer>, wants: MemoryWant[]): Promise<number> {
  const pieces = wants.flatMap((w) => w.pieces.map((p) => ({ ...p, buffer: w.buffer }))).sort((a, b) => a.fileOffset - b.fileOffset);
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
    at = end;
  }
  return copied;
}
