/** Two checkpoints from anywhere a reference leads, read one after the other and compared. */
import { inspectCheckpoint, type CheckpointInspection } from '../checkpoint/inspectCheckpoint.js';
import type { CheckpointPlaces } from '../checkpoint/source.js';
import { formatReference, type ImageReference } from '../reference.js';
import { diffCheckpoints, type CheckpointDiff } from './checkpointDiff.js';

export interface CompareOptions {
  signal?: AbortSignal;
  /** Called before each side is read, for progress. */
  onReading?(side: 'A' | 'B', reference: string): void;
}

export interface Comparison {
  diff: CheckpointDiff;
  a: CheckpointInspection;
  b: CheckpointInspection;
}

/**
 * Reads A, then B (one at a time, so memory stays that of one read), each with the command lines and
 * environments from its memory pages, and compares them.
 */
export async function compareCheckpoints(places: CheckpointPlaces, refA: ImageReference, refB: ImageReference, options: CompareOptions = {}): Promise<Comparison> {
  const read = (side: 'A' | 'B', ref: ImageReference) => {
    options.onReading?.(side, formatReference(ref));
    return inspectCheckpoint(places, ref, { memory: true, signal: options.signal });
  };
  const a = await read('A', refA);
  const b = await read('B', refB);
  return { diff: diffCheckpoints(a, b), a, b };
}
