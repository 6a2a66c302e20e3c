import * as vscode from 'vscode';
import {
  describeError,
  isEngineError,
  type CheckpointImage,
  type ContainerSummary,
  type HostCheckReport,
  type HostFacts,
  type Podman,
  type Store,
} from '../engine/index.js';

/** What the views show, loaded from podman in one place so both trees agree and refresh together. */
export class CheckpointModel implements vscode.Disposable {
  containers: ContainerSummary[] = [];
  images: CheckpointImage[] = [];
  /** Checkpoint images in the embedded store. */
  storeImages: CheckpointImage[] = [];
  host?: HostFacts;
  /** Why nothing could be loaded, for the views' message line. */
  problem?: string;
  /** Where and why the last host check failed; undefined once one passed, or before any ran. */
  hostCheckFailure?: { step: string; cause: string };
  readonly #changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.#changed.event;
  #loading?: Promise<void>;
  #queued?: Promise<void>;
  /** Bumped when the host facts are dropped, so a load that began before cannot put back the old ones. */
  #hostGeneration = 0;

  constructor(
    private podman: () => Podman,
    private store: () => Store,
    private log: vscode.LogOutputChannel,
  ) {}

  /**
   * Reloads. A call made while a load runs gets one more load after it (shared by every such call), so
   * whoever awaits sees data read after the call, never the older load in flight.
   */
  load(options: { hostFacts?: boolean } = {}): Promise<void> {
    if (options.hostFacts) this.forgetHost();
    if (!this.#loading) return (this.#loading = this.#run());
    this.#queued ??= this.#loading.then(() => {
      this.#queued = undefined;
      return (this.#loading ??= this.#run());
    });
    return this.#queued;
  }

  /** Drops the host facts (the podman settings changed): the next load reads them again. */
  forgetHost(): void {
    this.host = undefined;
    this.#hostGeneration++;
  }

  #run(): Promise<void> {
    return this.#load().finally(() => (this.#loading = undefined));
  }

  async #load(): Promise<void> {
    // The embedded store needs no podman: it lists whatever happens to podman.
    this.storeImages = await this.store()
      .listCheckpointImages()
      .catch((err: unknown) => {
        this.log.error(`reading the embedded store: ${describeError(err)}`);
        return [];
      });
    const podman = this.podman();
    const generation = this.#hostGeneration;
    try {
      const [host, containers, images] = await Promise.all([
        this.host ? Promise.resolve(this.host) : podman.hostFacts(),
        podman.listContainers(),
        podman.listCheckpointImages(),
      ]);
      Object.assign(this, { containers, images, problem: undefined });
      // Facts read with settings since replaced (another PATH, another CRIU) would outlive the reload queued after.
      if (generation === this.#hostGeneration) this.host = host;
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

  /** Records a host check's outcome for the Containers view and the `checkpointStudio.hostCheckFailed` context. */
  async setHostCheck(report: HostCheckReport): Promise<void> {
    const failed = report.steps.find((s) => !s.ok);
    this.hostCheckFailure = failed ? { step: failed.title, cause: failed.error ? describeError(failed.error) : (failed.detail ?? '') } : undefined;
    await this.#setContext('hostCheckFailed', !!failed);
    this.#changed.fire();
  }

  #setContext(key: string, value: boolean): Thenable<unknown> {
    return vscode.commands.executeCommand('setContext', `checkpointStudio.${key}`, value);
  }

  dispose(): void {
    this.#changed.dispose();
  }
}
