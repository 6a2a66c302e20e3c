/**
 * What the dialog before a push says from the secrets scan: the secrets by kind and place, with previews only;
 * without any, the first push to a registry still warns (with a note that none were found) and later ones do not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScanReport, SecretFinding } from '../../src/engine/index.js';
import { describeFinding, pushNotice, secretsSummary } from '../../src/extension/commands/pushNotice.js';

const report = (findings: SecretFinding[], capped = false): ScanReport => ({
  reference: 'localhost/web:bug',
  findings,
  capped,
  limit: 1000,
  scanned: { memoryBytes: 1 << 20, files: 1, fileBytes: 10, processes: 2 },
  notes: [],
});

const token: SecretFinding = { kind: 'github-token', where: 'memory', pid: 1, comm: 'sh', pids: [1], address: '0x7f00', addresses: ['0x7f00', '0x7f80'], preview: 'ghp_… (40 chars)', length: 40, count: 2 };
const password: SecretFinding = { kind: 'secret-variable', where: 'environment', name: 'DB_PASSWORD', pid: 1, comm: 'sh', pids: [1, 6], preview: 'aur7… (20 chars)', length: 20, count: 2 };
const key: SecretFinding = { kind: 'private-key', where: 'memory', name: 'RSA PRIVATE KEY', pid: 1, comm: 'sh', pids: [1], address: '0x9000', addresses: ['0x9000'], preview: 'MIIE… (1624 chars)', length: 1624, count: 1 };
const npmrc: SecretFinding = { kind: 'npm-token', where: 'rootfs-diff', path: '/root/.npmrc', preview: 'npm_… (40 chars)', length: 40, count: 1 };

describe('the dialog before a push', () => {
  it('lists the secrets found: kinds counted in the message, each with where it is in the detail', () => {
    const notice = pushNotice('localhost/web:bug', 'registry.example', report([password, token, key, { ...key, address: '0xa000', preview: 'MIIB… (300 chars)' }, npmrc]), true);
    assert.equal(notice?.message, 'localhost/web:bug holds 2 private keys, 1 password-like variable, 1 GitHub token, 1 npm token. Push it to registry.example?');
    assert.deepEqual(notice.detail.split('\n\n')[0]!.split('\n'), [
      '• DB_PASSWORD=aur7… (20 chars) in the environment of processes 1, 6',
      '• GitHub token ghp_… (40 chars) in the memory of process 1 (sh) at 0x7f00, seen 2 times',
      '• private key (RSA PRIVATE KEY) MIIE… (1624 chars) in the memory of process 1 (sh) at 0x9000',
      '• private key (RSA PRIVATE KEY) MIIB… (300 chars) in the memory of process 1 (sh) at 0xa000',
      '• npm token npm_… (40 chars) in /root/.npmrc (a file the container changed)',
    ]);
    assert.match(notice.detail, /Anyone who can pull from the repository can read them\.$/);
  });

  it('shows at most eight and says how many more, and when the scan was capped', () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ ...token, address: `0x${i}000`, preview: `ghp_… (${40 + i} chars)` }));
    const detail = pushNotice('store:web', 'r.example', report(many, true), false)!.detail;
    assert.equal(detail.split('\n').filter((l) => l.startsWith('• ')).length, 8);
    assert.match(detail, /^… and 3 more \(all in the Checkpoint Studio log\)$/m);
    assert.match(detail, /^\(the scan stopped listing after 1000 different secrets\)$/m);
    assert.equal(secretsSummary(many), '11 GitHub tokens');
  });

  it('without secrets: the first push to a registry warns and says the scan found none; later pushes go ahead', () => {
    const first = pushNotice('store:web', 'r.example', report([]), false);
    assert.equal(first?.message, 'Push a checkpoint to r.example?');
    assert.match(first.detail, /secrets, tokens and keys/);
    assert.match(first.detail, /found no secrets\.$/);
    assert.equal(pushNotice('store:web', 'r.example', report([]), true), undefined);
  });

  it('a command-line secret names its process', () => {
    assert.equal(describeFinding({ ...password, where: 'cmdline', name: 'password', pids: [7], pid: 7, comm: 'mysql' }), 'password=aur7… (20 chars) in the command line of process 7 (mysql)');
  });
});
