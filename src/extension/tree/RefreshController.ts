import * as vscode from 'vscode';
import type { Podman, PodmanEvent } from '../../engine/index.js';
import type { CheckpointModel } from '../model.js';

const DEBOUNCE_MS = 300;
const RETRY_MS = 5000;
const RELEVANT = new Set(['create', 'start', 'died', 'stop', 'remove', 'checkpoint', 'restore', 'pause', 'unpause',
  'rename', 'tag', 'untag', 'pull', 'save', 'load', 'commit']);

/** Owns every refresh trigger: podman's events, explicit requests after commands, and settings changes. */
export class RefreshController implements vscode.Disposable {
  #timer?: NodeJS.Timeout;
  #watch = new AbortController();
  #disposed = false;

  constructor(
    private readonly model: CheckpointModel,
    private readonly podman: () => Podman,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  start(): void {
    void this.model.load();
    void this.#follow();
  }

  /** Refreshes soon, folding bursts of requests and events into one load. */
  request(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.model.load(), DEBOUNCE_MS);
  }

  /** Refreshes now and waits for it (after a command, so the user sees the result at once). */
  now(options?: { hostFacts?: boolean }): Promise<void> {
    clearTimeout(this.#timer);
    return this.model.load(options);
  }

  /** Follows again with the current podman settings. */
  restart(): void {
    this.#watch.abort();
    this.#watch = new AbortController();
    void this.now({ hostFacts: true });
    void this.#follow();
  }

  async #follow(): Promise<void> {
    const signal = this.#watch.signal;
    while (!signal.aborted && !this.#disposed) {
      try {
        await this.podman().watchEvents((e: PodmanEvent) => {
          if (RELEVANT.has(e.status)) this.request();
        }, { signal });
      } catch (err) {
        if (signal.aborted) return;
        this.log.warn(`podman events stopped: ${(err as Error).message}`);
      }
      // podman events ended (podman missing, or restarted): try again later without spinning.
      await new Promise((r) => setTimeout(r, RETRY_MS).unref());
    }
  }

  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#timer);
    this.#watch.abort();
  }
}
