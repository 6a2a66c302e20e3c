import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Pack } from 'tar-stream';
import { openEntries, type TarEntry } from './entries.js';
import { isMetadata, parseJson, readMetadataBody } from './reader.js';

/** Changes a checkpoint's config.dump or spec.dump on the way through (dev container remapping, tests). */
export type MetadataEdit = (name: 'config.dump' | 'spec.dump', value: Record<string, unknown>) => Record<string, unknown>;

/** Applies `edit` to a metadata entry's bytes (`what` names the archive in errors); unchanged without an edit. */
export function editMetadata(path: string, bytes: Buffer, edit: MetadataEdit | undefined, what: string): Buffer {
  if (!edit || (path !== 'config.dump' && path !== 'spec.dump')) return bytes;
  return Buffer.from(JSON.stringify(edit(path, parseJson(bytes, path, what))));
}

/**
 * One checked entry into a new tar, at its root; `body`, when given, replaces the entry's bytes (metadata read
 * or edited on the way). Modes are podman's for checkpoint files: they hold process memory.
 */
export async function repack(tar: Pack, entry: TarEntry, body?: Buffer): Promise<void> {
  const header = {
    name: entry.path,
    type: entry.type,
    size: entry.type !== 'file' ? 0 : (body?.length ?? entry.size),
    mode: entry.type === 'directory' ? 0o700 : entry.type === 'symlink' ? 0o777 : 0o600,
    // A fixed time makes the same archive give the same layer, so stores and registries share it.
    mtime: new Date(0),
    linkname: entry.linkTarget,
  };
  await new Promise<void>((resolve, reject) => {
    const sink = tar.entry(header, (err) => (err ? reject(err) : resolve()));
    if (entry.type !== 'file') return;
    if (body) sink.end(body);
    else pipeline(Readable.from(entry.body), sink).catch(reject);
  });
}

/** A checkpoint tar with its metadata edited, every entry checked on the way, as a new uncompressed tar. */
export async function editedTar(input: Readable, what: string, edit: MetadataEdit, signal?: AbortSignal): Promise<Readable> {
  const { entries } = await openEntries(input, what, { signal });
  const tar = tarPack();
  void (async () => {
    try {
      for await (const entry of entries) {
        const body = isMetadata(entry) ? editMetadata(entry.path, await readMetadataBody(entry, what), edit, what) : undefined;
        await repack(tar, entry, body);
      }
      tar.finalize();
    } catch (err) {
      tar.destroy(err as Error);
    }
  })();
  // tar-stream's Pack is a streamx Readable; its typings do not say so.
  return tar as unknown as Readable;
}
