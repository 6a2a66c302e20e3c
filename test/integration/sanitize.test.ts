/**
 * A stranger's checkpoint asking for the host (an OCI hook, privileges, capabilities, the host's namespaces, a
 * host-acting annotation) restores from the engine's sanitized copy, on real podman + CRIU: the hook never runs,
 * the container has podman's defaults, the preflight says what was removed, and the counter goes on.
 */
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { preflightRestore, restoreSanitized, type MetadataEdit } from '../../src/engine/index.js';
import { editedTar } from '../../src/engine/archive/repack.js';
import { ckpt } from '../support/cli.js';
import { podman, readCounter, startCounter, testPodman, testResources, uniqueName, waitForCounter } from '../support/stack.js';

const TIMEOUT = { timeout: 120_000 };
const engine = testPodman();

type Json = Record<string, any>;

/** What a hostile author would write into spec.dump (and config.dump's copy of it). */
function hostileSpec(spec: Json, marker: string, hookOnly: boolean): Json {
  spec.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `id > ${marker}`] }] };
  if (hookOnly) return spec;
  for (const set of ['bounding', 'effective', 'permitted']) spec.process.capabilities[set].push('CAP_SYS_ADMIN', 'CAP_SYS_PTRACE');
  spec.linux.namespaces = spec.linux.namespaces.filter((ns: Json) => ns.type !== 'pid' && ns.type !== 'ipc');
  spec.linux.sysctl = { 'kernel.domainname': 'evil' };
  spec.annotations = { ...spec.annotations, 'org.criu.config': '/tmp/evil-criu.conf' };
  return spec;
}

function hostileEdit(marker: string, hookOnly = false): MetadataEdit {
  return (name, value) => {
    const v = value as Json;
    if (name === 'spec.dump') return hostileSpec(v, marker, hookOnly);
    v.spec = hostileSpec(v.spec, marker, hookOnly);
    if (!hookOnly) v.privileged = true;
    return v;
  };
}

describe('restoring a hostile checkpoint (real podman + CRIU)', { concurrency: false }, () => {
  const res = testResources();

  async function exported(prefix: string) {
    const name = uniqueName(prefix);
    res.containers.push(name, `${name}-copy`);
    await startCounter(name);
    await waitForCounter(name, 10);
    const plain = join(res.dir, `${name}.tar`);
    const before = await readCounter(name);
    await engine.checkpoint(name, { kind: 'archive', path: plain, compression: 'none' }, { leaveRunning: true });
    return { name, plain, before };
  }

  async function rewrite(plain: string, edit: MetadataEdit, out: string): Promise<string> {
    await pipeline(await editedTar(createReadStream(plain), plain, edit), createWriteStream(out));
    return out;
  }

  it('the hook really runs when podman restores the original bytes (the hole this closes)', TIMEOUT, async () => {
    const { name, plain } = await exported('hook-raw');
    const marker = join(res.dir, 'raw-hook-ran');
    const archive = await rewrite(plain, hostileEdit(marker, true), join(res.dir, 'hook-only.tar'));
    await engine.restore({ kind: 'archive', path: archive }, { name: `${name}-copy` });
    assert.ok(existsSync(marker), 'the prestart hook did not run: this test no longer shows the hole');
  });

  it('refuses a checkpoint that ran without seccomp or masked paths (a privileged-style container): the CLI restores nothing', TIMEOUT, async () => {
    const { name, plain } = await exported('unconfined');
    const unconfine: MetadataEdit = (file, value) => {
      const v = value as Json;
      const spec = file === 'spec.dump' ? v : v.spec;
      delete spec.linux.seccomp;
      spec.linux.maskedPaths = [];
      return v;
    };
    const archive = await rewrite(plain, unconfine, join(res.dir, 'unconfined.tar'));
    const r = ckpt('restore', '--import', archive, '--name', `${name}-copy`);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /error +refused: it ran without seccomp confinement/);
    assert.match(r.stderr, /error +refused: the kernel's sensitive \/proc and \/sys files were not masked/);
    assert.equal(await engine.container(`${name}-copy`), undefined, 'podman restored it anyway');
  });

  it('the preflight lists what will be removed, and the sanitized restore runs none of it and goes on counting', TIMEOUT, async () => {
    const { name, plain, before } = await exported('hostile');
    const marker = join(res.dir, 'hook-ran');
    const archive = await rewrite(plain, hostileEdit(marker), join(res.dir, 'hostile.tar'));
    const copy = `${name}-copy`;

    const report = await preflightRestore(engine, { kind: 'archive', path: archive }, { name: copy });
    const removed = report.findings.filter((f) => f.check === 'sanitize').map((f) => f.message);
    for (const expected of [
      `removed: OCI prestart hook /bin/sh -c id > ${marker}`,
      'removed: privileged mode',
      "removed: capability CAP_SYS_ADMIN (not among podman's defaults)",
      "removed: capability CAP_SYS_PTRACE (not among podman's defaults)",
      "removed: sharing the host's pid namespace: it gets one of its own",
      "removed: sharing the host's ipc namespace: it gets one of its own",
      'removed: sysctl kernel.domainname',
      'removed: annotation org.criu.config: it makes CRIU on this host run /tmp/evil-criu.conf',
    ]) assert.ok(removed.includes(expected), `missing "${expected}" in:\n${removed.join('\n')}`);
    assert.ok(report.findings.filter((f) => f.check === 'sanitize').every((f) => f.severity === 'warning'), report.findings.map((f) => `${f.severity} ${f.message}`).join("\n"));

    const restored = await restoreSanitized(engine, { kind: 'archive', path: archive }, { name: copy });
    assert.equal(restored.container.state, 'running');
    assert.equal(existsSync(marker), false, 'the prestart hook ran on the host');
    const first = await readCounter(copy);
    assert.ok(first >= before, `the copy counts from ${first}, below the ${before} it had before the checkpoint`);
    await waitForCounter(copy, first + 5);

    const [inspect] = JSON.parse(await podman('container', 'inspect', copy)) as Json[];
    assert.equal(inspect!.HostConfig.Privileged, false);
    assert.ok(!inspect!.EffectiveCaps.includes('CAP_SYS_ADMIN') && !inspect!.EffectiveCaps.includes('CAP_SYS_PTRACE'), inspect!.EffectiveCaps.join(' '));
    const pid = inspect!.State.Pid as number;
    for (const ns of ['pid', 'ipc', 'net', 'mnt', 'uts']) {
      assert.notEqual(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), `the copy shares the host's ${ns} namespace`);
    }
  });
});
