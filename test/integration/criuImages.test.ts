/**
 * CRIU restores credentials, seccomp and the mount tree from its own images, not from spec.dump: a checkpoint
 * whose spec looks innocent but whose images grant more is refused, on real podman + runc + CRIU.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { readCheckpointArchive, type MetadataEdit } from '../../src/engine/index.js';
import { editedTar } from '../../src/engine/archive/repack.js';
import { decodeIds, decodeInventory, decodeMountpoints, FsType } from '../../src/engine/criu/images.js';
import { ckpt } from '../support/cli.js';
import { COUNTER_SCRIPT } from '../support/counter.js';
import { criuImage, IDS_MAGIC, idsEntry, mountpointsImage } from '../support/criuImages.js';
import { BASE_IMAGE, podman, readCounter, testPodman, testResources, TEST_LABEL, uniqueName, waitForCounter } from '../support/stack.js';

const TIMEOUT = { timeout: 120_000 };
const engine = testPodman();

type Json = Record<string, any>;

describe('CRIU images of a hostile checkpoint (real podman + runc + CRIU)', { concurrency: false }, () => {
  const res = testResources();

  /** A counter container run with `runArgs`, checkpointed (left running) to a plain archive. */
  async function exported(prefix: string, ...runArgs: string[]) {
    const name = uniqueName(prefix);
    res.containers.push(name, `${name}-copy`);
    await podman('run', '-d', '--name', name, '--label', TEST_LABEL, ...runArgs, BASE_IMAGE, 'sh', '-c', COUNTER_SCRIPT);
    await waitForCounter(name, 5);
    const archive = join(res.dir, `${name}.tar`);
    await engine.checkpoint(name, { kind: 'archive', path: archive, compression: 'none' }, { leaveRunning: true });
    return { name, archive };
  }

  /** Both copies of the spec edited by `edit`, everything else as it was. */
  async function withSpec(archive: string, edit: (spec: Json) => void): Promise<string> {
    const out = archive.replace(/\.tar$/, '-innocent.tar');
    const both: MetadataEdit = (file, value) => {
      const v = value as Json;
      edit(file === 'spec.dump' ? v : v.spec);
      return v;
    };
    await pipeline(await editedTar(createReadStream(archive), archive, both), createWriteStream(out));
    return out;
  }

  /** `ckpt restore --import` refuses with each line, and no container is made. */
  async function refusedRestore(archive: string, name: string, ...lines: RegExp[]) {
    const r = ckpt('restore', '--import', archive, '--name', `${name}-copy`);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    for (const line of lines) assert.match(r.stderr, line);
    assert.equal(await engine.container(`${name}-copy`), undefined, 'podman restored it anyway');
  }

  it('a plain container: its CRIU images grant nothing beyond podman\'s defaults', TIMEOUT, async () => {
    const { archive } = await exported('criu-plain', '--tmpfs', '/scratch', '-v', `${res.dir}:/data`);
    assert.deepEqual((await readCheckpointArchive(archive)).refusedOnRestore, []);
  });

  it('CAP_SYS_ADMIN in core-*.img is refused though the spec no longer names it', TIMEOUT, async () => {
    const { name, archive } = await exported('criu-cap', '--cap-add', 'SYS_ADMIN');
    const innocent = await withSpec(archive, (spec) => {
      for (const set of Object.values(spec.process.capabilities) as string[][]) set.splice(0, set.length, ...set.filter((c) => c !== 'CAP_SYS_ADMIN'));
    });
    assert.deepEqual((await readCheckpointArchive(innocent)).removedOnRestore, [], 'the spec still asks for something');
    await refusedRestore(innocent, name, /error +refused: tasks? 1 \(sh\).* holds? capability CAP_SYS_ADMIN, beyond podman's defaults/);
  });

  it('a task without seccomp is refused though the spec carries a seccomp profile', TIMEOUT, async () => {
    const { archive: plain } = await exported('criu-seccomp-ref');
    const profile = (JSON.parse(execFileSync('tar', ['-xOf', plain, 'spec.dump']).toString()) as Json).linux.seccomp;
    const { name, archive } = await exported('criu-seccomp', '--security-opt', 'seccomp=unconfined');
    const innocent = await withSpec(archive, (spec) => void (spec.linux.seccomp = profile));
    const r = await readCheckpointArchive(innocent);
    assert.ok(!r.refusedOnRestore.includes('it ran without seccomp confinement'), 'the spec still shows no seccomp');
    await refusedRestore(innocent, name, /error +refused: tasks? 1 \(sh\).* runs? without seccomp/);
  });

  /** The archive unpacked, `change` run on its checkpoint folder, and packed again. */
  function forged(archive: string, change: (checkpointDir: string) => void): string {
    const dir = archive.replace(/\.tar$/, '-files');
    mkdirSync(dir);
    execFileSync('tar', ['-C', dir, '-xf', archive]);
    change(join(dir, 'checkpoint'));
    const out = archive.replace(/\.tar$/, '-forged.tar');
    execFileSync('tar', ['-C', dir, '-cf', out, ...readdirSync(dir)]);
    return out;
  }

  it("a container of the host's network: refused unless chosen, then restored in it and counting; a spec that hides it changes nothing", TIMEOUT, async () => {
    const { name, archive } = await exported('criu-hostnet', '--network', 'host');
    const line = /error +refused: the checkpoint ran in the host's network namespace, and CRIU restores it only there/;
    await refusedRestore(archive, name, line);
    // CRIU, not the spec, decides: with a private network namespace written into both copies of the spec,
    // raw podman would still restore it in the host's (its ids-*.img share the namespace CRIU dumped from).
    const hidden = await withSpec(archive, (spec) => spec.linux.namespaces.push({ type: 'network' }));
    await refusedRestore(hidden, name, line);
    const r = ckpt('restore', '--import', archive, '--name', `${name}-copy`, '--host-network');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: the restored container shares the host's network namespace, as you chose/);
    const pid = (JSON.parse(await podman('container', 'inspect', `${name}-copy`)) as Json[])[0]!.State.Pid as number;
    assert.equal(readlinkSync(`/proc/${pid}/ns/net`), readlinkSync('/proc/self/ns/net'));
    await waitForCounter(`${name}-copy`, (await readCounter(`${name}-copy`)) + 3);
  });

  it("a task whose ids-*.img puts it in the host's PID namespace is refused", TIMEOUT, async () => {
    const { name, archive } = await exported('criu-pidns');
    const lie = forged(archive, (dir) => {
      const { rootIds } = decodeInventory(readFileSync(join(dir, 'inventory.img')), 'inventory.img');
      for (const file of readdirSync(dir).filter((f) => /^ids-\d+\.img$/.test(f))) {
        const ids = decodeIds(readFileSync(join(dir, file)), file)!;
        writeFileSync(join(dir, file), criuImage(IDS_MAGIC, idsEntry({ ...ids, pid: rootIds!.pid! } as Parameters<typeof idsEntry>[0])));
      }
    });
    await refusedRestore(lie, name, /error +refused: tasks? 1 \(sh\).* would be restored in the host's PID namespace/);
  });

  it('a tmpfs rewritten in mountpoints-*.img into a block device is refused', TIMEOUT, async () => {
    const { name, archive } = await exported('criu-mount', '--tmpfs', '/scratch');
    const dir = join(res.dir, `${name}-files`);
    mkdirSync(dir);
    execFileSync('tar', ['-C', dir, '-xf', archive]);
    const image = readdirSync(join(dir, 'checkpoint')).find((f) => f.startsWith('mountpoints-'))!;
    const path = join(dir, 'checkpoint', image);
    const mounts = decodeMountpoints(readFileSync(path), image);
    const scratch = mounts.find((m) => m.mountpoint === '/scratch');
    assert.equal(scratch?.fstype, FsType.TMPFS);
    const specs = mounts.map((m) => ({ ...m, id: m.mountId, parent: m.parentMountId }));
    writeFileSync(path, mountpointsImage(specs.map((m) => (m.mountpoint === '/scratch' ? { ...m, fstype: FsType.AUTO, fsname: 'ext4', source: '/dev/vda' } : m))));
    const forged = join(res.dir, `${name}-forged.tar`);
    execFileSync('tar', ['-C', dir, '-cf', forged, ...readdirSync(dir)]);
    await refusedRestore(forged, name, /error +refused: it mounts \/dev\/vda \(ext4\) at \/scratch: only bind mounts and a container's own file systems restore/);
  });
});
