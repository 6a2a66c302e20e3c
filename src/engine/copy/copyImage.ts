import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError } from '../errors.js';
import { buildFromArchive, type BuildOptions } from '../image/buildFromArchive.js';
import type { Layout } from '../layout/api.js';
import { openLayout } from '../layout/LayoutStore.js';
import type { Descriptor } from '../oci/types.js';
import type { HostFacts } from '../podman/hostFacts.js';
import type { Podman } from '../podman/Podman.js';
import { formatReference, type ImageReference } from '../reference.js';
import type { Store } from '../store/Store.js';
import { copyBetweenLayouts, type CopyOptions } from './copyLayout.js';
import { writeArchive } from './writeArchive.js';

export interface CopyContext {
  podman: Podman;
  /** The embedded store, for store:TAG. */
  store: Store;
  /** Facts for images built from archives; read once, when an archive is the source. */
  hostFacts: () => Promise<HostFacts>;
}

export interface CopyImageOptions extends CopyOptions, Pick<BuildOptions, 'compression' | 'annotations'> {}

/** A layout to copy from or into, and what to do once the copy is done or failed. */
interface End {
  layout: Layout;
  tag: string;
  finish: () => Promise<void>;
  cleanup: () => Promise<void>;
}

/**
 * Copies a checkpoint image between any two places: the embedded store, an OCI layout, podman's storage, a
 * checkpoint archive. Everything goes through OCI layouts (podman's side through a temporary one it
 * saves or loads), streaming and verified; the destination is named only when all of it arrived.
 */
export async function copyImage(ctx: CopyContext, src: ImageReference, dst: ImageReference, options: CopyImageOptions = {}): Promise<Descriptor> {
  if (options.compression !== undefined && !['gzip', 'zstd', 'none'].includes(options.compression)) {
    throw new EngineError('INVALID_ARGUMENT', `compression ${JSON.stringify(options.compression)} is not one of gzip, zstd, none`);
  }
  // Into an archive, the compression is the archive's; a layer built on the way is a temporary one.
  const intoArchive = dst.kind === 'archive';
  const from = await openSource(ctx, src, intoArchive ? { ...options, compression: 'none' } : options);
  try {
    if (intoArchive) return await writeArchive(from.layout, from.tag, dst.path, options);
    const to = await openDestination(ctx, dst);
    try {
      const descriptor = await copyBetweenLayouts(from.layout, from.tag, to.layout, to.tag, options);
      options.onProgress?.({ stage: `finishing ${formatReference(dst)}`, bytes: 0, totalBytes: 0 });
      await to.finish();
      return descriptor;
    } finally {
      await to.cleanup();
    }
  } finally {
    await from.cleanup();
  }
}

async function openSource(ctx: CopyContext, ref: ImageReference, options: CopyImageOptions): Promise<End> {
  const nothing = async () => {};
  switch (ref.kind) {
    case 'store':
      return { layout: await ctx.store.layout(), tag: ref.tag, finish: nothing, cleanup: nothing };
    case 'oci':
      return { layout: await openLayout(ref.path), tag: ref.tag, finish: nothing, cleanup: nothing };
    case 'podman': {
      const dir = await tempDir();
      await ctx.podman.saveToLayout(ref.name, join(dir, 'oci'), { signal: options.signal });
      const layout = await openLayout(join(dir, 'oci'));
      const [first] = await layout.tags();
      if (!first) throw new EngineError('NOTHING_DONE', `saving ${ref.name} from podman wrote no image`);
      return { layout, tag: first.name, finish: nothing, cleanup: () => rm(dir, { recursive: true, force: true }) };
    }
    case 'archive': {
      const dir = await tempDir();
      const layout = await openLayout(join(dir, 'oci'), { create: true });
      await buildFromArchive(layout, ref.path, 'image', { host: await ctx.hostFacts(), compression: options.compression, annotations: options.annotations, signal: options.signal });
      return { layout, tag: 'image', finish: nothing, cleanup: () => rm(dir, { recursive: true, force: true }) };
    }
  }
}

async function openDestination(ctx: CopyContext, ref: Exclude<ImageReference, { kind: 'archive' }>): Promise<End> {
  const nothing = async () => {};
  switch (ref.kind) {
    case 'store':
      // The store's handle is shared and stays open; its leases end with the process.
      return { layout: await ctx.store.layout(), tag: ref.tag, finish: nothing, cleanup: nothing };
    case 'oci': {
      const layout = await openLayout(ref.path, { create: true });
      return { layout, tag: ref.tag, finish: nothing, cleanup: () => layout.close() };
    }
    case 'podman': {
      const dir = await tempDir();
      const layout = await openLayout(join(dir, 'oci'), { create: true });
      return {
        layout,
        tag: 'image',
        finish: async () => void (await ctx.podman.loadFromLayout(join(dir, 'oci'), ref.name)),
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    }
  }
}

/** A private temporary folder; lower-case because podman names a loaded folder after its path. */
async function tempDir(): Promise<string> {
  const dir = join(tmpdir(), `ckpt-copy-${randomBytes(8).toString('hex')}`);
  await mkdir(dir, { mode: 0o700 });
  return dir;
}
