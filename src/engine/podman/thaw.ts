import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * The freezer files of a process's cgroups: cgroup v1's `freezer.state` and v2's `cgroup.freeze` (unified at
 * the root, or under `unified/` in the hybrid layout).
 */
export async function freezerFiles(pid: number): Promise<{ v1?: string; v2?: string }> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return {};
  }
  const files: { v1?: string; v2?: string } = {};
  for (const line of text.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined || path.includes('..')) continue;
    if (controllers!.split(',').includes('freezer')) files.v1 = join(CGROUP_ROOT, 'freezer', path, 'freezer.state');
    if (controllers === '') {
      const pureV2 = await access(join(CGROUP_ROOT, 'cgroup.controllers')).then(() => true, () => false);
      files.v2 = join(CGROUP_ROOT, pureV2 ? '' : 'unified', path, 'cgroup.freeze');
    }
  }
  return files;
}

/**
 * Thaws the cgroup of a container's first process. CRIU freezes the whole container through its cgroup; when
 * CRIU is stopped half-way nobody thaws it, and the container would stay frozen. True when it was frozen.
 */
export async function thawProcessCgroup(pid: number): Promise<boolean> {
  if (pid <= 0) return false;
  const { v1, v2 } = await freezerFiles(pid);
  let thawed = false;
  if (v1) {
    const state = (await readFile(v1, 'utf8').catch(() => '')).trim();
    if (state && state !== 'THAWED') thawed = await writeFile(v1, 'THAWED').then(() => true, () => false);
  }
  if (v2) {
    const frozen = (await readFile(v2, 'utf8').catch(() => '')).trim() === '1';
    if (frozen) thawed = (await writeFile(v2, '0').then(() => true, () => false)) || thawed;
  }
  return thawed;
}
