import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hostHookAnnotations, missingConfinement, sanitizeConfig, sanitizeFindings, sanitizeSpec } from '../../src/engine/archive/sanitize.js';

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
    const { spec, removed } = sanitizeSpec(hostile, [/^com\.example\./]);
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
