/**
 * What `ckpt inspect archive:FILE` shows: the archive's summary (container, engine, sizes) and what its CRIU
 * images hold. The JSON of CheckpointInspection is stable: fields are only added within a contents version.
 */
import { readCheckpointArchive, type CheckpointArchiveSummary } from '../archive/reader.js';
import type { CheckpointContents, CheckpointProcess } from './checkpointModel.js';
import { readArchiveContents, type ReadContentsOptions } from './readContents.js';
import { EngineError } from '../errors.js';

export interface CheckpointInspection {
  /** The archive's summary, as `readCheckpointArchive` gives it. */
  summary: CheckpointArchiveSummary;
  contents: CheckpointContents;
}

export interface InspectArchiveOptions extends ReadContentsOptions {
  /** Only this process and its descendants. */
  pid?: number;
}

/** Reads a checkpoint archive's summary and contents (two passes over the file: the summary's, then the images'). */
export async function inspectCheckpointArchive(path: string, options: InspectArchiveOptions = {}): Promise<CheckpointInspection> {
  const summary = await readCheckpointArchive(path, options);
  const { stats: _, ...contents } = await readArchiveContents(path, options);
  if (options.pid !== undefined) contents.processes = subtree(contents.processes, options.pid);
  return { summary, contents };
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
