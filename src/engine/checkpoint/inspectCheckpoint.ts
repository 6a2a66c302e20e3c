/**
 * What a checkpoint holds, from any reference, in one pass over its files: the summary (container, engine,
 * sizes, what a restore removes or refuses), the contents CRIU's images record, CRIU's dump statistics and the
 * files the container changed (rootfs-diff.tar, deleted.files). Visitors see the memory pages and the changed
 * files as they stream past, so a memory search or a secrets scan costs no second read.
 * The JSON of CheckpointInspection is stable: fields are only added within a contents version.
 */
import { Readable } from 'node:stream';
import { ArchiveEntry } from '../annotations.js';
import { openEntries, type TarEntry, type TarEntryOptions } from '../archive/entries.js';
import { ArchiveSummaryBuilder, folderEntries, isMetadata, readMetadataBody, type CheckpointArchiveSummary } from '../archive/reader.js';
import type { Compression } from '../archive/compression.js';
import type { CheckpointContents, CheckpointProcess } from '../criu/checkpointModel.js';
import { ContentsReader, type MemoryVisitor, type ReadContentsOptions } from '../criu/readContents.js';
import { onlyEntry, readImage, MAX_CRIU_IMAGE_BYTES } from '../criu/imageFile.js';
import { EngineError } from '../errors.js';
import type { ImageReference } from '../reference.js';
import { withCheckpointSource, type CheckpointPlaces, type OpenedCheckpoint } from './source.js';

export interface CheckpointInspection {
  /** The reference as given, normalised (archive:FILE, store:TAG, docker://…). */
  reference: string;
  /** The checkpoint's summary, as `readCheckpointArchive` gives it. */
  summary: CheckpointArchiveSummary;
  contents: CheckpointContents;
  /** The image's manifest annotations; absent for a checkpoint archive. */
  annotations?: Record<string, string>;
  /** What this kind of reference does not keep (a docker-archive: the annotations), in words. */
  missing: string[];
  /** CRIU's statistics of the dump (stats-dump); absent when the checkpoint has none. */
  stats?: DumpStats;
  /** The files the container changed and deleted, as a restore puts them back. */
  rootfsDiff: RootfsDiffEntry[];
  /** Bytes read from the file, blob or registry (0 for podman's mounted image), and passes over them. */
  read: { bytes: number; passes: number };
}

/** CRIU's dump statistics (stats-dump): times in microseconds, as checkpointctl's --stats shows them. */
export interface DumpStats {
  freezingTimeUs: number;
  frozenTimeUs: number;
  memdumpTimeUs: number;
  memwriteTimeUs: number;
  pagesScanned: number;
  pagesSkippedParent: number;
  pagesWritten: number;
}

export interface RootfsDiffEntry {
  path: string;
  size: number;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'deleted';
}

/** What sees the checkpoint's bytes as they stream past. */
export interface CheckpointVisitor {
  /** Every dumped page run of every process, in chunks by virtual address (a chunk never spans two runs). */
  memory?: MemoryVisitor;
  /** Every regular file of rootfs-diff.tar, with its body (read it or not). */
  rootfsFile?(path: string, size: number, body: AsyncIterable<Buffer>): Promise<void>;
}

export interface InspectOptions extends ReadContentsOptions {
  /** Only this process and its descendants in contents.processes. */
  pid?: number;
}

const CHECKPOINT_DIR = `${ArchiveEntry.CheckpointDir}/`;
const STATS_DUMP = 'stats-dump';
const DELETED_FILES = 'deleted.files';

/** What the checkpoint `ref` holds (see CheckpointInspection). */
export function inspectCheckpoint(places: CheckpointPlaces, ref: ImageReference, options: InspectOptions = {}): Promise<CheckpointInspection> {
  return visitCheckpoint(places, ref, {}, options);
}

/** inspectCheckpoint, with `visitor` shown the memory pages and the changed files on the way. */
export function visitCheckpoint(places: CheckpointPlaces, ref: ImageReference, visitor: CheckpointVisitor, options: InspectOptions = {}): Promise<CheckpointInspection> {
  return withCheckpointSource(places, ref, options, (opened) => readOpened(opened, visitor, options));
}

async function readOpened(opened: OpenedCheckpoint, visitor: CheckpointVisitor, options: InspectOptions): Promise<CheckpointInspection> {
  const { what, source } = opened;
  const limits: TarEntryOptions = options;
  const open = async (): Promise<{ compression: Compression; entries: AsyncIterable<TarEntry> }> =>
    source.kind === 'folder' ? { compression: 'none', entries: folderEntries(source.path, options.signal) } : openEntries(await source.open(), what, limits);
  const summary = new ArchiveSummaryBuilder(what, undefined);
  const contents = new ContentsReader(what, { ...options, onMemory: visitor.memory });
  const rootfsDiff: RootfsDiffEntry[] = [];
  let stats: DumpStats | undefined;
  const { compression, entries } = await open();
  for await (const entry of entries) {
    await summary.add(entry, isMetadata(entry) ? await summary.readMetadata(entry) : undefined);
    if (entry.type !== 'file') continue;
    if (entry.path.startsWith(CHECKPOINT_DIR)) await contents.add(entry.path.slice(CHECKPOINT_DIR.length), entry);
    else if (entry.path === STATS_DUMP) stats = dumpStats(await readMetadataBody(entry, what, MAX_CRIU_IMAGE_BYTES), what, contents);
    else if (entry.path === ArchiveEntry.RootfsDiffTar) rootfsDiff.push(...(await changedFiles(entry, what, limits, visitor)));
    else if (entry.path === DELETED_FILES) rootfsDiff.push(...deletedFiles(await readMetadataBody(entry, what), what));
  }
  const again = source.kind === 'folder' || source.rereadable
    ? async () => inFolder((await open()).entries)
    : undefined;
  const { stats: read, ...found } = await contents.finish(again);
  if (options.pid !== undefined) found.processes = subtree(found.processes, options.pid);
  return {
    reference: what,
    summary: summary.finish(compression),
    contents: found,
    ...(opened.annotations ? { annotations: opened.annotations } : {}),
    missing: opened.missing,
    ...(stats ? { stats } : {}),
    rootfsDiff,
    read: { bytes: opened.bytesRead(), passes: source.kind === 'folder' ? 0 : read.archivePasses },
  };
}

async function* inFolder(entries: AsyncIterable<TarEntry>): AsyncGenerator<{ name: string; entry: TarEntry }> {
  for await (const entry of entries) if (entry.path.startsWith(CHECKPOINT_DIR)) yield { name: entry.path.slice(CHECKPOINT_DIR.length), entry };
}

/** stats-dump, or undefined with a note when it cannot be read (it is only informative). */
function dumpStats(bytes: Buffer, what: string, contents: ContentsReader): DumpStats | undefined {
  try {
    const d = readImage(bytes, 'stats', `${what}: ${STATS_DUMP}`, (e) => onlyEntry(e, 'Stats')).dump ?? {};
    const n = (v: string | number | undefined) => Number(v ?? 0);
    return {
      freezingTimeUs: n(d.freezingTime), frozenTimeUs: n(d.frozenTime), memdumpTimeUs: n(d.memdumpTime), memwriteTimeUs: n(d.memwriteTime),
      pagesScanned: n(d.pagesScanned), pagesSkippedParent: n(d.pagesSkippedParent), pagesWritten: n(d.pagesWritten),
    };
  } catch (err) {
    contents.note(`${STATS_DUMP} could not be read: ${(err as Error).message}`);
    return undefined;
  }
}

/** The entries of rootfs-diff.tar (a tar in the tar, as hostile as the rest), each regular file shown to the visitor. */
async function changedFiles(entry: TarEntry, what: string, limits: TarEntryOptions, visitor: CheckpointVisitor): Promise<RootfsDiffEntry[]> {
  const list: RootfsDiffEntry[] = [];
  const inner = await openEntries(Readable.from(entry.body), `${what}: ${ArchiveEntry.RootfsDiffTar}`, { ...limits, linksAnywhere: true });
  for await (const e of inner.entries) {
    list.push({ path: `/${e.path}`, size: e.size, type: e.type });
    if (e.type === 'file' && visitor.rootfsFile) await visitor.rootfsFile(`/${e.path}`, e.size, e.body);
  }
  return list;
}

/** deleted.files: podman's JSON list of the paths the container deleted. */
function deletedFiles(bytes: Buffer, what: string): RootfsDiffEntry[] {
  let list: unknown;
  try {
    list = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new EngineError('NOT_A_CHECKPOINT_ARCHIVE', `${what}: ${DELETED_FILES} is not valid JSON`, { cause });
  }
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) throw new EngineError('NOT_A_CHECKPOINT_ARCHIVE', `${what}: ${DELETED_FILES} is not a list of paths`);
  return (list as string[]).map((path) => ({ path: path.startsWith('/') ? path : `/${path}`, size: 0, type: 'deleted' }));
}

/** Process `pid` and its descendants, in tree order. */
export function subtree(processes: CheckpointProcess[], pid: number): CheckpointProcess[] {
  if (!processes.some((p) => p.pid === pid)) {
    throw new EngineError('INVALID_ARGUMENT', `the checkpoint has no process ${pid}`, { hint: `its processes are ${processes.map((p) => p.pid).join(', ') || 'none'}` });
  }
  const keep = new Set([pid]);
  // Tree order puts parents first, so one pass finds every descendant.
  return processes.filter((p) => {
    if (p.pid !== pid && keep.has(p.ppid)) keep.add(p.pid);
    return keep.has(p.pid);
  });
}
