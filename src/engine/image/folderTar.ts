import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack } from 'tar-stream';
import { EngineError } from '../errors.js';

/**
 * A checkpoint folder (what `podman container checkpoint --keep` leaves, or an extracted archive) as an
 * uncompressed tar stream with the files at its root, in a stable order, so the image builder reads it as it
 * reads any archive (and checks every entry the same way). Only files, folders and symlinks are taken.
 */
export function folderTar(root: string): Readable {
  const tar = tarPack();
  void (async () => {
    try {
      await addFolder(tar, root, root);
      tar.finalize();
    } catch (err) {
      tar.destroy(err as Error);
    }
  })();
  // tar-stream's Pack is a streamx Readable; its typings do not say so.
  return tar as unknown as Readable;
}

async function addFolder(tar: ReturnType<typeof tarPack>, root: string, dir: string): Promise<void> {
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const rel = relative(root, path);
    const st = await lstat(path);
    const mtime = new Date(0);
    if (st.isDirectory()) {
      await entry(tar, { name: rel, type: 'directory', mode: 0o700, mtime });
      await addFolder(tar, root, path);
    } else if (st.isSymbolicLink()) {
      await entry(tar, { name: rel, type: 'symlink', linkname: await readlink(path), mode: 0o777, mtime });
    } else if (st.isFile()) {
      await new Promise<void>((resolve, reject) => {
        const sink = tar.entry({ name: rel, type: 'file', size: st.size, mode: 0o600, mtime }, (err) => (err ? reject(err) : resolve()));
        pipeline(createReadStream(path), sink).catch(reject);
      });
    } else {
      throw new EngineError('UNSAFE_ENTRY', `${path} is neither a file, a folder nor a symlink`, {
        hint: 'a checkpoint folder holds only regular files and folders; remove device nodes, sockets and fifos',
      });
    }
  }
}

function entry(tar: ReturnType<typeof tarPack>, header: Parameters<ReturnType<typeof tarPack>['entry']>[0]): Promise<void> {
  return new Promise((resolve, reject) => tar.entry(header, (err) => (err ? reject(err) : resolve())));
}
