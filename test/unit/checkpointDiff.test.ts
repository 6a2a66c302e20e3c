/**
 * diffCheckpoints and its words: processes matched by PID (and a reused PID named), credentials, files and
 * sockets by fd, environment by name, memory by VMA kind, mounts by mountpoint, rootfs-diff files by path,
 * annotations, the summary; a checkpoint against itself is equal; hostile names stay on one line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeCheckpointDiff, diffCheckpoints, type CheckpointProcess, type DiffableCheckpoint, type OpenFd } from '../../src/engine/index.js';
import { formatSize } from '../../src/shared/format.js';
import { describeFd } from '../../src/shared/openFiles.js';

function proc(pid: number, comm: string, cmdline: string[], extra: Partial<CheckpointProcess> = {}): CheckpointProcess {
  return {
    pid, ppid: pid === 1 ? 0 : 1, pgid: 1, sid: 1, threads: [pid], comm, state: 'alive', seccomp: 'filter',
    creds: { uid: 0, gid: 0, euid: 0, egid: 0, capabilities: { effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'], inheritable: [], bounding: ['CAP_CHOWN'], ambient: [] } },
    cmdline, environment: ['PATH=/bin', 'HOME=/root'], cwd: '/', root: '/',
    fds: [{ fd: 0, kind: 'tty', type: 'pty', path: '/dev/pts/0' }],
    memory: { vmas: [{ start: '0x1000', end: '0x3000', perms: 'rw-p', kind: 'heap' }, { start: '0x7ffd0000', end: '0x7ffd1000', perms: 'rw-p', kind: 'stack' }], dumpedBytes: 8192 },
    ...extra,
  };
}

/** A checkpoint of a shell (1) with a sleep (7) holding a file open; each test changes a copy of it. */
function checkpoint(): DiffableCheckpoint {
  return {
    reference: 'archive:a.tar',
    summary: {
      engine: 'podman', compression: 'zstd', containerName: 'web', containerId: 'c0ffee', imageName: 'localhost/busybox:latest', runtime: 'runc',
      created: new Date('2026-12-01T10:00:00Z'), sizes: { checkpoint: 100_000, memoryPages: 80_000, rootfsDiff: 2048 },
      specAnnotations: { 'io.container.manager': 'libpod' }, labels: { app: 'web' }, tcpConnections: 0,
      mounts: { bind: [], volumes: [] }, entryCount: 20, removedOnRestore: [], refusedOnRestore: [], sharesHostNetwork: false,
    },
    contents: {
      version: 1,
      processes: [
        proc(1, 'sh', ['sh', '-c', 'sleep 100 3>/tmp/held']),
        proc(7, 'sleep', ['sleep', '100'], { fds: [{ fd: 3, kind: 'file', path: '/tmp/held', pos: 0 }, { fd: 4, kind: 'inet', family: 'ipv4', protocol: 'tcp', state: 'listen', local: { address: '0.0.0.0', port: 80 }, remote: { address: '0.0.0.0', port: 0 }, inode: 11 }] }),
      ],
      mounts: [
        { id: 1, parentId: 0, mountpoint: '/', type: 'overlay', source: 'overlay', root: '/', options: 'rw', readOnly: false, external: false },
        { id: 2, parentId: 1, mountpoint: '/proc', type: 'proc', source: 'proc', root: '/', options: 'rw', readOnly: false, external: false },
      ],
      notes: [],
    },
    annotations: { 'io.podman.annotations.checkpoint.name': 'web' },
    missing: [],
    rootfsDiff: [{ path: 'tmp/held', size: 10, type: 'file' }, { path: 'etc/motd', size: 5, type: 'file' }],
  };
}

const copy = (c: DiffableCheckpoint): DiffableCheckpoint => ({ ...structuredClone(c), reference: 'archive:b.tar' });
const text = (a: DiffableCheckpoint, b: DiffableCheckpoint) =>
  describeCheckpointDiff(diffCheckpoints(a, b), { size: formatSize, fd: describeFd }).map((s) => [s.title, ...s.lines.flatMap(function lines(l): string[] {
    return [`${l.sign} ${l.text}`, ...(l.details ?? []).flatMap(lines).map((d) => `  ${d}`)];
  })].join('\n')).join('\n');

describe('diffCheckpoints', () => {
  it('a checkpoint against itself (or a copy) is equal, and nothing is described', () => {
    const a = checkpoint();
    const d = diffCheckpoints(a, copy(a));
    assert.equal(d.version, 1);
    assert.deepEqual([d.a, d.b, d.equal, d.notes], ['archive:a.tar', 'archive:b.tar', true, []]);
    assert.deepEqual(describeCheckpointDiff(d, { size: formatSize, fd: describeFd }), []);
    // Stable: the same inputs give the same JSON.
    assert.equal(JSON.stringify(d), JSON.stringify(diffCheckpoints(a, copy(a))));
  });

  it('processes added, gone and changed, by PID; a PID running another command is named', () => {
    const a = checkpoint();
    const b = copy(a);
    b.contents.processes.push(proc(9, 'sleep', ['sleep', '200']));
    const shell = b.contents.processes[0]!;
    shell.state = 'stopped';
    shell.creds!.euid = 1000;
    shell.creds!.capabilities.effective = [];
    // PID 7 is now another program altogether.
    b.contents.processes[1] = proc(7, 'httpd', ['httpd', '-f'], { ppid: 9 });
    a.contents.processes.push(proc(12, 'cat', ['cat']));
    const d = diffCheckpoints(a, b);
    assert.equal(d.equal, false);
    assert.deepEqual(d.processes.added, [{ pid: 9, ppid: 1, comm: 'sleep', cmdline: ['sleep', '200'] }]);
    assert.deepEqual(d.processes.gone.map((p) => p.pid), [12]);
    const [one, seven] = d.processes.changed;
    assert.deepEqual(one!.fields, [
      { field: 'state', a: 'alive', b: 'stopped' },
      { field: 'euid', a: 0, b: 1000 },
      { field: 'effective capabilities', a: ['CAP_CHOWN'], b: [] },
    ]);
    assert.equal(one!.commandChanged, false);
    assert.equal(seven!.commandChanged, true);
    assert.deepEqual(seven!.fields.map((f) => f.field), ['comm', 'command line', 'ppid']);
    const words = text(a, b);
    assert.match(words, /^\+ \[9\] sleep: sleep 200 \(parent 1\)$/m);
    assert.match(words, /^- \[12\] cat: cat \(parent 1\)$/m);
    assert.match(words, /^~ \[7\] httpd\n {2}~ the same PID runs another command: most likely another process\n {2}~ comm: sleep → httpd$/m);
    assert.match(words, /^ {2}~ euid: 0 → 1000$/m);
    assert.match(words, /^ {2}~ effective capabilities: CAP_CHOWN → \(none\)$/m);
  });

  it('open files and sockets by fd: added, gone, position, state and addresses; CRIU\'s inode numbers are not a change', () => {
    const a = checkpoint();
    const b = copy(a);
    const sleep = b.contents.processes[1]!;
    const [file, socket] = sleep.fds as [OpenFd & { kind: 'file' }, OpenFd & { kind: 'inet' }];
    file.pos = 42;
    socket.state = 'established';
    socket.remote = { address: '10.0.0.2', port: 5555 };
    socket.inode = 99;
    sleep.fds.push({ fd: 5, kind: 'unix', type: 'dgram', state: 'close', name: '/dev/log', inode: 5 });
    b.contents.processes[0]!.fds = [];
    const d = diffCheckpoints(a, b);
    const [shell, seven] = d.processes.changed;
    assert.deepEqual(shell!.fds.gone.map((f) => f.fd), [0]);
    assert.deepEqual(seven!.fds.added.map((f) => f.fd), [5]);
    assert.deepEqual(seven!.fds.changed.map((c) => [c.fd, c.fields]), [[3, ['pos']], [4, ['state', 'remote']]]);
    const words = text(a, b);
    assert.match(words, /^Open files and sockets$/m);
    assert.match(words, /^ {2}~ \[3\] \/tmp\/held\n {4}~ pos: 0 → 42$/m);
    assert.match(words, /^ {4}~ remote: 0\.0\.0\.0:0 → 10\.0\.0\.2:5555$/m);
    assert.match(words, /^ {2}\+ \[5\] UNIX dgram \(close\) \/dev\/log$/m);
    assert.match(words, /^ {2}- \[0\] \/dev\/pts\/0$/m);
  });

  it('environment by name, memory by VMA kind and dumped bytes', () => {
    const a = checkpoint();
    const b = copy(a);
    const shell = b.contents.processes[0]!;
    shell.environment = ['PATH=/usr/bin:/bin', 'TOKEN=x', 'PATH=/ignored'];
    shell.memory.vmas.push({ start: '0x5000', end: '0x9000', perms: 'rw-p', kind: 'heap' }, { start: '0xffffffffff600000', end: '0xffffffffff601000', perms: '--xp', kind: 'vsyscall' });
    shell.memory.dumpedBytes = 12288;
    const d = diffCheckpoints(a, b);
    const [one] = d.processes.changed;
    assert.deepEqual(one!.environment, { added: [{ name: 'TOKEN', value: 'x' }], gone: [{ name: 'HOME', value: '/root' }], changed: [{ name: 'PATH', a: '/bin', b: '/usr/bin:/bin' }] });
    assert.deepEqual(one!.memory, [{ kind: 'heap', a: 8192, b: 24576 }, { kind: 'vsyscall', a: 0, b: 4096 }, { kind: 'dumped', a: 8192, b: 12288 }]);
    const words = text(a, b);
    assert.match(words, /^Environment\n~ \[1\] sh\n {2}\+ TOKEN=x\n {2}- HOME=\/root\n {2}~ PATH: \/bin → \/usr\/bin:\/bin$/m);
    assert.match(words, /^ {2}~ heap: 8\.2 kB → 25 kB$/m);
    assert.match(words, /^ {2}~ pages in the checkpoint: 8\.2 kB → 12 kB$/m);
  });

  it('a command line or environment only one side holds is a note, not a change', () => {
    const a = checkpoint();
    const b = copy(a);
    for (const p of b.contents.processes) {
      delete p.cmdline;
      delete p.environment;
    }
    const d = diffCheckpoints(a, b);
    assert.equal(d.equal, true);
    assert.deepEqual(d.notes, [
      'command lines not compared for PID 1, 7: one side does not hold them',
      'environments not compared for PID 1, 7: one side does not hold them',
    ]);
  });

  it('mounts by mountpoint, rootfs-diff files by path, annotations, labels and the summary', () => {
    const a = checkpoint();
    const b = copy(a);
    b.contents.mounts[1]!.readOnly = true;
    b.contents.mounts[1]!.id = 40;
    b.contents.mounts.push({ id: 3, parentId: 1, mountpoint: '/data', type: 'bind', source: '/srv/data', root: '/', options: 'rw', readOnly: false, external: true });
    b.rootfsDiff = [{ path: 'tmp/held', size: 30, type: 'file' }, { path: 'tmp/new', size: 1, type: 'file' }];
    b.annotations = { 'io.podman.annotations.checkpoint.name': 'web2' };
    b.summary.labels = { app: 'web', tier: 'front' };
    b.summary.specAnnotations = {};
    b.summary.sizes.checkpoint = 2_000_000;
    b.summary.containerName = 'web2';
    const d = diffCheckpoints(a, b);
    assert.deepEqual(d.mounts.added.map((m) => m.mountpoint), ['/data']);
    assert.deepEqual(d.mounts.changed, [{ mountpoint: '/proc', fields: [{ field: 'read-only', a: false, b: true }] }]);
    assert.deepEqual(d.rootfsDiff, {
      added: [{ path: 'tmp/new', size: 1, type: 'file' }],
      gone: [{ path: 'etc/motd', size: 5, type: 'file' }],
      changed: [{ path: 'tmp/held', a: { path: 'tmp/held', size: 10, type: 'file' }, b: { path: 'tmp/held', size: 30, type: 'file' } }],
    });
    assert.deepEqual(d.annotations?.changed, [{ name: 'io.podman.annotations.checkpoint.name', a: 'web', b: 'web2' }]);
    assert.deepEqual(d.labels.added, [{ name: 'tier', value: 'front' }]);
    assert.deepEqual(d.specAnnotations.gone, [{ name: 'io.container.manager', value: 'libpod' }]);
    assert.deepEqual(d.summary, [{ field: 'container name', a: 'web', b: 'web2' }, { field: 'checkpoint size', a: 100_000, b: 2_000_000 }]);
    const words = text(a, b);
    assert.match(words, /^Summary\n~ container name: web → web2\n~ checkpoint size: 100 kB → 2\.0 MB$/m);
    assert.match(words, /^Changed files \(rootfs-diff\)\n\+ tmp\/new \(1 B\)\n- etc\/motd \(5 B\)\n~ tmp\/held: 10 B → 30 B$/m);
    assert.match(words, /^~ \/proc\n {2}~ read-only: no → yes$/m);
  });

  it('an archive against an image: annotations and rootfs-diff files are notes, not all gone', () => {
    const a = checkpoint();
    const b = copy(a);
    delete b.annotations;
    delete b.rootfsDiff;
    b.missing = ['the manifest annotations (a docker-archive keeps none)'];
    const d = diffCheckpoints(a, b);
    assert.equal(d.equal, true);
    assert.equal(d.annotations, undefined);
    assert.equal(d.rootfsDiff, undefined);
    assert.deepEqual(d.notes, [
      'B: the manifest annotations (a docker-archive keeps none)',
      'annotations not compared: B is an archive, which keeps none',
      'rootfs-diff files not compared: they were not read from B',
    ]);
  });

  it('hostile names stay on one line and cannot pose as another entry', () => {
    const a = checkpoint();
    const b = copy(a);
    b.contents.processes.push(proc(66, 'x\n+ [1] sh', ['evil\n+ [2] fake', 'a b']));
    b.summary.labels = { 'app\n~ forged': 'v"\u001b[2K' };
    b.contents.processes[1]!.fds.push({ fd: 9, kind: 'file', path: '/tmp/x\n+ [10] /etc/shadow', pos: 0 });
    const d = diffCheckpoints(a, b);
    const words = text(a, b);
    assert.match(words, /^\+ \[66\] "x\\n\+ \[1\] sh": "evil\\n\+ \[2\] fake" "a b" \(parent 1\)$/m);
    assert.match(words, /^\+ "app\\n~ forged"="v\\"\\u001b\[2K"$/m);
    assert.match(words, /^ {2}\+ \[9\] \/tmp\/x\\n\+ \[10\] \/etc\/shadow$/m);
    assert.equal(words.split('\n').filter((l) => /^ *\+ \[/.test(l)).length, 2, words);
    // The variable named __proto__ is a name like any other.
    b.contents.processes[0]!.environment = ['__proto__=x', 'PATH=/bin', 'HOME=/root'];
    assert.deepEqual(diffCheckpoints(a, b).processes.changed[0]!.environment.added, [{ name: '__proto__', value: 'x' }]);
    assert.equal(d.equal, false);
  });
});
