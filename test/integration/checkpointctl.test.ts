/**
 * The reference for issue 12 works here: checkpointctl (installed by scripts/checkpointctl-setup.sh) reads a real
 * checkpoint of the reference container (support/richCheckpoint.ts) and shows what was planted in it: the
 * process tree with command lines and the environment variable, the open file, the listening TCP socket, the
 * unix socket, mounts, sizes, and memparse finds the string that only the shell's memory holds.
 * `ckpt inspect` is compared with the same helpers elsewhere.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  checkpointctlVersion,
  ctlCmdline,
  ctlProcesses,
  forCheckpointctl,
  inspectWithCheckpointctl,
  memorySizesWithCheckpointctl,
  searchMemoryWithCheckpointctl,
  checkpointctl,
  type CtlInspect,
} from '../support/checkpointctl.js';
import { richCheckpoint, type RichCheckpoint } from '../support/richCheckpoint.js';
import { testResources } from '../support/stack.js';

describe('checkpointctl, the reference for looking inside a checkpoint', () => {
  const res = testResources();
  let rich: RichCheckpoint;
  let ctl: CtlInspect;

  before(async () => {
    rich = await richCheckpoint(res.dir, { onStarted: (name) => res.containers.push(name) });
    ctl = await inspectWithCheckpointctl(rich.archive);
  });

  it('is installed and runs through its own loader', async () => {
    assert.match(checkpointctlVersion(), /^checkpointctl 1\.3\.0\S* from Debian (trixie|sid)$/);
    assert.match(await checkpointctl('--help'), /memparse\s+Analyze container checkpoint memory/);
  });

  it('shows the container as podman checkpointed it', async () => {
    assert.equal(ctl.container_name, rich.container);
    assert.equal(ctl.image, 'localhost/busybox:latest');
    assert.equal(ctl.engine, 'Podman');
    assert.equal(ctl.runtime, 'runc');
    assert.match(ctl.id, /^[0-9a-f]{64}$/);
    assert.ok((ctl.checkpoint_size.memory_pages_size ?? 0) > 0, 'memory pages are counted');
    assert.ok((ctl.statistics?.pages_written ?? 0) > 0, 'CRIU dump statistics are there');
    // show reads the same archive, untouched.
    assert.match(await checkpointctl('show', rich.archive), new RegExp(`\\| ${rich.container} +\\| localhost/busybox:latest`));
  });

  it('shows the process tree with command lines and the planted environment variable', () => {
    const { planted } = rich;
    const root = ctl.process_tree!;
    assert.equal(root.pid, 1);
    assert.equal(root.command, 'sh');
    assert.equal(ctlCmdline(root), `sh -c ${planted.script}`);
    const children = root.children ?? [];
    const byCmdline = new Map(children.map((c) => [ctlCmdline(c), c]));
    for (const role of ['httpd', 'syslogd', 'holder', 'subshell'] as const) {
      assert.ok(byCmdline.has(planted.cmdlines[role]), `PID 1 has a child running '${planted.cmdlines[role]}': ${[...byCmdline.keys()].join(' | ')}`);
    }
    assert.equal(children.length, 4, 'only the planted children');
    const subshell = byCmdline.get(planted.cmdlines.subshell)!;
    assert.deepEqual(subshell.children?.map(ctlCmdline), [planted.cmdlines.subshellChild], 'the subshell has its own child');
    const all = ctlProcesses(root);
    assert.equal(all.length, 6);
    for (const p of all) {
      assert.equal(p.environment_variables?.[planted.env.name], planted.env.value, `PID ${p.pid} (${p.command}) carries ${planted.env.name}`);
      assert.ok(!JSON.stringify(p).includes(planted.memoryString), 'the memory string is in no command line or environment');
    }
  });

  it('shows the held file, the listening TCP socket and the unix socket', () => {
    const { planted } = rich;
    const pidOf = (role: keyof typeof planted.cmdlines) => ctlProcesses(ctl.process_tree).find((p) => ctlCmdline(p) === planted.cmdlines[role])!.pid;
    const filesOf = (pid: number) => ctl.file_descriptors?.find((f) => f.pid === pid)?.open_files ?? [];

    assert.deepEqual(
      filesOf(pidOf('holder')).find((f) => f.fd === `REG ${planted.heldFd}`),
      { type: 'REG', fd: `REG ${planted.heldFd}`, path: planted.heldFile },
    );
    assert.ok(filesOf(pidOf('httpd')).some((f) => f.type === 'INETSK'), 'httpd holds an inet socket');
    assert.deepEqual(filesOf(pidOf('httpd')).find((f) => f.fd === 'cwd')?.path, '/tmp/www');

    const socketsOf = (pid: number) => ctl.sockets?.find((s) => s.pid === pid)?.open_sockets ?? [];
    const tcp = socketsOf(pidOf('httpd'));
    assert.deepEqual(tcp.map((s) => [s.protocol, s.data.type, s.data.state, s.data.src_port]), [['TCP', 'TCP', 'LISTEN', planted.httpPort]]);
    const unix = socketsOf(pidOf('syslogd'));
    assert.equal(unix.length, 1);
    assert.equal(unix[0]!.data.type, 'UNIX');
    assert.equal(unix[0]!.data.address?.replace(/\0$/, ''), planted.unixSocket);
    assert.ok(filesOf(pidOf('syslogd')).some((f) => f.type === 'UNIXSK' && f.path.includes(planted.unixSocket)), 'syslogd holds the unix socket as a file');
  });

  it('shows the mounts podman gave the container', () => {
    const mounts = new Map(ctl.mounts?.map((m) => [m.destination, m]));
    assert.equal(mounts.get('/proc')?.type, 'proc');
    assert.equal(mounts.get('/dev')?.type, 'tmpfs');
    assert.equal(mounts.get('/etc/hosts')?.type, 'bind');
    assert.match(mounts.get('/etc/hosts')?.source ?? '', /\/userdata\/hosts$/);
  });

  it('sizes every process memory and memparse finds the string only the shell holds', async () => {
    const sizes = await memorySizesWithCheckpointctl(rich.archive);
    assert.deepEqual(sizes.map((s) => s.pid).sort((a, b) => a - b), ctlProcesses(ctl.process_tree).map((p) => p.pid).sort((a, b) => a - b));
    for (const s of sizes) assert.ok(s.memoryBytes > 0, `PID ${s.pid} (${s.name}) has memory: ${s.memory}`);

    const hits = await searchMemoryWithCheckpointctl(rich.archive, 1, rich.planted.memoryString);
    assert.ok(hits.length >= 1, 'the shell holds the string');
    assert.equal(hits[0]!.match, rich.planted.memoryString);
    const withContext = await searchMemoryWithCheckpointctl(rich.archive, 1, rich.planted.memoryString, 12);
    assert.ok(withContext.some((h) => h.match.includes(`MEMORY_MARK=${rich.planted.memoryString}`)), withContext.map((h) => h.match).join(' | '));
    // Not in a process that never built it (httpd only has the reversed form in its environment).
    const httpd = ctlProcesses(ctl.process_tree).find((p) => p.command === 'httpd')!;
    assert.deepEqual(await searchMemoryWithCheckpointctl(rich.archive, httpd.pid, rich.planted.memoryString), []);
  });

  it('reads CRIU 4.2 memory only through the pagemap adaptation, which touches nothing else', async () => {
    const adapted = await forCheckpointctl(rich.archive);
    if (adapted === rich.archive) return; // a CRIU that still writes compat_nr_pages: nothing to adapt
    assert.ok(existsSync(adapted));
    const raw = JSON.parse(await checkpointctl('inspect', '--all', '--format', 'json', rich.archive)) as CtlInspect[];
    // checkpointctl orders children and per-PID lists differently from run to run: compare them sorted by PID.
    const byPid = <T extends { pid: number }>(list: T[] | undefined) => [...(list ?? [])].sort((a, b) => a.pid - b.pid);
    const strip = (c: CtlInspect) => ({ ...c, process_tree: undefined, file_descriptors: byPid(c.file_descriptors), sockets: byPid(c.sockets) });
    // Everything but what is read from memory pages is the same on the original archive.
    assert.deepEqual(strip(raw[0]!), strip(ctl));
    const tree = (c: CtlInspect) => byPid(ctlProcesses(c.process_tree)).map((p) => [p.pid, p.command]);
    assert.deepEqual(tree(raw[0]!), tree(ctl));
  });
});
