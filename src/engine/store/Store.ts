import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { folderTar } from '../image/folderTar.js';
import { buildFromArchive, type BuildOptions, type BuildResult } from '../image/buildFromArchive.js';
import type { GcReport } from '../layout/gc.js';
import { openLayout, withOwnHandle } from '../layout/LayoutStore.js';
import type { Layout } from '../layout/api.js';
import type { VerifyReport } from '../layout/verify.js';
import type { CheckpointImage } from '../podman/checkpointImages.js';
import type { ProgressOptions, RunOptions } from '../podman/exec.js';
import { defaultStorePath, listStoreImages, storeImage } from './storeImages.js';

/** The embedded store: checkpoint images in an OCI image layout on disk, usable with nothing installed. */
export class Store {
  readonly path: string;
  readonly #create: boolean;
  #layout?: Promise<Layout>;

  /** `create: false` for a layout that must exist already (an `oci:PATH` someone named). */
  constructor(path = defaultStorePath(), options: { create?: boolean } = {}) {
    this.path = path;
    this.#create = options.create ?? true;
  }

  /** The layout, opened (and for the embedded store created) on first use. */
  layout(): Promise<Layout> {
    this.#layout ??= openLayout(this.path, { create: this.#create });
    return this.#layout;
  }

  async listCheckpointImages(): Promise<CheckpointImage[]> {
    return listStoreImages(await this.layout());
  }

  /** The checkpoint image tagged `tag`, or undefined when there is no such tag. */
  async checkpointImage(tag: string): Promise<CheckpointImage | undefined> {
    const layout = await this.layout();
    if (!(await layout.tags()).some((t) => t.name === tag)) return undefined;
    return storeImage(layout, tag);
  }

  /**
   * Builds a checkpoint image from an archive (podman, CRI-O or containerd; any compression) or a checkpoint
   * folder, and tags it. A build that fails or is cancelled leaves no blob behind.
   */
  async buildFromArchive(input: string | Readable, tag: string, options: BuildOptions & ProgressOptions): Promise<BuildResult> {
    const source = typeof input === 'string' && (await stat(input).then((s) => s.isDirectory(), () => false)) ? folderTar(input) : input;
    return withOwnHandle((await this.layout()).path, {}, (layout) => buildFromArchive(layout, source, tag, options));
  }

  /** Removes the tag; its blobs go at the next gc. */
  async remove(tag: string, options: RunOptions = {}): Promise<boolean> {
    return (await this.layout()).untag(tag, options);
  }

  async gc(options: RunOptions & { dryRun?: boolean } = {}): Promise<GcReport> {
    return (await this.layout()).gc(options);
  }

  async verify(options: RunOptions = {}): Promise<VerifyReport> {
    return (await this.layout()).verify(options);
  }
}
