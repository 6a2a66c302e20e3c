/**
 * `ckpt inspect archive:FILE` on a real podman + runc + CRIU checkpoint of the reference container (a shell
 * with children and a grandchild, a listening httpd, a file held open, syslogd on a unix socket, a known
 * environment variable): the process tree with command lines and environments, the open file, the sockets and
 * the mounts, in JSON and as text, and the same answers checkpointctl 1.3.0 gives on the same archive.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckpointInspection, CheckpointProcess } from '../../src/engine/index.js';
import { ckpt } from '../support/cli.js';
import { ctlCmdline, ctlProcesses, inspectWithCheckpointctl } from '../support/checkpointctl.js';
import { richCheckpoint, type RichCheckpoint } from '../support/richCheckpoint.js';
import { testResources } from '../support/stack.js';

const TIMEOUT = { timeout: 180_000 };

describe('ckpt inspect: inside a real checkpoint archive', { concurrency: false }, () => {
  const res = testResources();
  let rich: RichCheckpoint | undefined;
  /** The reference checkpoint, made once for all the tests here. */
  const reference = async () => (rich ??= await richCheckpoint(res.dir, { onStarted: (name) => res.containers.push(name) }));
  const inspectJson = (archive: string, ...flags: string[]): CheckpointInspection => {
    const r = ckpt('inspect', `archive:${archive}`, ...flags, '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as CheckpointInspection;
  };
  const argv = (p: CheckpointProcess) => p.cmdline?.join(' ');

  it('--all --json: the process tree with command lines and the environment, the open file, the sockets, the mounts', TIMEOUT, async () => {
    const { archive, planted, container } = await reference();
    const { summary, contents } = inspectJson(archive, '--all');
    assert.equal(summary.containerName, container);
    assert.equal(contents.version, 1);
    assert.deepEqual(contents.notes, []);
    const [shell, ...rest] = contents.processes;
    assert.deepEqual([shell!.pid, shell!.comm, shell!.cmdline], [1, 'sh', ['sh', '-c', planted.script]]);
    const byArgv = new Map(rest.map((p) => [argv(p), p]));
    for (const role of ['httpd', 'syslogd', 'holder', 'subshell'] as const) {
      assert.equal(byArgv.get(planted.cmdlines[role])?.ppid, 1, `${role} (${planted.cmdlines[role]}) is a child of the shell: ${[...byArgv.keys()].join(' | ')}`);
    }
    const grandchild = byArgv.get(planted.cmdlines.subshellChild)!;
    assert.equal(grandchild.ppid, byArgv.get(planted.cmdlines.subshell)!.pid);
    for (const p of contents.processes) {
      assert.ok(p.environment?.includes(`${planted.env.name}=${planted.env.value}`), `process ${p.pid} (${p.comm}) carries ${planted.env.name}`);
      assert.equal(p.state, 'alive');
      assert.equal(p.seccomp, 'filter');
    }
    const holder = byArgv.get(planted.cmdlines.holder)!;
    const held = holder.fds.find((f) => f.fd === planted.heldFd);
    assert.deepEqual(held && [held.kind, held.kind === 'file' && held.path], ['file', planted.heldFile]);
    const httpd = byArgv.get(planted.cmdlines.httpd)!;
    assert.ok(httpd.fds.some((f) => f.kind === 'inet' && f.protocol === 'tcp' && f.state === 'listen' && f.local.port === planted.httpPort), JSON.stringify(httpd.fds));
    const syslogd = byArgv.get(planted.cmdlines.syslogd)!;
    assert.ok(syslogd.fds.some((f) => f.kind === 'unix' && f.type === 'dgram' && f.name === planted.unixSocket), JSON.stringify(syslogd.fds));
    const mounts = new Map(contents.mounts.map((m) => [m.mountpoint, m]));
    assert.equal(mounts.get('/')?.type, 'overlay');
    assert.equal(mounts.get('/proc')?.type, 'proc');
    assert.equal(mounts.get('/etc/hosts')?.external, true);
  });

  it('the text tree and --pid', TIMEOUT, async () => {
    const { archive, planted } = await reference();
    const r = ckpt('inspect', `archive:${archive}`, '--all');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^└── Process tree$/m);
    assert.match(r.stdout, /^    └── \[1\]  sh$/m);
    assert.match(r.stdout, new RegExp(`Command line: httpd -f -p ${planted.httpPort} -h /tmp/www$`, 'm'));
    assert.match(r.stdout, new RegExp(`${planted.env.name}=${planted.env.value}$`, 'm'));
    assert.match(r.stdout, new RegExp(`\\[${planted.heldFd}\\] ${planted.heldFile}$`, 'm'));
    assert.match(r.stdout, new RegExp(`TCP \\(listen\\) \\[::\\]:${planted.httpPort} -> \\[::\\]:0$`, 'm'));
    assert.match(r.stdout, /UNIX dgram \(close\) \/dev\/log$/m);
    assert.match(r.stdout, /^ {2}\/proc +proc +proc +rw$/m);
    const { contents } = inspectJson(archive, '--pid', String(inspectJson(archive).contents.processes.find((p) => p.comm === 'httpd')!.pid));
    assert.deepEqual(contents.processes.map((p) => p.comm), ['httpd']);
    const none = ckpt('inspect', `archive:${archive}`, '--pid', '99999');
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /the checkpoint has no process 99999/);
  });

  it('agrees with checkpointctl on the same archive: tree, command lines, environment, files, sockets, mounts', TIMEOUT, async () => {
    const { archive } = await reference();
    const ctl = await inspectWithCheckpointctl(archive);
    const ours = inspectJson(archive, '--all').contents;
    const theirs = ctlProcesses(ctl.process_tree);
    // The same processes with the same parents (siblings come in pstree.img's order there, by PID here).
    const parents = new Map(theirs.flatMap((p) => (p.children ?? []).map((c) => [c.pid, p.pid] as const)));
    const byPid = (a: number[], b: number[]) => a[0]! - b[0]!;
    assert.deepEqual(ours.processes.map((p) => [p.pid, p.ppid]).sort(byPid), theirs.map((p) => [p.pid, parents.get(p.pid) ?? 0]).sort(byPid), 'the same tree');
    assert.deepEqual(ours.processes.map((p) => p.comm).sort(), theirs.map((p) => p.command).sort());
    for (const p of ours.processes) {
      const t = theirs.find((c) => c.pid === p.pid)!;
      assert.equal(argv(p), ctlCmdline(t), `command line of ${p.pid}`);
      assert.deepEqual(Object.fromEntries(p.environment!.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])), t.environment_variables, `environment of ${p.pid}`);
      const files = ctl.file_descriptors?.find((f) => f.pid === p.pid)?.open_files ?? [];
      const regular = (kind: string) => files.filter((f) => f.type === kind).map((f) => [Number(f.fd.split(' ')[1]), f.path]);
      assert.deepEqual(p.fds.filter((f) => f.kind === 'file').map((f) => [f.fd, f.kind === 'file' && f.path]), regular('REG'), `regular files of ${p.pid}`);
      assert.deepEqual(p.fds.filter((f) => f.kind === 'pipe').map((f) => [f.fd, f.kind === 'pipe' && `pipe[${f.pipeId}]`]), regular('PIPE'), `pipes of ${p.pid}`);
      assert.deepEqual([p.cwd, p.root], ['cwd', 'root'].map((fd) => files.find((f) => f.fd === fd)?.path), `cwd and root of ${p.pid}`);
      const sockets = ctl.sockets?.find((s) => s.pid === p.pid)?.open_sockets ?? [];
      const inet = p.fds.flatMap((f) => (f.kind === 'inet' ? [[f.protocol.toUpperCase(), f.state.toUpperCase(), f.local.address, f.local.port]] : []));
      assert.deepEqual(inet, sockets.filter((s) => s.data.type !== 'UNIX').map((s) => [s.data.type, s.data.state, s.data.src, s.data.src_port]), `inet sockets of ${p.pid}`);
      const unix = p.fds.flatMap((f) => (f.kind === 'unix' ? [f.name ?? ''] : []));
      assert.deepEqual(unix, sockets.filter((s) => s.data.type === 'UNIX').map((s) => (s.data.address ?? '').replace(/\0+$/, '')), `unix sockets of ${p.pid}`);
    }
    // checkpointctl lists the spec's mounts; CRIU's images hold those and the runtime's own (masks, cgroups…).
    const mountpoints = new Set(ours.mounts.map((m) => m.mountpoint));
    for (const m of ctl.mounts ?? []) assert.ok(mountpoints.has(m.destination), `checkpointctl's mount ${m.destination} is among ours`);
  });
});
