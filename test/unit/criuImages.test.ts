import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { ArchiveSummaryBuilder, readCheckpointArchive } from '../../src/engine/archive/reader.js';
import { CheckpointCriuImages } from '../../src/engine/criu/checkpointImages.js';
import { criuImageFindings, type CriuTask } from '../../src/engine/criu/findings.js';
import { decodeCore, decodeIds, decodeInventory, decodeMountpoints, FsType } from '../../src/engine/criu/images.js';
import { isEngineError } from '../../src/engine/index.js';
import { checkpointEntries, tarOf } from './archive/fixtures.js';
import {
  CAP_SYS_ADMIN_BIT, CORE_MAGIC, CREDS_MAGIC, coreImage, credsEntry, criuImage, IDS_MAGIC, idsEntry, inventoryImage, mountpointsImage, pb, podmanMounts, PODMAN_CAPS, u32, varint, type MountSpec,
} from '../support/criuImages.js';

const refused = (fn: () => unknown, code: string, message: RegExp) =>
  assert.throws(fn, (err) => isEngineError(err) && (err.code as string) === code && message.test(err.message), 'wrong or no error');

/** What the collector makes of a set of image files. */
function findingsOf(files: Record<string, Buffer>): string[] {
  const images = new CheckpointCriuImages();
  for (const [path, bytes] of Object.entries(files)) images.add(path, bytes, 'test.tar');
  return images.findings();
}

const plainFiles = () => ({ 'checkpoint/core-1.img': coreImage(), 'checkpoint/core-40.img': coreImage({ comm: 'sleep' }), 'checkpoint/mountpoints-13.img': mountpointsImage() });
const mountsWith = (...extra: MountSpec[]) => ({ 'checkpoint/mountpoints-13.img': mountpointsImage([...podmanMounts(), ...extra]) });

describe('CRIU image decoding', () => {
  it('reads a task: comm, capability words, seccomp mode', () => {
    const core = decodeCore(coreImage(), 'core-1.img');
    assert.deepEqual(core, {
      comm: 'sh',
      creds: { inheritable: [0, 0], permitted: [PODMAN_CAPS, 0], effective: [PODMAN_CAPS, 0], bounding: [PODMAN_CAPS, 0], ambient: [0, 0] },
      hasThreadState: true,
      seccompMode: 2,
    });
  });

  it('reads packed capability words, and the old per-task seccomp mode over the thread one (as CRIU restores it)', () => {
    const packed = pb([11, Buffer.concat([varint(PODMAN_CAPS | CAP_SYS_ADMIN_BIT), varint(0)])]);
    const task = pb([6, 'sh'], [11, 0]);
    const core = decodeCore(criuImage(CORE_MAGIC, pb([1, 1], [3, task], [5, pb([10, packed], [11, 2])])), 'core-1.img');
    assert.deepEqual(core.creds?.effective, [(PODMAN_CAPS | CAP_SYS_ADMIN_BIT) >>> 0, 0]);
    assert.equal(core.seccompMode, 0);
  });

  it('reads the mount tree: type, source, mountpoint, flags, external', () => {
    const mounts = decodeMountpoints(mountpointsImage(), 'mountpoints-13.img');
    assert.equal(mounts.length, podmanMounts().length);
    const sys = mounts.find((m) => m.mountpoint === '/sys')!;
    assert.deepEqual(sys, { mountId: 83, parentMountId: 80, fstype: FsType.SYSFS, fsname: undefined, source: 'sysfs', mountpoint: '/sys', root: '/', flags: 0x20000f, sbFlags: 1, external: false });
    assert.equal(mounts.find((m) => m.mountpoint === '/etc/hosts')!.external, true);
  });

  it('refuses a damaged or forged image, naming the file and the cause', () => {
    const core = coreImage();
    refused(() => decodeCore(core.subarray(0, core.length - 3), 'core-1.img'), 'NOT_A_CHECKPOINT_ARCHIVE', /^core-1\.img is not a CRIU core image: entry 1 says it has \d+ bytes, but only \d+ follow$/);
    refused(() => decodeCore(Buffer.concat([core.subarray(0, 8), u32(0xffffffff)]), 'core-1.img'), 'NOT_A_CHECKPOINT_ARCHIVE', /entry 1 says it has 4294967295 bytes, but only 0 follow/);
    refused(() => decodeCore(Buffer.concat([core, Buffer.from([1, 0])]), 'core-1.img'), 'NOT_A_CHECKPOINT_ARCHIVE', /ends inside the length of entry 2/);
    refused(() => decodeCore(core.subarray(0, 6), 'core-1.img'), 'NOT_A_CHECKPOINT_ARCHIVE', /it has 6 bytes, fewer than its magic numbers take/);
    refused(() => decodeCore(mountpointsImage(), 'core-1.img'), 'NOT_A_CHECKPOINT_ARCHIVE', /starts with 0x54564319 0x55563928, not 0x54564319 0x55053847/);
    refused(() => decodeCore(Buffer.alloc(5 << 20), 'core-1.img'), 'ARCHIVE_LIMIT_EXCEEDED', /core-1\.img is 5242880 bytes, more than the 4194304/);
    refused(() => decodeCore(criuImage(CORE_MAGIC, pb([1, 1]), pb([1, 1])), 'core-1.img'), 'NOT_A_CHECKPOINT_ARCHIVE', /holds 2 entries, not one/);
    refused(() => decodeCore(criuImage(CORE_MAGIC, Buffer.from([0x08, 0xff])), 'c'), 'NOT_A_CHECKPOINT_ARCHIVE', /entry 1: a field runs past the end of the message/);
    refused(() => decodeCore(criuImage(CORE_MAGIC, Buffer.from([0x08, ...Array(10).fill(0xff), 1])), 'c'), 'NOT_A_CHECKPOINT_ARCHIVE', /longer than 10 bytes/);
    refused(() => decodeCore(criuImage(CORE_MAGIC, Buffer.from([0x0b])), 'c'), 'NOT_A_CHECKPOINT_ARCHIVE', /field 1 has wire type 3/);
    refused(() => decodeCore(criuImage(CORE_MAGIC, pb([5, pb([10, credsEntry()], [10, credsEntry(0)])])), 'c'), 'NOT_A_CHECKPOINT_ARCHIVE', /field 10 occurs 2 times in one message/);
    refused(() => decodeCore(criuImage(CORE_MAGIC, pb([5, 'x'])), 'c'), 'NOT_A_CHECKPOINT_ARCHIVE', /^c is not a CRIU core image: entry 1: a field runs past the end of the message$/);
    refused(() => decodeCore(criuImage(CORE_MAGIC, pb([3, 7])), 'c'), 'NOT_A_CHECKPOINT_ARCHIVE', /entry 1: field 3 has wire type 0, where its type takes 2/);
    const wide = pb([12, 1], [12, 2], [12, 3]);
    refused(() => decodeCore(criuImage(CORE_MAGIC, pb([5, pb([10, wide])])), 'c'), 'NOT_A_CHECKPOINT_ARCHIVE', /a capability set of 3 words, where CRIU keeps 2/);
  });
});

describe('criuImageFindings', () => {
  const task = (id: number, comm: string, caps = PODMAN_CAPS, seccompMode = 2): CriuTask => ({
    id, comm, seccompMode, creds: { inheritable: [0, 0], permitted: [caps, 0], effective: [caps, 0], bounding: [caps, 0], ambient: [0, 0] },
  });

  it('finds nothing in what podman 4 + runc + CRIU write for a plain container', () => {
    assert.deepEqual(findingsOf(plainFiles()), []);
    assert.deepEqual(criuImageFindings({ tasks: [task(1, 'sh')], mountNamespaces: [] }), []);
  });

  it('refuses capabilities beyond podman\'s defaults in any set, naming the tasks that hold them', () => {
    const admin = (PODMAN_CAPS | CAP_SYS_ADMIN_BIT) >>> 0;
    assert.deepEqual(criuImageFindings({ tasks: [task(1, 'sh', admin), task(40, 'sleep', admin), task(41, 'cat')], mountNamespaces: [] }), [
      "tasks 1 (sh), 40 (sleep) hold capability CAP_SYS_ADMIN, beyond podman's defaults",
    ]);
    const ambient: CriuTask = { ...task(7, 'x'), creds: { ...task(7, 'x').creds!, ambient: [0, 1 << 1] } };
    assert.deepEqual(criuImageFindings({ tasks: [ambient], mountNamespaces: [] }), ["task 7 (x) holds capability CAP_MAC_ADMIN, beyond podman's defaults"]);
    const unknown: CriuTask = { ...task(7, 'x'), creds: { ...task(7, 'x').creds!, bounding: [PODMAN_CAPS, 1 << 20] } };
    assert.deepEqual(criuImageFindings({ tasks: [unknown], mountNamespaces: [] }), ["task 7 (x) holds capability capability number 52, beyond podman's defaults"]);
    const many = [1, 2, 3, 4, 5].map((id) => task(id, 'w', admin));
    assert.deepEqual(criuImageFindings({ tasks: many, mountNamespaces: [] }), ["tasks 1 (w), 2 (w), 3 (w) and 2 more hold capability CAP_SYS_ADMIN, beyond podman's defaults"]);
  });

  it('refuses tasks without seccomp (mode 0, unset, or a mode CRIU does not know), and tasks whose credentials are nowhere', () => {
    const files = { ...plainFiles(), 'checkpoint/core-7.img': coreImage({ seccompMode: null }), 'checkpoint/core-8.img': coreImage({ comm: 'a\nrefused: b', seccompMode: 0 }) };
    assert.deepEqual(findingsOf(files), ['tasks 7 (sh), 8 ("a\\nrefused: b") run without seccomp']);
    assert.deepEqual(findingsOf({ 'checkpoint/core-9.img': coreImage({ seccompMode: 5 }) }), ['task 9 (sh) runs without seccomp']);
    const noThread = criuImage(CORE_MAGIC, pb([1, 1], [3, pb([6, 'sh'])]));
    assert.deepEqual(findingsOf({ 'checkpoint/core-3.img': noThread }), [
      'task 3 (sh) has no credentials in the images, so what it may do cannot be checked',
      'task 3 (sh) runs without seccomp',
    ]);
  });

  it("reads creds-<pid>.img when the core leaves the credentials to it (CRIU's old layout)", () => {
    const core = coreImage({ creds: null });
    assert.deepEqual(findingsOf({ 'checkpoint/core-1.img': core }), ['task 1 (sh) has no credentials in the images, so what it may do cannot be checked']);
    assert.deepEqual(findingsOf({ 'checkpoint/core-1.img': core, 'checkpoint/creds-1.img': criuImage(CREDS_MAGIC, credsEntry()) }), []);
    assert.deepEqual(findingsOf({ 'checkpoint/core-1.img': core, 'checkpoint/creds-1.img': criuImage(CREDS_MAGIC, credsEntry(PODMAN_CAPS, 1 << 19)) }), [
      "task 1 (sh) holds capability CAP_SYS_PTRACE, beyond podman's defaults",
    ]);
  });

  it('refuses mounts of the host: block devices, other file systems, overlays but the root, devtmpfs', () => {
    assert.deepEqual(findingsOf(mountsWith({ id: 200, parent: 80, fstype: FsType.AUTO, fsname: 'ext4', mountpoint: '/mnt', source: '/dev/sda1' })), [
      "it mounts /dev/sda1 (ext4) at /mnt: only bind mounts and a container's own file systems restore",
    ]);
    assert.deepEqual(findingsOf(mountsWith({ id: 200, parent: 80, fstype: FsType.OVERLAY, mountpoint: '/host', source: 'overlay' }, { id: 201, parent: 80, fstype: FsType.DEVTMPFS, mountpoint: '/hostdev', source: 'devtmpfs' })), [
      "it mounts overlay (overlay) at /host: only bind mounts and a container's own file systems restore",
      "it mounts devtmpfs (devtmpfs) at /hostdev: only bind mounts and a container's own file systems restore",
    ]);
    assert.deepEqual(findingsOf(mountsWith({ id: 200, parent: 80, fstype: FsType.UNSUPPORTED, mountpoint: '/x', source: '/dev/vda' })), [
      "it mounts /dev/vda (unknown filesystem) at /x: only bind mounts and a container's own file systems restore",
    ]);
    // A bind the runtime hands in at restore is checked where the spec names it, not here.
    assert.deepEqual(findingsOf(mountsWith({ id: 200, parent: 80, fstype: FsType.UNSUPPORTED, mountpoint: '/data', source: '/dev/vda', root: '/srv', external: true })), []);
  });

  it('refuses writable sysfs and cgroups (external or not), proc writable elsewhere than /proc, and a writable /proc/sys', () => {
    const rw = (m: MountSpec): MountSpec => ({ ...m, flags: 0x20000e, sbFlags: 0 });
    const mounts = podmanMounts().map((m) => (m.mountpoint === '/sys' || m.mountpoint === '/sys/fs/cgroup/cpu' ? rw(m) : m));
    assert.deepEqual(findingsOf({ 'checkpoint/mountpoints-13.img': mountpointsImage(mounts) }), [
      'it mounts sysfs read-write at /sys: a container gets it read-only',
      'it mounts cgroup read-write at /sys/fs/cgroup/cpu: a container gets it read-only',
    ]);
    const procSys = podmanMounts().filter((m) => m.mountpoint !== '/proc/sys');
    assert.deepEqual(findingsOf({ 'checkpoint/mountpoints-13.img': mountpointsImage([...procSys, { id: 202, parent: 80, fstype: FsType.PROC, mountpoint: '/p', source: 'proc', flags: 0x20000e }]) }), [
      'it mounts proc read-write at /p: only /proc itself is writable in a container',
      "it leaves /proc/sys writable: a container gets it read-only, or the host's kernel settings are its to change",
    ]);
  });

  it('refuses a second mount namespace, whose root CRIU would mount from the image', () => {
    const second = mountpointsImage([{ id: 300, parent: 1, fstype: FsType.OVERLAY, mountpoint: '/', source: 'overlay' }]);
    assert.deepEqual(findingsOf({ 'checkpoint/mountpoints-13.img': mountpointsImage(), 'checkpoint/mountpoints-14.img': second }), [
      'it has 2 mount namespaces, where a podman container has one',
    ]);
  });
});

describe("the host's namespaces, as CRIU's images say", () => {
  const host = { pid: 1, net: 2, ipc: 3, uts: 4, mnt: 6 };
  const own = { pid: 9, net: 10, ipc: 11, uts: 12, mnt: 13 };
  const images = (ids: typeof own) => {
    const c = new CheckpointCriuImages();
    const files: Record<string, Buffer> = {
      'checkpoint/inventory.img': inventoryImage(host),
      'checkpoint/core-1.img': coreImage(),
      'checkpoint/ids-1.img': criuImage(IDS_MAGIC, idsEntry(ids)),
      'checkpoint/mountpoints-13.img': mountpointsImage(),
    };
    for (const [path, bytes] of Object.entries(files)) c.add(path, bytes, 'test.tar');
    return c;
  };

  it('reads root_ids from the inventory (its own magic only) and a task\'s ids-<pid>.img; an empty one leaves the parent\'s', () => {
    assert.deepEqual(decodeInventory(inventoryImage(host), 'inventory.img'), { rootIds: host });
    assert.deepEqual(decodeIds(criuImage(IDS_MAGIC, idsEntry(own)), 'ids-1.img'), own);
    assert.equal(decodeIds(criuImage(IDS_MAGIC), 'ids-1.img'), undefined);
    refused(() => decodeInventory(criuImage(IDS_MAGIC), 'inventory.img'), 'NOT_A_CHECKPOINT_ARCHIVE', /not a CRIU inventory image: it starts with 0x54564319, not 0x58313116/);
  });

  it('a task in namespaces of its own: nothing to say', () => {
    assert.deepEqual(images(own).findings(), []);
    assert.equal(images(own).sharesHostNetwork(), false);
  });

  it("a task in the host's network namespace is the user's choice; in its PID, IPC, UTS or mount namespace it is refused", () => {
    assert.equal(images({ ...own, net: host.net }).sharesHostNetwork(), true);
    assert.deepEqual(images({ ...own, net: host.net }).findings(), []);
    assert.deepEqual(images({ ...host, net: own.net }).findings(), [
      "task 1 (sh) would be restored in the host's PID namespace: its images say it shared the one CRIU ran in",
      "task 1 (sh) would be restored in the host's IPC namespace: its images say it shared the one CRIU ran in",
      "task 1 (sh) would be restored in the host's UTS namespace: its images say it shared the one CRIU ran in",
      "task 1 (sh) would be restored in the host's mount namespace: its images say it shared the one CRIU ran in",
    ]);
  });
});

describe('the archive summary with CRIU images', () => {
  const hostileCore = coreImage({ creds: credsEntry((PODMAN_CAPS | CAP_SYS_ADMIN_BIT) >>> 0), seccompMode: 0 });
  const archive = (manager = 'libpod') =>
    tarOf(checkpointEntries([{ name: 'checkpoint/mountpoints-13.img', body: mountpointsImage() }], manager).map((e) => (e.name === 'checkpoint/core-1.img' ? { ...e, body: hostileCore } : e)));

  it('adds what the images grant to refusedOnRestore, for podman checkpoints', async () => {
    const s = await readCheckpointArchive(Readable.from([archive()]));
    assert.ok(s.refusedOnRestore.includes("task 1 (sh) holds capability CAP_SYS_ADMIN, beyond podman's defaults"), s.refusedOnRestore.join('\n'));
    assert.ok(s.refusedOnRestore.includes('task 1 (sh) runs without seccomp'), s.refusedOnRestore.join('\n'));
    assert.deepEqual((await readCheckpointArchive(Readable.from([archive('cri-o')]))).refusedOnRestore, []);
  });

  it('refuses a damaged image with the archive and file named', async () => {
    const broken = tarOf(checkpointEntries([{ name: 'checkpoint/mountpoints-13.img', body: Buffer.from('garbage!!') }]));
    await assert.rejects(readCheckpointArchive(Readable.from([broken])), (err) =>
      isEngineError(err, 'NOT_A_CHECKPOINT_ARCHIVE') && /^checkpoint archive: checkpoint\/mountpoints-13\.img is not a CRIU mountpoints image: it starts with/.test(err.message));
  });

  it('hands a caller that copies the entries the same bytes it read', async () => {
    const bytes = mountpointsImage();
    const builder = new ArchiveSummaryBuilder('x');
    const entry = { path: 'checkpoint/mountpoints-13.img', type: 'file' as const, size: bytes.length, body: Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]) };
    await builder.add(entry);
    const copied: Buffer[] = [];
    for await (const chunk of entry.body) copied.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(copied), bytes);
  });
});
