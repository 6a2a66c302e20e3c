import * as vscode from 'vscode';
import {
  describeError,
  isEngineError,
  type CheckpointImage,
  type ContainerSummary,
  type HostFacts,
  type Podman,
} from '../engine/index.js';

/** What the views show, loaded from podman in one place so both trees agree and refresh together. */
export class CheckpointModel implements vscode.Disposable {
  containers: ContainerSummary[] = [];
  images: CheckpointImage[] = [];
  host?: HostFacts;
  /** Why nothing could be loaded, for the views' message line. */
  problem?: string;
  readonly #changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.#changed.event;
  #loading?: Promise<void>;
  #again = false;

  constructor(
    private podman: () => Podman,
    private log: vscode.LogOutputChannel,
  ) {}

  /** Reloads; calls made while a load runs fold into one more load after it. */
  load(options: { hostFacts?: boolean } = {}): Promise<void> {
    if (options.hostFacts) this.host = undefined;
    if (this.#loading) {
      this.#again = true;
      return this.#loading;
    }
    this.#loading = this.#load().finally(() => {
      this.#loading = undefined;
      if (this.#again) {
        this.#again = false;
        void this.load();
      }
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    const podman = this.podman();
    try {
      const [host, containers, images] = await Promise.all([
        this.host ? Promise.resolve(this.host) : podman.hostFacts(),
        podman.listContainers(),
        podman.listCheckpointImages(),
      ]);
      Object.assign(this, { host, containers, images, problem: undefined });
    } catch (err) {
      this.log.error(describeError(err));
      this.containers = [];
      this.images = [];
      this.problem = isEngineError(err) ? `${err.message}${err.hint ? ` — ${err.hint}` : ''}` : String(err);
      await this.#setContext('podmanMissing', isEngineError(err, 'PODMAN_NOT_FOUND'));
    }
    if (!this.problem) await this.#setContext('podmanMissing', false);
    await this.#setContext('criuProblem', !!this.host?.criuProblem);
    await this.#setContext('rootless', !!this.host?.rootless);
    this.#changed.fire();
  }

  #setContext(key: string, value: boolean): Thenable<unknown> {
    return vscode.commands.executeCommand('setContext', `checkpointStudio.${key}`, value);
  }

  dispose(): void {
    this.#changed.dispose();
  }
}
