import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { editedTar, type MetadataEdit } from '../archive/repack.js';
import { hostHookAnnotations, sanitizingEdit } from '../archive/sanitize.js';
import { folderTar } from '../image/folderTar.js';
import type { Podman } from '../podman/Podman.js';
import type { RestoreOptions, RestoreResult } from '../podman/restore.js';
import { withTempFolder } from '../tempFolder.js';

export interface SanitizedRestoreOptions extends RestoreOptions {
  /** A further change to the sanitized metadata (the dev container's workspace remapping). */
  edit?: MetadataEdit;
  /** The user chose to restore a checkpoint that ran in the host's network namespace in it again. */
  hostNetwork?: boolean;
}

/**
 * Restores a checkpoint image (in podman's storage) or an archive from a copy the engine wrote itself: every
 * entry checked, config.dump and spec.dump sanitized (no hooks, no privileges or capabilities beyond podman's
 * defaults, no host namespaces, devices or sysctls, no annotations that make the host act) and then edited.
 * Podman never reads the original bytes, so what it restores is what was checked.
 */
export async function restoreSanitized(
  podman: Podman,
  source: { kind: 'image'; ref: string } | { kind: 'archive'; path: string },
  options: SanitizedRestoreOptions = {},
): Promise<RestoreResult> {
  const { edit: then, hostNetwork, ...restoreOptions } = options;
  const edit = sanitizingEdit({ hookAnnotations: await hostHookAnnotations(), hostNetwork }, then);
  return withTempFolder('restore', async (dir) => {
    const archive = join(dir, 'checkpoint.tar');
    options.onStage?.('writing a checked copy of the checkpoint');
    const write = async (input: Readable, what: string) => {
      await pipeline(await editedTar(input, what, edit, options.signal), createWriteStream(archive, { mode: 0o600 }), { signal: options.signal });
    };
    if (source.kind === 'image') await podman.withMountedImage(source.ref, (folder) => write(folderTar(folder), source.ref), options);
    else await write(createReadStream(source.path), source.path);
    return podman.restore({ kind: 'archive', path: archive }, restoreOptions);
  });
}
