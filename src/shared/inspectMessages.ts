import type { CheckpointInspection, InspectModel, MemoryMatch, ProcessMemory } from '../engine/index.js';

/** What is inside the checkpoint, as the page knows it: being read, read, or why not. */
export type ContentsView =
  | { state: 'reading' }
  | { state: 'read'; inspection: CheckpointInspection; /** Per process: pages held and bytes mapped by kind. */ memory: ProcessMemory[] }
  | { state: 'failed'; message: string; hint?: string; cancelled: boolean };

/** A memory search as the page asks for it: a text (or a regular expression), in one process or all. */
export interface MemoryQuery {
  text: string;
  regex: boolean;
  pid?: number;
}

export type MemorySearchView =
  | { state: 'searching'; query: MemoryQuery }
  | { state: 'done'; query: MemoryQuery; matches: MemoryMatch[]; truncated: boolean }
  | { state: 'failed'; query: MemoryQuery; message: string; hint?: string };

/** Messages between the inspect webview and the extension host (both sides import these types). */
export type ToInspectView = { type: 'model'; model: InspectModel; hostKnown: boolean; contents: ContentsView; search?: MemorySearchView };
export type FromInspectView =
  | { type: 'ready' }
  | { type: 'copyJson' }
  /** Stop reading the checkpoint (or searching its memory). */
  | { type: 'cancel' }
  | { type: 'searchMemory'; query: MemoryQuery };
