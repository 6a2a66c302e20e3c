/**
 * The hostile corpus: one real podman export of a counting container (a workspace bind-mounted at /ws), then
 * one change per case, each restored for real with `ckpt restore --import` as a user would, past warnings,
 * without dialogs. Each case is refused (nothing is created) or stripped (the copy runs without what was asked,
 * checked with podman inspect and /proc, and goes on counting), and the report line saying so is asserted.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { editedTar } from '../../src/engine/archive/repack.js';
import type { MetadataEdit } from '../../src/engine/index.js';
import { pax, tarOf, type RawEntry } from '../unit/archive/fixtures.js';
import { ckpt, ckptWith } from '../support/cli.js';
import { COUNTER_SCRIPT } from '../support/counter.js';
import { BASE_IMAGE, podman, readCounter, TEST_LABEL, testPodman, testResources, uniqueName, waitForCounter } from '../support/stack.js';

type Json = Record<string, any>;
const engine = testPodman();

interface Case {
  title: string;
  /** Changes spec.dump and config.dump's copy of it alike (a hostile author writes both). */
  spec?: (spec: Json, ctx: Context) => void;
  /** Changes config.dump itself. */
  config?: (config: Json, ctx: Context) => void;
  /** Rewrites the archive's bytes (entries the JSON edit cannot make). */
  raw?: (tar: Buffer, ctx: Context) => Buffer;
  /** Extra arguments for `ckpt restore`. */
  args?: (ctx: Context) => string[];
  /** refused: the CLI fails and podman creates nothing; stripped: it restores without the thing asked for. */
  outcome: 'refused' | 'stripped';
  /** The report line (stderr) that says why, as a user reads it. */
  line: (ctx: Context) => string | RegExp;
  /** For a stripped case: proof on the running copy that the hostile part did not reach the host. */
  check?: (copy: string, ctx: Context) => Promise<void>;
}

interface Context {
  dir: string;
  ws: string;
  marker: string;
  graphRoot: string;
}

const bindAt = (source: string) => (spec: Json) => {
  spec.mounts.find((m: Json) => m.destination === '/ws').source = source;
};
const refusedBind = (source: string, reason: string, resolves?: string) => () =>
  `refused: the checkpoint asks to bind-mount the host's ${source}${resolves ? ` (resolves to ${resolves})` : ''} at /ws (read-write): ${reason}`;
const addCaps = (...caps: string[]) => (spec: Json) => {
  for (const set of ['bounding', 'effective', 'permitted']) spec.process.capabilities[set].push(...caps);
};
const withoutNamespace = (type: string) => (spec: Json) => {
  spec.linux.namespaces = spec.linux.namespaces.filter((ns: Json) => ns.type !== type);
};
const hook = (stage: string) => (spec: Json, ctx: Context) => {
  spec.hooks = { [stage]: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${ctx.marker}`] }] };
};
const markerAbsent = async (_copy: string, ctx: Context) => assert.equal(existsSync(ctx.marker), false, 'the hostile command ran on the host');

async function inspect(copy: string): Promise<Json> {
  return (JSON.parse(await podman('container', 'inspect', copy)) as Json[])[0]!;
}
const ownNamespace = (ns: string) => async (copy: string) => {
  const pid = (await inspect(copy)).State.Pid as number;
  assert.notEqual(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), `the copy shares the host's ${ns} namespace`);
};
const lacksCapability = (cap: string) => async (copy: string) => {
  const caps = (await inspect(copy)).EffectiveCaps as string[];
  assert.ok(!caps.includes(cap), `the copy has ${cap}: ${caps.join(' ')}`);
  const status = await podman('exec', copy, 'cat', '/proc/1/status');
  const eff = BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(status)![1]}`);
  assert.equal(eff & (1n << BigInt(CAPABILITY_BITS[cap]!)), 0n, `the copy's first process holds ${cap}`);
};
const CAPABILITY_BITS: Record<string, number> = { CAP_SYS_ADMIN: 21, CAP_SYS_MODULE: 16, CAP_SYS_PTRACE: 19, CAP_NET_ADMIN: 12 };

/** Each entry of a plain tar, up to the end-of-archive blocks: header offset, name, size, and where the next begins. */
function* tarHeaders(tar: Buffer): Generator<{ at: number; name: string; size: number; next: number }> {
  for (let at = 0; at + 512 <= tar.length && tar.subarray(at, at + 512).some((b) => b !== 0); ) {
    const size = parseInt(tar.subarray(at + 124, at + 136).toString('latin1').replace(/\0.*$/, '').trim() || '0', 8);
    const next = at + 512 + Math.ceil(size / 512) * 512;
    yield { at, name: tar.subarray(at, at + 100).toString('latin1').replace(/\0.*$/, '').replace(/^\.\//, ''), size, next };
    at = next;
  }
}

/** The offset of the end-of-archive blocks of a tar, so entries can be added before them. */
function endOfEntries(tar: Buffer): number {
  let end = 0;
  for (const { next } of tarHeaders(tar)) end = next;
  return end;
}
const withEntries = (tar: Buffer, entries: RawEntry[], first = false) => {
  const end = endOfEntries(tar);
  return first ? Buffer.concat([tarOf(entries, false), tar]) : Buffer.concat([tar.subarray(0, end), tarOf(entries, false), Buffer.alloc(1024)]);
};
/** A spec.dump that binds the host's / in: what a second reader would see if the archive could fool it. */
const rootBindingSpec = (tar: Buffer) => {
  const spec = JSON.parse(entryText(tar, 'spec.dump')) as Json;
  spec.mounts.push({ destination: '/host', type: 'bind', source: '/', options: ['rbind', 'rw'] });
  return JSON.stringify(spec);
};
function entryText(tar: Buffer, name: string): string {
  for (const e of tarHeaders(tar)) if (e.name === name) return tar.subarray(e.at + 512, e.at + 512 + e.size).toString('utf8');
  throw new Error(`${name} is not in the export`);
}

const cases: Case[] = [
  // Host paths, in every spelling: judged where they really lead on this host.
  { title: 'bind-mounts /etc', spec: bindAt('/etc'), outcome: 'refused', line: refusedBind('/etc', 'it is /etc') },
  { title: 'bind-mounts /etc/../etc', spec: bindAt('/etc/../etc'), outcome: 'refused', line: refusedBind('/etc/../etc', 'it is /etc', '/etc') },
  { title: 'bind-mounts //etc', spec: bindAt('//etc'), outcome: 'refused', line: refusedBind('//etc', 'it is /etc', '/etc') },
  { title: 'bind-mounts a file inside /etc', spec: bindAt('/etc/passwd'), outcome: 'refused', line: refusedBind('/etc/passwd', 'it is inside /etc') },
  {
    title: 'bind-mounts a symlink on this host that leads to /etc',
    spec: (s, c) => bindAt(join(c.dir, 'innocent'))(s),
    outcome: 'refused',
    line: (c) => refusedBind(join(c.dir, 'innocent'), 'it is /etc', '/etc')(),
  },
  {
    title: 'bind-mounts the workspace climbing out with ..',
    spec: (s, c) => bindAt(`${c.ws}/../../../../../../etc`)(s),
    outcome: 'refused',
    line: (c) => refusedBind(`${c.ws}/../../../../../../etc`, 'it is /etc', '/etc')(),
  },
  { title: "bind-mounts /proc/1/root (the host's root through procfs)", spec: bindAt('/proc/1/root'), outcome: 'refused', line: () => /host's \/proc\/1\/root.* at \/ws \(read-write\): it is (inside \/proc|the host's \/)/ },
  { title: 'bind-mounts /proc/self/root/etc', spec: bindAt('/proc/self/root/etc'), outcome: 'refused', line: refusedBind('/proc/self/root/etc', 'it is /etc', '/etc') },
  { title: 'bind-mounts /', spec: bindAt('/'), outcome: 'refused', line: refusedBind('/', "it is the host's /") },
  { title: 'bind-mounts /root', spec: bindAt('/root'), outcome: 'refused', line: refusedBind('/root', 'it is /root') },
  { title: 'bind-mounts /boot', spec: bindAt('/boot'), outcome: 'refused', line: refusedBind('/boot', 'it is /boot') },
  { title: 'bind-mounts /usr/bin', spec: bindAt('/usr/bin'), outcome: 'refused', line: refusedBind('/usr/bin', 'it is inside /usr') },
  { title: 'bind-mounts /sys/kernel', spec: bindAt('/sys/kernel'), outcome: 'refused', line: refusedBind('/sys/kernel', 'it is inside /sys') },
  { title: 'bind-mounts a host device', spec: bindAt('/dev/mem'), outcome: 'refused', line: refusedBind('/dev/mem', 'it is inside /dev') },
  {
    title: "bind-mounts this podman's container storage",
    spec: (s, c) => bindAt(join(c.graphRoot, 'overlay'))(s),
    outcome: 'refused',
    line: (c) => new RegExp(`refused: the checkpoint asks to bind-mount the host's ${escape(join(c.graphRoot, 'overlay'))}.* at /ws \\(read-write\\): it is inside `),
  },
  { title: 'bind-mounts /var/lib/containers/storage', spec: bindAt('/var/lib/containers/storage'), outcome: 'refused', line: () => /host's \/var\/lib\/containers\/storage.* at \/ws \(read-write\): it is inside \/var\/lib\/containers/ },
  { title: "bind-mounts a runtime's socket", spec: bindAt('/run/podman/podman.sock'), outcome: 'refused', line: () => /host's \/run\/podman\/podman\.sock at \/ws \(read-write\): it is inside \/run\/podman/ },
  { title: 'bind-mounts a cloud login in a home folder', spec: bindAt('/home/dev/.aws'), outcome: 'refused', line: refusedBind('/home/dev/.aws', 'it holds credentials (.aws)') },
  { title: 'bind-mounts a home folder', spec: bindAt('/home/dev'), outcome: 'refused', line: refusedBind('/home/dev', 'it is a home folder') },
  {
    title: "bind-mounts /etc in config.dump's copy of the spec only",
    config: (c) => bindAt('/etc')(c.spec),
    outcome: 'refused',
    line: refusedBind('/etc', 'it is /etc'),
  },
  // Privileges: removed, and the copy runs without them.
  { title: 'privileged', config: (c) => (c.privileged = true), outcome: 'stripped', line: () => 'removed: privileged mode', check: async (copy) => assert.equal((await inspect(copy)).HostConfig.Privileged, false) },
  { title: 'CAP_SYS_ADMIN', spec: addCaps('CAP_SYS_ADMIN'), outcome: 'stripped', line: () => "removed: capability CAP_SYS_ADMIN (not among podman's defaults)", check: lacksCapability('CAP_SYS_ADMIN') },
  { title: 'CAP_SYS_MODULE', spec: addCaps('CAP_SYS_MODULE'), outcome: 'stripped', line: () => "removed: capability CAP_SYS_MODULE (not among podman's defaults)", check: lacksCapability('CAP_SYS_MODULE') },
  { title: 'CAP_NET_ADMIN in the ambient set', spec: (s) => (s.process.capabilities.ambient = ['CAP_NET_ADMIN']), outcome: 'stripped', line: () => "removed: capability CAP_NET_ADMIN (not among podman's defaults)", check: lacksCapability('CAP_NET_ADMIN') },
  // Host namespaces: the copy gets its own.
  { title: "the host's pid namespace", spec: withoutNamespace('pid'), outcome: 'stripped', line: () => "removed: sharing the host's pid namespace: it gets one of its own", check: ownNamespace('pid') },
  { title: "the host's uts namespace", spec: withoutNamespace('uts'), outcome: 'stripped', line: () => "removed: sharing the host's uts namespace: it gets one of its own", check: ownNamespace('uts') },
  {
    title: "joining PID 1's ipc namespace by path",
    spec: (s) => (s.linux.namespaces.find((ns: Json) => ns.type === 'ipc').path = '/proc/1/ns/ipc'),
    outcome: 'stripped',
    line: () => 'removed: joining the namespace at /proc/1/ns/ipc (ipc): it gets one of its own',
    check: ownNamespace('ipc'),
  },
  {
    title: "the host's network namespace, not chosen",
    spec: withoutNamespace('network'),
    outcome: 'refused',
    line: () => "refused: the checkpoint ran in the host's network namespace, and CRIU restores it only there",
  },
  // Devices.
  {
    title: 'a host block device',
    spec: (s) => (s.linux.devices = [{ path: '/dev/hostdisk', type: 'b', major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 0 }]),
    outcome: 'stripped',
    line: () => 'removed: host device /dev/hostdisk',
    check: async (copy) => assert.ok(!(await podman('exec', copy, 'ls', '/dev')).split('\n').includes('hostdisk'), 'the host disk is in the copy'),
  },
  {
    title: 'cgroup access to every device',
    spec: (s) => s.linux.resources.devices.push({ allow: true, access: 'rwm' }),
    outcome: 'stripped',
    line: () => 'removed: cgroup access to devices a *:* (rwm)',
  },
  { title: 'every host device', config: (c) => (c.mountAllDevices = true), outcome: 'stripped', line: () => 'removed: every host device (mountAllDevices)' },
  { title: 'a host sysctl', spec: (s) => (s.linux.sysctl = { 'kernel.core_pattern': '|/bin/sh' }), outcome: 'stripped', line: () => 'removed: sysctl kernel.core_pattern' },
  // Things that run on the host.
  { title: 'an OCI prestart hook', spec: hook('prestart'), outcome: 'stripped', line: (c) => `removed: OCI prestart hook /bin/sh -c touch ${c.marker}`, check: markerAbsent },
  { title: 'an OCI createRuntime hook', spec: hook('createRuntime'), outcome: 'stripped', line: (c) => `removed: OCI createRuntime hook /bin/sh -c touch ${c.marker}`, check: markerAbsent },
  {
    title: 'an OCI poststop hook',
    spec: hook('poststop'),
    outcome: 'stripped',
    line: (c) => `removed: OCI poststop hook /bin/sh -c touch ${c.marker}`,
    check: async (copy, c) => {
      await podman('rm', '-f', '-t', '0', copy);
      await markerAbsent(copy, c);
    },
  },
  {
    title: 'an exit command for conmon',
    config: (c, ctx) => (c.exitCommand = ['/bin/sh', '-c', `touch ${ctx.marker}`]),
    outcome: 'stripped',
    line: (c) => `removed: exit command /bin/sh -c touch ${c.marker}`,
    check: async (copy, c) => {
      await podman('stop', '-t', '0', copy);
      await markerAbsent(copy, c);
    },
  },
  {
    title: 'a CRIU config whose action script runs on the host',
    spec: (s, c) => (s.annotations['org.criu.config'] = join(c.dir, 'evil-criu.conf')),
    outcome: 'stripped',
    line: (c) => `removed: annotation org.criu.config: it makes CRIU on this host run ${join(c.dir, 'evil-criu.conf')}`,
    check: markerAbsent,
  },
  {
    title: "an annotation that triggers this host's hooks.d",
    spec: (s) => (s.annotations[HOOK_ANNOTATION] = 'on'),
    outcome: 'stripped',
    line: () => `removed: annotation ${HOOK_ANNOTATION}: it triggers an OCI hook installed on this host`,
    // podman 4 takes a restore's hooks from spec.dump (stripped above) and does not ask hooks.d again; one that did would find no annotation.
    check: async (copy) => assert.equal((await inspect(copy)).Config.Annotations?.[HOOK_ANNOTATION], undefined, 'the copy carries the hook-triggering annotation'),
  },
  // Mount propagation and mount types.
  {
    title: 'shared propagation of the workspace mount',
    spec: (s) => s.mounts.find((m: Json) => m.destination === '/ws').options.push('rshared'),
    outcome: 'stripped',
    line: () => 'removed: rshared propagation of the mount at /ws: mounts would reach the host',
    check: async (copy) => {
      const line = (await podman('exec', copy, 'cat', '/proc/self/mountinfo')).split('\n').find((l) => l.split(' ')[4] === '/ws');
      assert.ok(line && !/ shared:/.test(line), `the workspace mount propagates to the host: ${line}`);
    },
  },
  { title: 'shared propagation of the root', spec: (s) => (s.linux.rootfsPropagation = 'rshared'), outcome: 'stripped', line: () => 'removed: rshared propagation of the root file system: mounts would reach the host' },
  {
    title: 'an overlay with host folders as its layers',
    spec: (s) => s.mounts.push({ destination: '/o', type: 'overlay', source: 'overlay', options: ['lowerdir=/etc:/root'] }),
    outcome: 'refused',
    line: () => "refused: it mounts overlay (overlay, lowerdir=/etc:/root) at /o: only bind mounts and a container's own file systems restore",
  },
  {
    title: "the host's disk",
    spec: (s) => s.mounts.push({ destination: '/disk', type: 'ext4', source: '/dev/sda1', options: [] }),
    outcome: 'refused',
    line: () => "refused: it mounts /dev/sda1 (ext4) at /disk: only bind mounts and a container's own file systems restore",
  },
  {
    title: 'sysfs read-write',
    spec: (s) => (s.mounts.find((m: Json) => m.type === 'sysfs').options = ['nosuid', 'noexec', 'nodev', 'rw']),
    outcome: 'refused',
    line: () => 'refused: it mounts sysfs read-write at /sys: a container gets it read-only',
  },
  // Confinement a restore cannot give back.
  { title: 'seccomp off', spec: (s) => delete s.linux.seccomp, outcome: 'refused', line: () => 'refused: it ran without seccomp confinement' },
  { title: 'a seccomp profile that allows everything', spec: (s) => (s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }), outcome: 'refused', line: () => 'refused: it ran with a seccomp profile that allows every system call' },
  { title: 'SELinux super-privileged', spec: (s) => (s.process.selinuxLabel = 'system_u:system_r:spc_t:s0'), outcome: 'refused', line: () => 'refused: it ran without SELinux confinement (system_u:system_r:spc_t:s0)' },
  { title: 'AppArmor unconfined', spec: (s) => (s.process.apparmorProfile = 'unconfined'), outcome: 'refused', line: () => 'refused: it ran without AppArmor confinement (unconfined)' },
  { title: '/proc and /sys unmasked', spec: (s) => (s.linux.maskedPaths = []), outcome: 'refused', line: () => "refused: the kernel's sensitive /proc and /sys files were not masked" },
  { title: '/proc/sys writable', spec: (s) => (s.linux.readonlyPaths = []), outcome: 'refused', line: () => 'refused: /proc/sys and the like were writable' },
  // Archives two readers would read differently: podman must restore exactly what was checked.
  {
    title: 'a symlink entry carrying a spec.dump that binds / (Go would read it as a later entry)',
    raw: (tar) => withEntries(tar, [{ name: 'notes', type: '2', linkname: 'config.dump', body: tarOf([{ name: 'spec.dump', body: rootBindingSpec(tar) }], false) }]),
    outcome: 'refused',
    line: () => /"notes" is a symlink that declares \d+ bytes of data/,
  },
  {
    title: 'a hard link entry carrying data',
    raw: (tar) => withEntries(tar, [{ name: 'again', type: '1', linkname: 'config.dump', body: 'x'.repeat(700) }]),
    outcome: 'refused',
    line: () => /"again" is a link that declares 700 bytes of data/,
  },
  {
    title: 'a PAX global header (tar-stream merges it, Go ignores it)',
    raw: (tar) => withEntries(tar, [pax({ comment: 'hello' }, 'g')], true),
    outcome: 'refused',
    line: () => /follows a PAX global header/,
  },
  {
    title: 'a second spec.dump that binds /',
    raw: (tar) => withEntries(tar, [{ name: 'spec.dump', body: rootBindingSpec(tar) }]),
    outcome: 'refused',
    line: () => /"spec\.dump" appears twice/,
  },
];

const HOOK_ANNOTATION = `io.checkpoint-studio.test-hook-${process.pid}`;
/** podman 4's default hooks_dir (containers.conf). */
const HOOK_DIR = '/usr/share/containers/oci/hooks.d';

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe(`a hostile corpus of ${cases.length + 1} changes to one real checkpoint, each restored, and a genuine one`, { concurrency: false }, () => {
  const res = testResources();
  const ctx: Context = { dir: '', ws: '', marker: '', graphRoot: '' };
  let plain = '';
  const hookFile = join(HOOK_DIR, `checkpoint-studio-test-${process.pid}.json`);

  before(async () => {
    ctx.dir = res.dir;
    ctx.ws = join(res.dir, 'project');
    ctx.marker = join(res.dir, 'hostile-ran');
    ctx.graphRoot = (await engine.hostFacts()).graphRoot;
    mkdirSync(ctx.ws);
    symlinkSync('/etc', join(res.dir, 'innocent'));
    const script = join(res.dir, 'evil-action.sh');
    writeFileSync(script, `#!/bin/sh\ntouch ${ctx.marker}\n`);
    chmodSync(script, 0o755);
    writeFileSync(join(res.dir, 'evil-criu.conf'), `action-script ${script}\n`);
    // A hook of this host that a checkpoint's annotation would trigger (podman reads hooks.d at every command).
    mkdirSync(HOOK_DIR, { recursive: true });
    writeFileSync(hookFile, JSON.stringify({
      version: '1.0.0',
      hook: { path: '/bin/sh', args: ['sh', '-c', `touch ${ctx.marker}`] },
      when: { annotations: { [`^${escape(HOOK_ANNOTATION)}$`]: '^on$' } },
      stages: ['prestart'],
    }));
    const name = uniqueName('corpus');
    res.containers.push(name);
    await podman('run', '-d', '--name', name, '--label', TEST_LABEL, '-v', `${ctx.ws}:/ws`, BASE_IMAGE, 'sh', '-c', COUNTER_SCRIPT);
    await waitForCounter(name, 5);
    plain = join(res.dir, 'plain.tar');
    await engine.checkpoint(name, { kind: 'archive', path: plain, compression: 'none' }, { leaveRunning: true });
  });
  after(() => rmSync(hookFile, { force: true }));

  async function hostile(c: Case, file: string): Promise<string> {
    const edit: MetadataEdit = (name, value) => {
      const v = value as Json;
      if (name === 'spec.dump') c.spec?.(v, ctx);
      else {
        c.spec?.(v.spec, ctx);
        c.config?.(v, ctx);
      }
      return v;
    };
    await pipeline(await editedTar(createReadStream(plain), plain, edit), createWriteStream(file));
    if (c.raw) writeFileSync(file, c.raw(readFileSync(file), ctx));
    return file;
  }

  /** `ckpt restore` as a user runs it: the workspace is this project's, no dialogs, warnings shown and passed. */
  function restore(archive: string, copy: string, extra: string[] = []) {
    return ckpt('restore', '--import', archive, '--name', copy, '--workspace', ctx.ws, ...extra);
  }

  it('the genuine checkpoint restores with no warning and goes on counting (the corpus starts from a good one)', { timeout: 120_000 }, async () => {
    const copy = uniqueName('corpus-genuine');
    res.containers.push(copy);
    const r = restore(plain, copy);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warning|refused|removed/);
    await waitForCounter(copy, (await readCounter(copy)) + 3);
  });

  for (const [i, c] of cases.entries()) {
    it(`${String(i + 1).padStart(2, '0')} ${c.outcome}: ${c.title}`, { timeout: 120_000 }, async () => {
      rmSync(ctx.marker, { force: true });
      const archive = await hostile(c, join(res.dir, `case-${i + 1}.tar`));
      const copy = uniqueName(`corpus-${i + 1}`);
      res.containers.push(copy);
      const r = restore(archive, copy, c.args?.(ctx));
      const line = c.line(ctx);
      if (typeof line === 'string') assert.ok(r.stderr.includes(line), `missing "${line}" in:\n${r.stderr}`);
      else assert.match(r.stderr, line);
      if (c.outcome === 'refused') {
        assert.notEqual(r.code, 0, `restored anyway:\n${r.stdout}${r.stderr}`);
        assert.equal(await engine.container(copy), undefined, 'podman created the container anyway');
        return;
      }
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stderr.includes(`warning: ${String(line)}`), `not shown as a warning before the restore:\n${r.stderr}`);
      const first = await readCounter(copy);
      await waitForCounter(copy, first + 3);
      await c.check?.(copy, ctx);
      assert.equal(existsSync(ctx.marker), false, 'something the checkpoint asked for ran on the host');
      await podman('rm', '-f', '-t', '0', '--ignore', copy);
    });
  }

  it('a dev container recorded as <author>/../../etc is not the workspace: refused as /etc', { timeout: 120_000 }, async () => {
    const author = '/home/author/shop';
    const edit: MetadataEdit = (name, value) => {
      const v = value as Json;
      const spec = name === 'spec.dump' ? v : v.spec;
      bindAt(`${author}/../../../etc`)(spec);
      if (name === 'config.dump') v.labels = { ...v.labels, 'devcontainer.local_folder': author, 'devcontainer.config_file': `${author}/.devcontainer/devcontainer.json` };
      return v;
    };
    const archive = join(res.dir, 'dev-climb.tar');
    await pipeline(await editedTar(createReadStream(plain), plain, edit), createWriteStream(archive));
    const store = join(res.dir, 'store');
    const built = ckptWith({ CKPT_STORE: store }, 'image', 'create', archive, 'store:dev-climb');
    assert.equal(built.code, 0, built.stderr);
    const copy = uniqueName('corpus-dev');
    res.containers.push(copy);
    const r = ckptWith({ CKPT_STORE: store }, 'restore', 'store:dev-climb', '--dev-container', ctx.ws, '--name', copy);
    const copied = /copied store:dev-climb into podman as (\S+)/.exec(r.stderr)?.[1];
    if (copied) res.images.push(copied);
    assert.notEqual(r.code, 0, r.stdout);
    assert.ok(r.stderr.includes(`refused: the checkpoint asks to bind-mount the host's ${author}/../../../etc (resolves to /etc) at /ws (read-write): it is /etc`), r.stderr);
    assert.equal(await engine.container(copy), undefined);
  });
});
