import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCriu, processTree, type ProcessInfo } from '../../src/engine/podman/procfs.js';
import { containerIdOfFolder } from '../../src/engine/podman/restore.js';

const p = (pid: number, ppid: number, ...cmdline: string[]): ProcessInfo => ({ pid, ppid, cmdline });

describe('finding CRIU and its processes in /proc', () => {
  it('recognises CRIU started by runc, through a loader, and retitled at work', () => {
    assert.ok(isCriu(p(1, 0, 'criu', 'swrk', '3')));
    assert.ok(isCriu(p(1, 0, '/prefix/lib/ld-linux-x86-64.so.2', '--library-path', '/prefix/lib', '/prefix/usr/sbin/criu', 'swrk', '3')));
    assert.ok(isCriu(p(1, 0, '/prefix/lib/ld-linux-x86-64.so.2', '--library-path', '/prefix/lib', 'criu: dump --rpc -t 13309')));
    assert.ok(!isCriu(p(1, 0, 'sh', '-c', 'criu check')));
    assert.ok(!isCriu(p(1, 0, '/usr/bin/runc', 'checkpoint', '--image-path', '/x/criu')));
  });

  it('walks a process tree, stopping below the processes it is told to', () => {
    const all = [p(10, 1, 'podman'), p(11, 10, 'runc'), p(12, 11, 'criu', 'swrk'), p(13, 12, 'restored task'), p(20, 1, 'other')];
    assert.deepEqual([...processTree(all, [10])].sort(), [10, 11, 12, 13]);
    assert.deepEqual([...processTree(all, [10], isCriu)].sort(), [10, 11, 12]);
    assert.deepEqual([...processTree(all, [99])], [99]);
  });

  it("takes a container's ID only from podman's runtime folder layout", () => {
    const id = 'a'.repeat(64);
    assert.equal(containerIdOfFolder(`/var/lib/containers/storage/overlay-containers/${id}/userdata`), id);
    assert.equal(containerIdOfFolder(`/var/lib/containers/storage/overlay-containers/${id}/other`), undefined);
    assert.equal(containerIdOfFolder('/tmp/userdata'), undefined);
  });
});
