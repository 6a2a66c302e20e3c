import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError } from '../errors.js';
import { buildFromArchive, type BuildOptions } from '../image/buildFromArchive.js';
import type { Layout } from '../layout/api.js';
import { openLayout, withOwnHandle } from '../layout/LayoutStore.js';
import type { Descriptor } from '../oci/types.js';
import type { HostFacts } from '../podman/hostFacts.js';
import type { Podman } from '../podman/Podman.js';
import { formatReference, parseReference, podmanNameFor, type ImageReference } from '../reference.js';
import type { Store } from '../store/Store.js';
import { copyBetweenLayouts, type CopyOptions } from './copyLayout.js';
import { writeArchive } from './writeArchive.js';
import type { RegistryClient } from '../registry/client.js';
import { pullImage } from '../registry/pullImage.js';
import { pushImage } from '../registry/pushImage.js';
import { manifestReference } from '../registry/registryReference.js';

type RegistryImageReference = Extract<ImageReference, { kind: 'registry' }>;
type CopyableReference = Exclude<ImageReference, { kind: 'oci-archive' | 'docker-archive' }>;

export interface CopyContext {
  podman: Podman;
  /** The embedded store, for store:TAG. */
  store: Store;
  /** Facts for images built from archives; read once, when an archive is the source. */
  hostFacts: () => Promise<HostFacts>;
  /** A client for a registry (host[:port]), with the caller's credentials and settings. */
  registry?: (registry: string) => RegistryClient;
}

export interface CopyImageOptions extends CopyOptions, Pick<BuildOptions, 'compression' | 'annotations'> {}

/** A layout to copy from, and what to do once the copy is done or failed. */
interface Source {
  layout: Layout;
  tag: string;
  /** A temporary layout of this copy's own, holding just this image: podman can load it as it is. */
  ownFolder?: string;
  cleanup: () => Promise<void>;
}

/**
 * Copies a checkpoint image between any two places: the embedded store, an OCI layout, podman's storage, a
 * checkpoint archive, a registry. Everything goes through OCI layouts (podman's side through a temporary one it
 * saves or loads), streaming and verified; the destination is named only when all of it arrived.
 */
export async function copyImage(ctx: CopyContext, src: ImageReference, dst: ImageReference, options: CopyImageOptions = {}): Promise<Descriptor> {
  if (options.compression !== undefined && !['gzip', 'zstd', 'none'].includes(options.compression)) {
    throw new EngineError('INVALID_ARGUMENT', `compression ${JSON.stringify(options.compression)} is not one of gzip, zstd, none`);
  }
  copyable(src);
  copyable(dst);
  if (src.kind === 'registry' && (dst.kind === 'store' || dst.kind === 'oci')) return pullInto(ctx, src, dst, options);
  // Into an archive, the compression is the archive's; a layer built on the way is a temporary one.
  const from = await openSource(ctx, src, dst.kind === 'archive' ? { ...options, compression: 'none' } : options);
  try {
    if (dst.kind === 'archive') return await writeArchive(from.layout, from.tag, dst.path, options);
    if (dst.kind === 'registry') return await pushImage(from.layout, from.tag, client(ctx, dst), dst.repository, manifestReference(dst), options);
    if (dst.kind === 'podman' && from.ownFolder) {
      // Pulled or built into a folder of our own: podman loads it from there, with no second copy.
      options.onProgress?.({ stage: `loading into podman as ${dst.name}`, bytes: 0, totalBytes: 0 });
      await ctx.podman.loadFromLayout(from.ownFolder, dst.name, { signal: options.signal });
      return await from.layout.resolve(from.tag);
    }
    const finishing = () => options.onProgress?.({ stage: `finishing ${formatReference(dst)}`, bytes: 0, totalBytes: 0 });
    if (dst.kind === 'podman') {
      // Through a temporary layout that podman loads.
      return await inTempDir(async (dir, remove) => {
        try {
          const layout = await openLayout(join(dir, 'oci'), { create: true });
          const descriptor = await copyBetweenLayouts(from.layout, from.tag, layout, 'image', options);
          finishing();
          await ctx.podman.loadFromLayout(join(dir, 'oci'), dst.name);
          return descriptor;
        } finally {
          await remove();
        }
      });
    }
    const path = dst.kind === 'store' ? (await ctx.store.layout()).path : dst.path;
    return await withOwnHandle(path, { create: true }, async (layout) => {
      const descriptor = await copyBetweenLayouts(from.layout, from.tag, layout, dst.tag, options);
      finishing();
      return descriptor;
    });
  } finally {
    await from.cleanup();
  }
}

/**
 * The podman name of the image `text` (a podman name, store:TAG or docker://HOST/REPO:TAG): podman restores only
 * from its own storage, so an image of the embedded store or a registry is copied there first, under
 * podmanNameFor's name (a failed or cancelled copy names nothing in podman).
 */
export async function intoPodman(ctx: CopyContext, text: string, options: CopyImageOptions = {}): Promise<string> {
  const ref = parseReference(text);
  if (ref.kind !== 'store' && ref.kind !== 'registry') return text;
  const name = podmanNameFor(ref);
  options.onProgress?.({ stage: `copying ${text} into podman as ${name}`, bytes: 0, totalBytes: 0 });
  await copyImage(ctx, ref, { kind: 'podman', name }, options);
  return name;
}

/**
 * A pull straight into the destination layout, through a handle of its own: if the pull fails or is
 * cancelled, that handle gives up the blobs it wrote and they are collected at once, so nothing is left.
 */
async function pullInto(ctx: CopyContext, src: RegistryImageReference, dst: Extract<ImageReference, { kind: 'store' | 'oci' }>, options: CopyImageOptions): Promise<Descriptor> {
  const path = dst.kind === 'store' ? (await ctx.store.layout()).path : dst.path;
  return withOwnHandle(path, { create: true }, (layout) => pullImage(client(ctx, src), src.repository, manifestReference(src), layout, dst.tag, options));
}

/** Image tars are read in place to look inside; copies go through podman, which loads them. */
function copyable(ref: ImageReference): asserts ref is CopyableReference {
  if (ref.kind !== 'oci-archive' && ref.kind !== 'docker-archive') return;
  throw new EngineError('INVALID_ARGUMENT', `${formatReference(ref)}: ckpt reads a ${ref.kind} only to look inside (inspect, mem, diff, scan)`, {
    hint: `load it into podman with \`podman load -i ${ref.path}\`, then copy it from there`,
  });
}

function client(ctx: CopyContext, ref: RegistryImageReference): RegistryClient {
  if (!ctx.registry) throw new EngineError('INVALID_ARGUMENT', `${formatReference(ref)}: registries are not available here`);
  return ctx.registry(ref.registry);
}

/**
 * The source as a layout. Podman's images, a registry's and archives are first saved, pulled or built into a
 * temporary layout of this copy's own, removed when the copy ends, and at once if getting the image there fails.
 */
async function openSource(ctx: CopyContext, ref: CopyableReference, options: CopyImageOptions): Promise<Source> {
  const nothing = async () => {};
  switch (ref.kind) {
    case 'store':
      return { layout: await ctx.store.layout(), tag: ref.tag, cleanup: nothing };
    case 'oci':
      return { layout: await openLayout(ref.path), tag: ref.tag, cleanup: nothing };
    case 'podman':
      return inTempDir(async (dir, cleanup) => {
        await ctx.podman.saveToLayout(ref.name, join(dir, 'oci'), { signal: options.signal });
        const layout = await openLayout(join(dir, 'oci'));
        const [first] = await layout.tags();
        if (!first) throw new EngineError('NOTHING_DONE', `saving ${ref.name} from podman wrote no image`);
        return { layout, tag: first.name, cleanup };
      });
    case 'registry':
      return inTempDir(async (dir, cleanup) => {
        const layout = await openLayout(join(dir, 'oci'), { create: true });
        await pullImage(client(ctx, ref), ref.repository, manifestReference(ref), layout, 'image', options);
        return { layout, tag: 'image', ownFolder: join(dir, 'oci'), cleanup };
      });
    case 'archive':
      return inTempDir(async (dir, cleanup) => {
        const layout = await openLayout(join(dir, 'oci'), { create: true });
        await buildFromArchive(layout, ref.path, 'image', { host: await ctx.hostFacts(), compression: options.compression, annotations: options.annotations, signal: options.signal });
        return { layout, tag: 'image', ownFolder: join(dir, 'oci'), cleanup };
      });
  }
}

/**
 * A private temporary folder (lower-case, because podman names a loaded folder after its path) for `use`, with
 * the function that removes it: `use` hands that on, and if `use` fails or is cancelled the folder goes at once.
 */
async function inTempDir<T>(use: (dir: string, remove: () => Promise<void>) => Promise<T>): Promise<T> {
  const dir = join(tmpdir(), `ckpt-copy-${randomBytes(8).toString('hex')}`);
  await mkdir(dir, { mode: 0o700 });
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    return await use(dir, remove);
  } catch (err) {
    await remove();
    throw err;
  }
}
