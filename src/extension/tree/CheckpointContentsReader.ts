import * as vscode from 'vscode';
import {
  describeError,
  inspectCheckpoint,
  parseReference,
  searchCheckpointMemory,
  type CheckpointInspection,
  type CheckpointPlaces,
  type MemoryReport,
  type MemorySearchOptions,
} from '../../engine/index.js';

/** One checkpoint image to read: how the engine names it, and what identifies its contents. */
export interface ContentsTarget {
  /** A podman name, store:TAG or docker://HOST/REPO:TAG. */
  ref: string;
  /** The manifest digest or image ID: the same key means the same checkpoint, under any name. */
  key: string;
}

/** Where a read shows its progress: on a tree view, or as a notification with a Cancel button. */
export type ReadProgress = { viewId: string } | { notification: string };

interface Entry {
  inspection: Promise<CheckpointInspection>;
  abort: AbortController;
}

/** Kept reads: enough for the images a person looks through, small enough that old ones do not pile up. */
const KEEP = 16;

/**
 * What is inside checkpoint images, read once per image (processes with command lines and environment, files,
 * sockets, mounts, rootfs changes) and shared by the tree and the inspect page. A registry tag's layer is
 * streamed, never stored. A failed or cancelled read is forgotten, so the next expand tries again.
 */
export class CheckpointContentsReader {
  readonly #reads = new Map<string, Entry>();

  constructor(
    private readonly places: () => CheckpointPlaces,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The image's contents: a read already made or under way, or a new one shown where `progress` says. */
  read(target: ContentsTarget, progress: ReadProgress): Promise<CheckpointInspection> {
    const kept = this.#reads.get(target.key);
    if (kept) {
      // Most recently used last, so the oldest read is the one dropped.
      this.#reads.delete(target.key);
      this.#reads.set(target.key, kept);
      return kept.inspection;
    }
    const abort = new AbortController();
    const read = () => {
      const started = Date.now();
      return inspectCheckpoint(this.places(), parseReference(target.ref), { memory: true, signal: abort.signal }).then((inspection) => {
        this.log.info(`Read ${target.ref}: ${inspection.contents.processes.length} processes, ${inspection.read.bytes} bytes in ${Date.now() - started} ms`);
        return inspection;
      });
    };
    const shown = 'viewId' in progress ? vscode.window.withProgress({ location: { viewId: progress.viewId } }, read) : withCancel(progress.notification, abort, read);
    const inspection = Promise.resolve(shown).catch((err: unknown) => {
      if (this.#reads.get(target.key)?.abort === abort) this.#reads.delete(target.key);
      this.log.warn(`Reading ${target.ref}: ${describeError(err)}`);
      throw err;
    });
    this.#reads.set(target.key, { inspection, abort });
    for (const key of this.#reads.keys()) if (this.#reads.size > KEEP) this.#reads.delete(key);
    return inspection;
  }

  /** Stops the read of `key` if one is under way (its waiters get the cancellation). */
  cancel(key: string): void {
    this.#reads.get(key)?.abort.abort();
  }

  /** Where a text occurs in the image's memory pages: one more pass over them, as a notification with Cancel. */
  searchMemory(target: ContentsTarget, options: Omit<MemorySearchOptions, 'signal'>, abort: AbortController): Promise<MemoryReport> {
    return withCancel(`Searching the memory of ${target.ref}`, abort, () =>
      searchCheckpointMemory(this.places(), parseReference(target.ref), { ...options, signal: abort.signal }),
    ).catch((err: unknown) => {
      this.log.warn(`Searching ${target.ref}: ${describeError(err)}`);
      throw err;
    });
  }
}

/** `work` under a notification whose Cancel button aborts it. */
async function withCancel<T>(title: string, abort: AbortController, work: () => Promise<T>): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_, token) => {
    token.onCancellationRequested(() => abort.abort());
    return work();
  });
}
