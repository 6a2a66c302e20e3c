import { checkpointContainer, type CheckpointOptions, type CheckpointResult, type CheckpointTarget } from './checkpoint.js';
import {
  CheckpointImageLister,
  findCheckpointImage,
  removeCheckpointImage,
  type CheckpointImage,
} from './checkpointImages.js';
import { findContainer, listContainers, type ContainerSummary } from './containers.js';
import { PodmanExec, type PodmanOptions, type RunOptions } from './exec.js';
import { readHostFacts, type HostFacts } from './hostFacts.js';
import { hostFactsForBuild } from './localHostFacts.js';
import { loadFromLayout, saveToLayout } from './layoutTransfer.js';
import { watchEvents, type PodmanEvent } from './events.js';
import { restoreContainer, type RestoreOptions, type RestoreResult, type RestoreSource } from './restore.js';
import { imageId, readCheckpointContents, volumeNames, withMountedImage } from './checkpointContents.js';
import { checkHost, type HostCheckOptions, type HostCheckReport } from './hostCheck.js';
import { execProcesses, type ContainerProcess } from './execProcesses.js';
import type { CheckpointArchiveSummary } from '../archive/reader.js';

/** Podman as a place containers and checkpoint images live: the engine's one door to it. */
export class Podman {
  readonly #exec: PodmanExec;
  readonly #images: CheckpointImageLister;

  constructor(options: PodmanOptions = {}) {
    this.#exec = new PodmanExec(options);
    this.#images = new CheckpointImageLister(this.#exec);
  }

  hostFacts(options?: RunOptions): Promise<HostFacts> {
    return readHostFacts(this.#exec, options);
  }

  /**
   * Proves this host can checkpoint and restore by doing it (a web server and a forking shell loop, checkpointed into an image
   * and restored as a copy that must go on counting); every step timed. Needs a static busybox for its image.
   */
  checkHost(options?: HostCheckOptions): Promise<HostCheckReport> {
    return checkHost(this.#exec, options);
  }

  /** Host facts for building images: podman's when it runs, else read from the system itself. */
  hostFactsForBuild(options?: RunOptions): Promise<HostFacts> {
    return hostFactsForBuild(this.#exec, options);
  }

  listContainers(options?: RunOptions): Promise<ContainerSummary[]> {
    return listContainers(this.#exec, options);
  }

  container(nameOrId: string, options?: RunOptions): Promise<ContainerSummary | undefined> {
    return findContainer(this.#exec, nameOrId, options);
  }

  /**
   * The command line for a person's view of a container, to run in a terminal: a shell inside it (`sh`, the one
   * shell every image has) or its log, followed. Podman's path, flags and environment as configured.
   */
  terminalCommand(container: string, kind: 'shell' | 'logs'): { file: string; args: string[]; env: Record<string, string> } {
    const tail = kind === 'shell' ? ['exec', '-it', '--', container, 'sh'] : ['logs', '-f', '--', container];
    return { file: this.#exec.podmanPath, args: [...this.#exec.globalArgs, ...tail], env: { ...this.#exec.env } };
  }

  /** Processes a checkpoint of `container` would leave out: those started with exec, and their children. */
  processesOutsideCheckpoint(container: string, options?: RunOptions): Promise<ContainerProcess[]> {
    return execProcesses(this.#exec, container, options);
  }

  /** `container`: a name or ID, or the container as just looked up (then not looked up again). */
  checkpoint(container: string | ContainerSummary, target: CheckpointTarget, options?: CheckpointOptions): Promise<CheckpointResult> {
    return checkpointContainer(this.#exec, container, target, options);
  }

  listCheckpointImages(options?: RunOptions): Promise<CheckpointImage[]> {
    return this.#images.list(options);
  }

  checkpointImage(ref: string, options?: RunOptions): Promise<CheckpointImage | undefined> {
    return findCheckpointImage(this.#exec, ref, options);
  }

  removeCheckpointImage(ref: string, options?: RunOptions): Promise<void> {
    return removeCheckpointImage(this.#exec, ref, options);
  }

  /** What a checkpoint image holds (mounts, labels, base image, sizes), read in place. */
  checkpointContents(image: string, options?: RunOptions): Promise<CheckpointArchiveSummary> {
    return readCheckpointContents(this.#exec, image, options);
  }

  /** Runs `fn` on the checkpoint folder a checkpoint image holds, mounted read-only for the call. */
  withMountedImage<T>(image: string, fn: (folder: string) => Promise<T>, options?: RunOptions): Promise<T> {
    return withMountedImage(this.#exec, image, fn, options);
  }

  imageId(name: string, options?: RunOptions): Promise<string | undefined> {
    return imageId(this.#exec, name, options);
  }

  volumeNames(options?: RunOptions): Promise<string[]> {
    return volumeNames(this.#exec, options);
  }

  restore(source: RestoreSource, options?: RestoreOptions): Promise<RestoreResult> {
    return restoreContainer(this.#exec, source, options);
  }

  /** Writes an image of podman's storage as an OCI layout folder. */
  saveToLayout(name: string, dir: string, options?: RunOptions): Promise<void> {
    return saveToLayout(this.#exec, name, dir, options);
  }

  /** Loads the image of an OCI layout folder into podman's storage as `name`; returns its image ID. */
  loadFromLayout(dir: string, name: string, options?: RunOptions): Promise<string> {
    return loadFromLayout(this.#exec, dir, name, options);
  }

  /** Follows container and image events (checkpoint and restore included) until the signal aborts. */
  watchEvents(onEvent: (event: PodmanEvent) => void, options?: RunOptions): Promise<void> {
    return watchEvents(this.#exec, onEvent, options);
  }
}
