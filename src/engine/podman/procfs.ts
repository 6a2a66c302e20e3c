import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename } from 'node:path';

/** One process as /proc shows it: enough to walk a process tree and recognise CRIU. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  cmdline: string[];
}

/** Every process this user can see, read from /proc in one pass; processes that end mid-read are skipped. */
export async function listProcesses(): Promise<ProcessInfo[]> {
  const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number);
  const found = await Promise.all(pids.map(async (pid): Promise<ProcessInfo | undefined> => {
    try {
      const [stat, cmdline] = await Promise.all([readFile(`/proc/${pid}/stat`, 'latin1'), readFile(`/proc/${pid}/cmdline`, 'latin1')]);
      // The command name in parentheses can hold spaces and ')': the fields after the last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return { pid, ppid, cmdline: cmdline.split('\0').filter(Boolean) };
    } catch {
      return undefined;
    }
  }));
  return found.filter((p): p is ProcessInfo => p !== undefined);
}

/**
 * CRIU, however it was started: `criu swrk 3` from runc, or through a loader (`ld-linux… /prefix/sbin/criu …`),
 * where CRIU's path is an argument. Once at work CRIU retitles itself over its arguments ("criu: dump --rpc …").
 */
export function isCriu(p: ProcessInfo): boolean {
  const [first = '', ...rest] = p.cmdline;
  const program = /^ld-linux/.test(basename(first)) ? rest.find((arg, i) => !arg.startsWith('--') && !LOADER_OPTIONS_WITH_VALUE.has(rest[i - 1] ?? '')) : first;
  return program !== undefined && (basename(program) === 'criu' || program.startsWith('criu: '));
}

const LOADER_OPTIONS_WITH_VALUE = new Set(['--library-path', '--preload', '--argv0', '--audit', '--inhibit-rpath']);

/** `pids` and all their descendants, not descending below processes `stopAt` accepts. */
export function processTree(all: readonly ProcessInfo[], pids: Iterable<number>, stopAt: (p: ProcessInfo) => boolean = () => false): Set<number> {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const byPid = new Map(all.map((p) => [p.pid, p]));
  const tree = new Set<number>();
  const queue = [...pids];
  while (queue.length) {
    const pid = queue.pop()!;
    if (tree.has(pid)) continue;
    tree.add(pid);
    const p = byPid.get(pid);
    if (p && stopAt(p)) continue;
    for (const c of children.get(pid) ?? []) queue.push(c.pid);
  }
  return tree;
}

/** Bytes a process has read and written so far (rchar + wchar); 0 when it is gone or unreadable. */
export async function ioBytes(pid: number): Promise<number> {
  try {
    const io = await readFile(`/proc/${pid}/io`, 'latin1');
    return Number(/^rchar:\s*(\d+)/m.exec(io)?.[1] ?? 0) + Number(/^wchar:\s*(\d+)/m.exec(io)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The paths of a process's open files; empty when it is gone or unreadable. */
export async function openFiles(pid: number): Promise<string[]> {
  try {
    const fds = await readdir(`/proc/${pid}/fd`);
    const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
    return links.filter((l) => l.startsWith('/'));
  } catch {
    return [];
  }
}

/** Processes in a cgroup whose path names `id` (a container's cgroups carry its ID): a half-restored container's. */
export async function processesInCgroupsOf(id: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number);
  const inside = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cgroup`, 'utf8').then((t) => t.includes(id), () => false)));
  return pids.filter((_, i) => inside[i]);
}

/** SIGKILL, for a process that may have ended already. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone: nothing to stop.
  }
}
