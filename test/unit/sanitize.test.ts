import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hostHookAnnotations, missingConfinement, sanitizeConfig, sanitizeFindings, sanitizeSpec, sharesHostNetwork, unsafeMounts } from '../../src/engine/archive/sanitize.js';

/** The parts of a spec.dump podman 4.3 writes for a plain `podman run` that the sanitizer looks at. */
const plainSpec = () => ({
  process: { capabilities: { bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'], effective: ['CAP_CHOWN'] } },
  linux: {
    namespaces: [{ type: 'pid' }, { type: 'network', path: '/run/netns/netns-a8198c03-cabc-255e-e558-89a59fd961e2' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    resources: { devices: [{ allow: false, access: 'rwm' }] },
  },
  annotations: { 'io.container.manager': 'libpod' },
});

describe('sanitizing a checkpoint\'s metadata', () => {
  it('leaves what podman writes for a plain container alone', () => {
    const { spec, removed } = sanitizeSpec(plainSpec());
    assert.deepEqual(removed, []);
    assert.deepEqual(spec, plainSpec());
    assert.deepEqual(sanitizeFindings({ privileged: false, spec: plainSpec() }, plainSpec()), []);
  });

  it('removes hooks, extra capabilities, joined or shared namespaces, devices, sysctls and host-acting annotations', () => {
    const hostile = plainSpec() as Record<string, any>;
    hostile.hooks = { createRuntime: [{ path: '/usr/bin/env', args: ['env', 'touch', '/x'] }] };
    hostile.process.capabilities.bounding.push('CAP_SYS_ADMIN');
    hostile.linux.namespaces = [{ type: 'pid', path: '/proc/1/ns/pid' }, { type: 'network', path: '/run/netns/../../proc/1/ns/net' }];
    hostile.linux.devices = [{ path: '/dev/sda', type: 'b', major: 8, minor: 0 }];
    hostile.linux.resources.devices.push({ allow: true, access: 'rwm' });
    hostile.linux.sysctl = { 'kernel.core_pattern': '|/tmp/x' };
    hostile.annotations['org.criu.config'] = '/tmp/c.conf';
    hostile.annotations['com.example.gpu'] = 'all';
    const { spec, removed } = sanitizeSpec(hostile, { hookAnnotations: [/^com\.example\./] });
    assert.deepEqual(removed, [
      'OCI createRuntime hook /usr/bin/env touch /x',
      "capability CAP_SYS_ADMIN (not among podman's defaults)",
      'joining the namespace at /proc/1/ns/pid (pid): it gets one of its own',
      'joining the namespace at /run/netns/../../proc/1/ns/net (network): it gets one of its own',
      "sharing the host's ipc namespace: it gets one of its own",
      "sharing the host's uts namespace: it gets one of its own",
      "sharing the host's mount namespace: it gets one of its own",
      'host device /dev/sda',
      'cgroup access to devices a *:* (rwm)',
      'sysctl kernel.core_pattern',
      'annotation org.criu.config: it makes CRIU on this host run /tmp/c.conf',
      'annotation com.example.gpu: it triggers an OCI hook installed on this host',
    ]);
    assert.equal(spec.hooks, undefined);
    assert.deepEqual((spec as any).linux.namespaces, [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }]);
    assert.deepEqual((spec as any).annotations, { 'io.container.manager': 'libpod' });
    assert.equal(hostile.hooks !== undefined, true, 'the input is not changed');
  });

  it('takes privileges and the exit command out of config.dump, and sanitizes its copy of the spec', () => {
    const { config, removed } = sanitizeConfig({ privileged: true, mountAllDevices: true, exitCommand: ['/bin/sh', '-c', 'curl evil'], spec: { ...plainSpec(), hooks: { poststop: [{ path: '/bin/rm' }] } } });
    assert.deepEqual(removed, ['privileged mode', 'every host device (mountAllDevices)', 'exit command /bin/sh -c curl evil', 'OCI poststop hook /bin/rm']);
    assert.equal(config.privileged, false);
    assert.equal(config.exitCommand, undefined);
  });

  it('names the confinement a checkpoint ran without, which a restore cannot give back', () => {
    const confined = { process: {}, linux: { seccomp: { defaultAction: 'SCMP_ACT_ERRNO' }, maskedPaths: ['/proc/kcore'], readonlyPaths: ['/proc/sys'] } };
    assert.deepEqual(missingConfinement(confined), []);
    assert.deepEqual(missingConfinement({ process: { apparmorProfile: 'unconfined' }, linux: { maskedPaths: [], readonlyPaths: [] } }), [
      'it ran without seccomp confinement',
      'it ran without AppArmor confinement (unconfined)',
      "the kernel's sensitive /proc and /sys files were not masked",
      '/proc/sys and the like were writable',
    ]);
    const loose = { process: { selinuxLabel: 'system_u:system_r:spc_t:s0' }, linux: { ...confined.linux, seccomp: { defaultAction: 'SCMP_ACT_ALLOW' } } };
    assert.deepEqual(missingConfinement(loose), [
      'it ran with a seccomp profile that allows every system call',
      'it ran without SELinux confinement (system_u:system_r:spc_t:s0)',
    ]);
  });

  it('refuses mounts other than binds and a container\'s own file systems, and writable sysfs or cgroups', () => {
    const spec = {
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid'] },
        { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['ro'] },
        { destination: '/work', type: 'bind', source: '/home/dev/work', options: ['rbind'] },
        { destination: '/data', source: '/srv/data', options: ['rbind'] },
        { destination: '/disk', type: 'ext4', source: '/dev/sda1', options: [] },
        { destination: '/o', type: 'overlay', source: 'overlay', options: ['lowerdir=/etc:/root', 'upperdir=/tmp/u', 'workdir=/tmp/w'] },
      ],
    };
    const config = { spec: { mounts: [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['rw'] }] } };
    assert.deepEqual(unsafeMounts(config, spec), [
      'it mounts /dev/sda1 (ext4) at /disk: only bind mounts and a container\'s own file systems restore',
      'it mounts overlay (overlay, lowerdir=/etc:/root, upperdir=/tmp/u, workdir=/tmp/w) at /o: only bind mounts and a container\'s own file systems restore',
      'it mounts cgroup read-write at /sys/fs/cgroup: a container gets it read-only',
    ]);
    assert.deepEqual(unsafeMounts({}, { mounts: spec.mounts.slice(0, 4) }), []);
  });

  it('makes shared mount propagation private, and keeps the host network only by choice', () => {
    const hostile = plainSpec() as Record<string, any>;
    hostile.mounts = [{ destination: '/work', type: 'bind', source: '/home/dev/work', options: ['rbind', 'rshared'] }];
    hostile.linux.rootfsPropagation = 'shared';
    hostile.linux.namespaces = hostile.linux.namespaces.filter((ns: { type: string }) => ns.type !== 'network');
    assert.equal(sharesHostNetwork({}, hostile), true);
    assert.equal(sharesHostNetwork({ spec: plainSpec() }, plainSpec()), false);
    const { spec, removed } = sanitizeSpec(hostile);
    assert.deepEqual(removed, [
      'shared propagation of the root file system: mounts would reach the host',
      'rshared propagation of the mount at /work: mounts would reach the host',
    ]);
    assert.deepEqual((spec as any).mounts[0].options, ['rbind', 'rprivate']);
    assert.ok((spec as any).linux.namespaces.some((ns: { type: string }) => ns.type === 'network'), 'a private network namespace by default');
    const kept = sanitizeSpec(hostile, { hostNetwork: true }).spec as any;
    assert.ok(!kept.linux.namespaces.some((ns: { type: string }) => ns.type === 'network'), 'the host network, as the user chose');
  });

  it("reads the annotation patterns of this host's hooks.d", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-hooks-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'gpu.json'), JSON.stringify({ version: '1.0.0', hook: { path: '/usr/bin/gpu-hook' }, when: { annotations: { '^com\\.example\\.gpu$': '.*' } }, stages: ['prestart'] }));
    writeFileSync(join(dir, 'broken.json'), '{');
    const patterns = await hostHookAnnotations([dir, join(dir, 'missing')]);
    assert.equal(patterns.length, 1);
    assert.ok(patterns[0]!.test('com.example.gpu'));
  });
});
