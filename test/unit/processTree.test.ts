/**
 * The process tree as the VS Code tree and the inspect page draw it (shared/processTree.ts): each process under
 * its parent, and, from a hostile pstree, every process exactly once: loops, repeated PIDs and deep chains.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckpointProcess } from '../../src/engine/index.js';
import { processForest, type ProcessForest } from '../../src/shared/processTree.js';

function processOf(pid: number, ppid: number): CheckpointProcess {
  return { pid, ppid, pgid: 1, sid: 1, threads: [pid], comm: `p${pid}`, state: 'alive', seccomp: 'disabled', fds: [], memory: { vmas: [], dumpedBytes: 0 } };
}

/** The forest as nested PIDs, walked without recursion. */
function shape({ roots, children }: ProcessForest): string {
  const out: string[] = [];
  const todo: Array<[CheckpointProcess, number]> = roots.map((p): [CheckpointProcess, number] => [p, 0]).reverse();
  while (todo.length) {
    const [p, depth] = todo.pop()!;
    out.push(`${' '.repeat(depth)}${p.pid}`);
    todo.push(...children(p).map((c): [CheckpointProcess, number] => [c, depth + 1]).reverse());
  }
  return out.join('\n');
}

describe('processForest', () => {
  it('puts each process under its parent, in checkpoint order', () => {
    const forest = processForest([processOf(1, 0), processOf(7, 1), processOf(8, 1), processOf(9, 7)]);
    assert.equal(shape(forest), '1\n 7\n  9\n 8');
  });

  it('a loop no root reaches gets its first process as a root, and ends', () => {
    const forest = processForest([processOf(1, 7), processOf(7, 1), processOf(3, 0)]);
    assert.equal(shape(forest), '3\n1\n 7');
  });

  it('a repeated PID: both are shown, their children once', () => {
    const [a, b] = [processOf(5, 1), processOf(5, 1)];
    const forest = processForest([processOf(1, 0), a, b, processOf(6, 5)]);
    assert.equal(shape(forest), '1\n 5\n  6\n 5');
    assert.notEqual(forest.children(forest.roots[0]!)[0], forest.children(forest.roots[0]!)[1]);
  });

  it('100,000 children of one process', () => {
    const forest = processForest([processOf(1, 0), ...Array.from({ length: 100_000 }, (_, i) => processOf(i + 2, 1))]);
    assert.equal(forest.children(forest.roots[0]!).length, 100_000);
  });

  it('a chain 100,000 deep is built without recursion', () => {
    const chain = Array.from({ length: 100_000 }, (_, i) => processOf(i + 1, i));
    const forest = processForest(chain);
    let depth = 0;
    for (let p = forest.roots[0]; p; p = forest.children(p)[0]) depth++;
    assert.equal(depth, 100_000);
  });
});
