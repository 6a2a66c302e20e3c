import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../src/engine/index.js';
import { checkpointArgs } from '../../src/engine/podman/checkpoint.js';
import { restoreArgs } from '../../src/engine/podman/restore.js';

describe('checkpointArgs', () => {
  it('maps every option and ends with -- before the container name', () => {
    assert.deepEqual(
      checkpointArgs('-weird', { kind: 'image', name: 'localhost/a:1' }, {
        leaveRunning: true, keep: true, tcpEstablished: true, fileLocks: true,
      }),
      ['container', 'checkpoint', '--print-stats', '--leave-running', '--keep', '--tcp-established', '--file-locks',
        '--create-image', 'localhost/a:1', '--', '-weird'],
    );
  });

  it('exports with zstd by default and the chosen compression otherwise', () => {
    assert.deepEqual(checkpointArgs('c', { kind: 'archive', path: '/tmp/a.tar.zst' }).slice(3),
      ['--export', '/tmp/a.tar.zst', '--compress', 'zstd', '--', 'c']);
    assert.deepEqual(checkpointArgs('c', { kind: 'archive', path: '/tmp/a.tar', compression: 'none' }).slice(3),
      ['--export', '/tmp/a.tar', '--compress', 'none', '--', 'c']);
  });

  it('never combines --export and --create-image', () => {
    for (const target of [{ kind: 'image', name: 'x' }, { kind: 'archive', path: '/x' }] as const) {
      const args = checkpointArgs('c', target);
      assert.ok(!(args.includes('--export') && args.includes('--create-image')));
    }
  });

  it('rejects an empty image name and a relative archive path', () => {
    assert.throws(() => checkpointArgs('c', { kind: 'image', name: ' ' }), (e) => isEngineError(e, 'INVALID_ARGUMENT'));
    assert.throws(() => checkpointArgs('c', { kind: 'archive', path: 'rel.tar' }), (e) => isEngineError(e, 'INVALID_ARGUMENT'));
  });
});

describe('restoreArgs', () => {
  it('restores an image under a new name with ports', () => {
    assert.deepEqual(
      restoreArgs({ kind: 'image', ref: 'localhost/a:1' }, { name: 'b', publish: ['8080:80', '9090:90'], ignoreStaticIp: true, ignoreStaticMac: true, keep: true }),
      ['container', 'restore', '--print-stats', '--keep', '--ignore-static-ip', '--ignore-static-mac', '--name', 'b',
        '--publish', '8080:80', '--publish', '9090:90', '--', 'localhost/a:1'],
    );
  });

  it('imports an archive without a positional argument', () => {
    assert.deepEqual(restoreArgs({ kind: 'archive', path: '/a.tar' }, { name: 'n' }).slice(3), ['--name', 'n', '--import', '/a.tar']);
  });

  it('refuses a new name or ports for an in-place restore', () => {
    assert.throws(() => restoreArgs({ kind: 'container', nameOrId: 'c' }, { name: 'x' }), (e) => isEngineError(e, 'INVALID_ARGUMENT'));
    assert.throws(() => restoreArgs({ kind: 'container', nameOrId: 'c' }, { publish: ['1:1'] }), (e) => isEngineError(e, 'INVALID_ARGUMENT'));
    assert.deepEqual(restoreArgs({ kind: 'container', nameOrId: 'c' }, { tcpEstablished: true }).slice(3), ['--tcp-established', '--', 'c']);
  });

  it('refuses a new name with established TCP, as podman does', () => {
    assert.throws(() => restoreArgs({ kind: 'image', ref: 'i' }, { name: 'x', tcpEstablished: true }), /TCP/);
  });
});
