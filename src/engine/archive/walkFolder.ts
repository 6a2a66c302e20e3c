import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { EngineError } from '../errors.js';

/** Every file, folder and symlink under `root`, depth first in name order, with its path relative to `root`. */
export async function* walkFolder(root: string, dir = root): AsyncGenerator<{ path: string; rel: string; stat: Stats }> {
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const stat = await lstat(path);
    if (!stat.isDirectory() && !stat.isSymbolicLink() && !stat.isFile()) {
      throw new EngineError('UNSAFE_ENTRY', `${path} is neither a file, a folder nor a symlink`, {
        hint: 'a checkpoint folder holds only regular files and folders; remove device nodes, sockets and fifos',
      });
    }
    yield { path, rel: relative(root, path), stat };
    if (stat.isDirectory()) yield* walkFolder(root, path);
  }
}
