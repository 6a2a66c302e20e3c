import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The project root, found upwards from this file wherever the bundler put it. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('project root not found');
    dir = up;
  }
  return dir;
}
