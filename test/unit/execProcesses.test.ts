import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseTop, processesOutsideTree } from '../../src/engine/index.js';

it('finds the processes started with exec, and their children, that a checkpoint leaves out', () => {
  const top = [
    'PID         PPID        COMMAND',
    '1           0           sh -c while true; do sleep 1; done ',
    '6           1           sleep 1 ',
    '7           0           sh -c while true; do sleep 0.2; done ',
    '14          7           sleep 0.2 ',
    '20          14          cat /dev/zero',
  ].join('\n');
  const processes = parseTop(top);
  assert.equal(processes.length, 5);
  assert.deepEqual(processesOutsideTree(processes).map((p) => `${p.pid} ${p.command}`), ['7 sh -c while true; do sleep 0.2; done', '14 sleep 0.2', '20 cat /dev/zero']);
  assert.deepEqual(processesOutsideTree(processes.slice(0, 2)), []);
});
