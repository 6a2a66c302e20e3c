import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { openTar } from '../archive/compression.js';
import { EngineError } from '../errors.js';
import type { ImageReference } from '../reference.js';
import { withCheckpointSource, type CheckpointPlaces } from './source.js';

/**
 * Writes the checkpoint of an image in the embedded store, an OCI layout or a registry to `path` as a plain
 * checkpoint archive: its one layer streamed, checked against its digest and decompressed, once. A restore
 * imports an archive anyway (restoreSanitized), so this spares it loading the image into podman's storage and
 * tarring it back out of a mount: two more copies of the checkpoint, and a recompression. Returns the image's
 * manifest annotations, which the archive does not keep. A failed or cancelled read leaves a partial file at
 * `path`, which its caller's temporary folder takes away.
 */
export async function writeCheckpointArchive(
  places: CheckpointPlaces,
  ref: Extract<ImageReference, { kind: 'store' | 'oci' | 'registry' }>,
  path: string,
  options: { signal?: AbortSignal } = {},
): Promise<{ annotations: Record<string, string> }> {
  return withCheckpointSource(places, ref, options, async (opened) => {
    // Store, layout and registry references always stream their layer; the guard is for the type.
    if (opened.source.kind !== 'tar') throw new EngineError('INVALID_ARGUMENT', `${opened.what}: not a layer to read`);
    const { tar } = await openTar(await opened.source.open(), opened.what, { signal: options.signal });
    await pipeline(tar, createWriteStream(path, { flags: 'wx', mode: 0o600 }), { signal: options.signal });
    return { annotations: { ...opened.annotations } };
  });
}
