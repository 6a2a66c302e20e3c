import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { compressor, openTar, type Compression } from '../archive/compression.js';
import { editedTar, type MetadataEdit } from '../archive/repack.js';
import { EngineError, cancelled } from '../errors.js';
import type { Layout } from '../layout/api.js';
import { syncDir } from '../layout/files.js';
import type { Descriptor } from '../oci/types.js';
import { isCheckpointAnnotations } from '../podman/checkpointImages.js';
import { manifestOf } from '../store/storeImages.js';
import type { CopyOptions } from './copyLayout.js';

export interface WriteArchiveOptions extends CopyOptions {
  /** zstd by default, as `podman container checkpoint --export`. */
  compression?: Compression;
  /** Changes config.dump / spec.dump on the way (every entry is then re-packed and checked). */
  editMetadata?: MetadataEdit;
}

/**
 * Writes the checkpoint image tagged `tag` as a checkpoint archive, the file `podman container restore --import`
 * takes: podman's image layer holds exactly the export's files at its root, so the layer's tar is the archive's,
 * recompressed. The blob is verified against its digest on the way; the file appears, whole, only at the end
 * (and readable by its owner only: it holds process memory).
 */
export async function writeArchive(layout: Layout, tag: string, file: string, options: WriteArchiveOptions = {}): Promise<Descriptor> {
  const { signal } = options;
  const top = await layout.resolve(tag);
  const { manifest } = await manifestOf(layout, top);
  if (!isCheckpointAnnotations(manifest.annotations ?? {})) {
    throw new EngineError('NOT_A_CHECKPOINT_IMAGE', `${tag} is not a checkpoint image (its manifest has no checkpoint annotations)`);
  }
  const [layer, ...more] = manifest.layers;
  if (!layer || more.length > 0) {
    throw new EngineError('INVALID_IMAGE', `${tag}: a checkpoint image has one layer, this one has ${manifest.layers.length}`);
  }
  const compression = options.compression ?? 'zstd';
  const stage = `writing ${basename(file)} (${compression})`;
  options.onProgress?.({ stage, bytes: 0, totalBytes: layer.size });
  const blob = await layout.openBlob(layer.digest, { size: layer.size, signal });
  const { tar } = await openTar(blob, `layer ${layer.digest} of ${tag}`, {
    signal,
    onProgress: (bytes) => options.onProgress?.({ stage, bytes, totalBytes: layer.size }),
  });
  const content = options.editMetadata ? await editedTar(tar, `layer of ${tag}`, options.editMetadata, signal) : tar;
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const stages = compression === 'none' ? [] : [compressor(compression)];
  try {
    const out = createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true });
    await (pipeline as (...s: unknown[]) => Promise<void>)(content, ...stages, out, { signal });
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    if (signal?.aborted) throw cancelled(`writing ${file}`, signal);
    throw err;
  }
  await syncDir(dirname(file));
  options.onProgress?.({ stage: `wrote ${basename(file)}`, bytes: layer.size, totalBytes: layer.size });
  return top;
}
