/** A checkpoint's processes as their tree, for the VS Code tree and the inspect page alike. */
import type { CheckpointProcess } from '../engine/index.js';

export interface ProcessForest {
  /** Those whose parent is not in the checkpoint (the container's first process), in checkpoint order. */
  roots: CheckpointProcess[];
  /** The processes under `p`, in checkpoint order. */
  children(p: CheckpointProcess): CheckpointProcess[];
}

/**
 * Each process under its parent, every process exactly once. A hostile pstree may loop (a process its own
 * ancestor) or repeat a PID: a loop no root reaches gets its first process made a root, and a process reached
 * again is not shown twice, so walking the tree always ends.
 */
export function processForest(processes: CheckpointProcess[]): ProcessForest {
  const pids = new Set(processes.map((p) => p.pid));
  const isRoot = (p: CheckpointProcess) => p.ppid === p.pid || !pids.has(p.ppid);
  const byParent = new Map<number, CheckpointProcess[]>();
  for (const p of processes) {
    if (isRoot(p)) continue;
    const siblings = byParent.get(p.ppid);
    if (siblings) siblings.push(p);
    else byParent.set(p.ppid, [p]);
  }
  const under = new Map<CheckpointProcess, CheckpointProcess[]>();
  const placed = new Set<CheckpointProcess>();
  // Breadth first, so of two processes with one PID the first gets the children.
  const place = (root: CheckpointProcess) => {
    placed.add(root);
    const queue = [root];
    for (let i = 0; i < queue.length; i++) {
      const p = queue[i]!;
      const kids = (byParent.get(p.pid) ?? []).filter((c) => !placed.has(c));
      for (const c of kids) {
        placed.add(c);
        queue.push(c);
      }
      under.set(p, kids);
    }
  };
  const roots = processes.filter(isRoot);
  roots.forEach(place);
  for (const p of processes) {
    if (placed.has(p)) continue;
    roots.push(p);
    place(p);
  }
  return { roots, children: (p) => under.get(p) ?? [] };
}
