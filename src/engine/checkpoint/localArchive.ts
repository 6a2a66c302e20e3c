import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openTar } from '../archive/compression.js';
import { EngineError } from '../errors.js';
import type { ImageReference } from '../reference.js';
import { withTempFolder } from '../tempFolder.js';
import { withCheckpointSource, type CheckpointPlaces } from './source.js';

/** A checkpoint image read into a plain archive, with the manifest annotations the archive does not keep. */
export interface LocalArchive {
  path: string;
  annotations: Record<string, string>;
}

/**
 * Runs `use` on the checkpoint of an image in the embedded store, an OCI layout or a registry, written as a plain
 * checkpoint archive into a private temporary folder: its one layer streamed, checked against its digest and
 * decompressed, once. A restore imports an archive anyway (restoreSanitized), so this spares it loading the image
 * into podman's storage and tarring it back out of a mount: two more copies of the checkpoint, and a
 * recompression. The archive is removed afterwards, also after a failed or cancelled read.
 */
export async function withCheckpointArchive<T>(
  places: CheckpointPlaces,
  ref: Extract<ImageReference, { kind: 'store' | 'oci' | 'registry' }>,
  options: { signal?: AbortSignal },
  use: (archive: LocalArchive) => Promise<T>,
): Promise<T> {
  return withTempFolder('restore', async (dir) => {
    const path = join(dir, 'checkpoint.tar');
    const annotations = await withCheckpointSource(places, ref, options, async (opened) => {
      // Store, layout and registry references always stream their layer; the guard is for the type.
      if (opened.source.kind !== 'tar') throw new EngineError('INVALID_ARGUMENT', `${opened.what}: not a layer to read`);
      const { tar } = await openTar(await opened.source.open(), opened.what, { signal: options.signal });
      await pipeline(tar, createWriteStream(path, { flags: 'wx', mode: 0o600 }), { signal: options.signal });
      return { ...opened.annotations };
    });
    return use({ path, annotations });
  });
}
