import { createReadStream } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { walkFolder } from '../archive/walkFolder.js';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack } from 'tar-stream';

/**
 * A checkpoint folder (what `podman container checkpoint --keep` leaves, or an extracted archive) as an
 * uncompressed tar stream with the files at its root, in a stable order, so the image builder reads it as it
 * reads any archive (and checks every entry the same way). Only files, folders and symlinks are taken.
 */
export function folderTar(root: string): Readable {
  const tar = tarPack();
  void (async () => {
    try {
      await addFolder(tar, root);
      tar.finalize();
    } catch (err) {
      tar.destroy(err as Error);
    }
  })();
  // tar-stream's Pack is a streamx Readable; its typings do not say so.
  return tar as unknown as Readable;
}

async function addFolder(tar: ReturnType<typeof tarPack>, root: string): Promise<void> {
  const mtime = new Date(0);
  for await (const { path, rel, stat } of walkFolder(root)) {
    if (stat.isDirectory()) await entry(tar, { name: rel, type: 'directory', mode: 0o700, mtime });
    else if (stat.isSymbolicLink()) await entry(tar, { name: rel, type: 'symlink', linkname: await readlink(path), mode: 0o777, mtime });
    else {
      await new Promise<void>((resolve, reject) => {
        const sink = tar.entry({ name: rel, type: 'file', size: stat.size, mode: 0o600, mtime }, (err) => (err ? reject(err) : resolve()));
        pipeline(createReadStream(path), sink).catch(reject);
      });
    }
  }
}

function entry(tar: ReturnType<typeof tarPack>, header: Parameters<ReturnType<typeof tarPack>['entry']>[0]): Promise<void> {
  return new Promise((resolve, reject) => tar.entry(header, (err) => (err ? reject(err) : resolve())));
}
