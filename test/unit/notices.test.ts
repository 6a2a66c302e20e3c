import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PreflightFinding, PreflightReport } from '../../src/engine/index.js';
import { lostProcessesNotice, preflightNotice } from '../../src/extension/commands/notices.js';

function report(findings: PreflightFinding[]): PreflightReport {
  return {
    source: 'localhost/web:bug',
    findings,
    canRestore: !findings.some((f) => f.severity === 'error'),
    contents: {} as PreflightReport['contents'],
    annotations: {},
    restoreName: 'web',
  };
}

const workspaceMount: PreflightFinding = {
  severity: 'info',
  check: 'bind-mount',
  message: 'host path /home/bob/shop (recorded as /home/alice/shop) is mounted at /workspaces/shop (read-write), inside the workspace',
};
const otherBuild: PreflightFinding = {
  severity: 'warning',
  check: 'base-image',
  message: 'the base image docker.io/library/node:20 here is another build',
  hint: 'pull or load the exact image if the restore misbehaves',
};
const etc: PreflightFinding = {
  severity: 'error',
  check: 'bind-mount',
  message: "the checkpoint asks to bind-mount the host's /etc at /host-etc (read-write)",
  hint: 'a checkpoint image must not reach into the host like this',
};

describe('the dialog before a restore', () => {
  it('is not shown when the preflight found nothing', () => {
    assert.equal(preflightNotice(report([]), 'localhost/web:bug'), undefined);
  });

  it('refuses on any error, listing errors first, each with its hint', () => {
    const notice = preflightNotice(report([workspaceMount, otherBuild, etc]), 'localhost/web:bug');
    assert.equal(notice?.kind, 'refuse');
    assert.equal(notice?.message, 'Cannot restore localhost/web:bug: the preflight found 1 problem');
    assert.equal(
      notice?.detail,
      [
        "Error: the checkpoint asks to bind-mount the host's /etc at /host-etc (read-write)\n→ a checkpoint image must not reach into the host like this",
        'Warning: the base image docker.io/library/node:20 here is another build\n→ pull or load the exact image if the restore misbehaves',
        `Note: ${workspaceMount.message}`,
      ].join('\n\n'),
    );
  });

  it('asks about warnings, and about notes alone (host paths the container will mount)', () => {
    const warned = preflightNotice(report([otherBuild, workspaceMount]), 'the image');
    assert.equal(warned?.kind, 'confirm');
    assert.equal(warned?.message, 'Restore the image despite 1 warning?');
    const noted = preflightNotice(report([workspaceMount]), 'the image as the dev container of shop');
    assert.equal(noted?.kind, 'confirm');
    assert.equal(noted?.message, 'Restore the image as the dev container of shop? Check what it will use on this host');
    assert.equal(noted?.detail, `Note: ${workspaceMount.message}`);
  });
});

describe('the warning before a checkpoint that leaves processes out', () => {
  it('is not shown when every process descends from the main one', () => {
    assert.equal(lostProcessesNotice('web', []), undefined);
  });

  it('names the first few by pid and command, and counts the rest', () => {
    const lost = Array.from({ length: 7 }, (_, i) => ({ pid: 100 + i, ppid: 0, command: i === 0 ? `node ${'x'.repeat(200)}` : `sleep ${i}` }));
    const notice = lostProcessesNotice('web', lost);
    assert.equal(notice?.kind, 'confirm');
    assert.equal(notice?.message, '7 processes in web will not be in the checkpoint');
    const listed = notice!.detail.split('\n\n')[1]!.split('\n');
    assert.deepEqual(listed, [`100  node ${'x'.repeat(95)}…`, '101  sleep 1', '102  sleep 2', '103  sleep 3', '104  sleep 4', '… and 2 more']);
    assert.equal(lostProcessesNotice('web', [lost[1]!])?.message, '1 process in web will not be in the checkpoint');
  });
});
