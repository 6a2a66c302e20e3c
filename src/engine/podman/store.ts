import { join } from 'node:path';

/**
 * Podman global flags that keep every container, image and runtime file under one folder, apart from the
 * host's default store. Used by the tests and the demo so they never touch a user's own containers.
 */
export function isolatedStoreArgs(dir: string): string[] {
  return ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp')];
}
