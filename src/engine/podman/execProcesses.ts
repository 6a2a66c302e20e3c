import type { PodmanExec, RunOptions } from './exec.js';

export interface ContainerProcess {
  pid: number;
  ppid: number;
  command: string;
}

/** Parses `podman top CONTAINER pid ppid args` (columns of numbers, then the command line). */
export function parseTop(output: string): ContainerProcess[] {
  return output
    .split('\n')
    .slice(1)
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*?)\s*$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), command: m[3]! }));
}

/**
 * The processes a checkpoint will leave out: CRIU saves the tree under the container's first process, and a
 * process started with `podman exec` (a VS Code terminal in a dev container, a debugger attached through exec)
 * hangs off no one inside the container. They and their children are lost; the restore has only the rest.
 */
export function processesOutsideTree(processes: ContainerProcess[]): ContainerProcess[] {
  const outside = new Set(processes.filter((p) => p.ppid === 0 && p.pid !== 1).map((p) => p.pid));
  // Children come after their parents in pid order almost always; repeat until nothing changes to be sure.
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of processes) {
      if (!outside.has(p.pid) && outside.has(p.ppid)) {
        outside.add(p.pid);
        grew = true;
      }
    }
  }
  return processes.filter((p) => outside.has(p.pid));
}

export async function execProcesses(exec: PodmanExec, container: string, options: RunOptions = {}): Promise<ContainerProcess[]> {
  const out = await exec.podman(['top', '--', container, 'pid', 'ppid', 'args'], `listing the processes of ${container}`, options);
  return processesOutsideTree(parseTop(out));
}
