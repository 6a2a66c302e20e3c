/**
 * CRIU images written by hand for tests: a protobuf wire encoder for the few field kinds CRIU's images use,
 * the image framing, and entries shaped like those podman 4 + runc + CRIU 4 write.
 */

export type FieldValue = number | bigint | string | Buffer;

const IMG_COMMON_MAGIC = 0x54564319;
export const CORE_MAGIC = 0x55053847;
export const CREDS_MAGIC = 0x54023547;
export const MNTS_MAGIC = 0x55563928;
export const IDS_MAGIC = 0x54432030;

const INVENTORY_MAGIC = 0x58313116;

/** inventory.img as CRIU 4 writes it (image version 2), with the host's namespace IDs as root_ids; it carries only its own magic. */
export function inventoryImage(rootIds = { pid: 1, net: 2, ipc: 3, uts: 4, mnt: 6 }): Buffer {
  const entry = pb([1, 2], [3, idsEntry(rootIds)]);
  return Buffer.concat([u32(INVENTORY_MAGIC), u32(entry.length), entry]);
}

/** task_kobj_ids_entry (ids-<pid>.img, the inventory's root_ids) with these namespace IDs. */
export function idsEntry(ns: { pid: number; net: number; ipc: number; uts: number; mnt: number }): Buffer {
  return pb([1, 2], [2, 2], [3, 2], [4, 2], [5, ns.pid], [6, ns.net], [7, ns.ipc], [8, ns.uts], [9, ns.mnt]);
}

/** Podman 4's default capabilities as the first u32 word CRIU writes for a plain container. */
export const PODMAN_CAPS = 0xa80425fb;
export const CAP_SYS_ADMIN_BIT = 1 << 21;

export function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? byte | 0x80 : byte);
  } while (v);
  return Buffer.from(out);
}

/** A message from [field, value] pairs in order: numbers as varints, strings and buffers length-delimited. */
export function pb(...fields: Array<[number, FieldValue]>): Buffer {
  return Buffer.concat(
    fields.map(([n, v]) => {
      if (typeof v === 'number' || typeof v === 'bigint') return Buffer.concat([varint(n << 3), varint(v)]);
      const bytes = typeof v === 'string' ? Buffer.from(v) : v;
      return Buffer.concat([varint((n << 3) | 2), varint(bytes.length), bytes]);
    }),
  );
}

/** An image file: the common magic, the type's magic, then each entry behind its u32 length. */
export function criuImage(magic: number, ...entries: Buffer[]): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(IMG_COMMON_MAGIC, 0);
  head.writeUInt32LE(magic, 4);
  return Buffer.concat([head, ...entries.flatMap((e) => [u32(e.length), e])]);
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** creds_entry: ids 0, the same capability word in all of inh/prm/eff/bnd except inheritable and ambient. */
export function credsEntry(caps = PODMAN_CAPS, ambient = 0): Buffer {
  const ids = [1, 2, 3, 4, 5, 6, 7, 8].map((n): [number, FieldValue] => [n, 0]);
  return pb(...ids, [9, 0], [9, 0], [10, caps], [10, 0], [11, caps], [11, 0], [12, caps], [12, 0], [13, 0], [19, ambient], [19, 0]);
}

/** core_entry of an x86_64 task: task core with its comm, thread core with creds and seccomp mode. */
export function coreImage(options: { comm?: string; creds?: Buffer | null; seccompMode?: number | null } = {}): Buffer {
  const { comm = 'sh', creds = credsEntry(), seccompMode = 2 } = options;
  const thread: Array<[number, FieldValue]> = [[1, 0], [2, 24]];
  if (creds) thread.push([10, creds]);
  if (seccompMode !== null) thread.push([11, seccompMode]);
  const task = pb([1, 1], [2, 0], [3, 0], [4, 0x400100], [5, 0], [6, comm]);
  return criuImage(CORE_MAGIC, pb([1, 1], [3, task], [5, pb(...thread)]));
}

export interface MountSpec {
  id: number;
  parent: number;
  fstype: number;
  mountpoint: string;
  source: string;
  root?: string;
  flags?: number;
  sbFlags?: number;
  external?: boolean;
  fsname?: string;
}

/** mnt_entry with the fields CRIU requires. */
export function mountEntry(m: MountSpec): Buffer {
  const fields: Array<[number, FieldValue]> = [[1, m.fstype], [2, m.id], [3, 0x22], [4, m.parent], [5, m.flags ?? 0x200000], [6, m.root ?? '/'], [7, m.mountpoint], [8, m.source], [9, ''], [10, 0], [11, 0]];
  if (m.external) fields.push([13, 1]);
  if (m.fsname) fields.push([14, m.fsname]);
  fields.push([17, m.sbFlags ?? 0]);
  return pb(...fields);
}

/** The mount tree podman 4 + runc give a plain container (cgroup v1 host), as CRIU 4.2 wrote it. */
export function podmanMounts(): MountSpec[] {
  const ro = 0x20000f;
  return [
    { id: 80, parent: 53, fstype: 17, mountpoint: '/', source: 'overlay' },
    { id: 81, parent: 80, fstype: 1, mountpoint: '/proc', source: 'proc', flags: 0x20000e },
    { id: 54, parent: 81, fstype: 1, mountpoint: '/proc/bus', source: 'proc', root: '/bus', flags: ro },
    { id: 57, parent: 81, fstype: 1, mountpoint: '/proc/sys', source: 'proc', root: '/sys', flags: ro },
    { id: 58, parent: 81, fstype: 5, mountpoint: '/proc/acpi', source: 'tmpfs', flags: 0x200001, sbFlags: 1 },
    { id: 59, parent: 81, fstype: 5, mountpoint: '/proc/keys', source: 'tmpfs', root: '/null', flags: 0x100000a, external: true },
    { id: 82, parent: 80, fstype: 5, mountpoint: '/dev', source: 'tmpfs', flags: 0x100000a },
    { id: 83, parent: 80, fstype: 2, mountpoint: '/sys', source: 'sysfs', flags: ro, sbFlags: 1 },
    { id: 84, parent: 82, fstype: 6, mountpoint: '/dev/pts', source: 'devpts', flags: 0x20000a },
    { id: 85, parent: 82, fstype: 14, mountpoint: '/dev/mqueue', source: 'mqueue', flags: 0x20000e },
    { id: 86, parent: 80, fstype: 0, mountpoint: '/etc/hosts', source: '/dev/vda', root: '/var/lib/containers/storage/overlay-containers/c0ffee/userdata/hosts', external: true },
    { id: 87, parent: 82, fstype: 5, mountpoint: '/dev/shm', source: 'shm', flags: 0x20000e, external: true },
    { id: 91, parent: 83, fstype: 5, mountpoint: '/sys/fs/cgroup', source: 'tmpfs', flags: 0x20000e },
    { id: 92, parent: 91, fstype: 12, mountpoint: '/sys/fs/cgroup/cpu', source: 'cgroup', root: '/libpod_parent/libpod-c0ffee', flags: ro, external: true },
  ];
}

export function mountpointsImage(mounts: MountSpec[] = podmanMounts()): Buffer {
  return criuImage(MNTS_MAGIC, ...mounts.map(mountEntry));
}

// ---- The images `ckpt inspect` reads: a small task tree with files, sockets and memory. ----

export const PSTREE_MAGIC = 0x50273030;
export const FS_MAGIC = 0x51403912;
export const FDINFO_MAGIC = 0x56213732;
export const FILES_MAGIC = 0x56303138;
export const MM_MAGIC = 0x57492820;
export const PAGEMAP_MAGIC = 0x56084025;
export const TTY_INFO_MAGIC = 0x59453036;
export const PAGE = 4096;

/** inventory.img of CRIU 4 with fdinfo-<files_id>.img per files table. */
export function inventoryPerId(): Buffer {
  const entry = pb([1, 2], [2, 1], [3, idsEntry({ pid: 1, net: 2, ipc: 3, uts: 4, mnt: 6 })]);
  return Buffer.concat([u32(0x58313116), u32(entry.length), entry]);
}

export function pstreeImage(...tasks: Array<{ pid: number; ppid: number; pgid?: number; sid?: number; threads?: number[] }>): Buffer {
  return criuImage(PSTREE_MAGIC, ...tasks.map((t) => pb([1, t.pid], [2, t.ppid], [3, t.pgid ?? 1], [4, t.sid ?? 1], ...(t.threads ?? [t.pid]).map((n): [number, FieldValue] => [5, n]))));
}

/** ids-<pid>.img whose files table is `filesId`. */
export function taskIdsImage(filesId: number): Buffer {
  return criuImage(IDS_MAGIC, pb([1, 10], [2, filesId], [3, 11], [4, 12], [5, 1], [6, 2], [7, 3], [8, 4], [9, 6]));
}

export function fsImage(cwdId: number, rootId: number): Buffer {
  return criuImage(FS_MAGIC, pb([1, cwdId], [2, rootId], [3, 0o22]));
}

export function fdinfoImage(...fds: Array<{ fd: number; id: number; type: number }>): Buffer {
  return criuImage(FDINFO_MAGIC, ...fds.map((f) => pb([1, f.id], [2, 0], [3, f.type], [4, f.fd])));
}

const fown = pb([1, 0], [2, 0], [3, 0], [4, 0], [5, 0]);

/** file_entry values of files.img, one helper per kind. */
export const fileEntry = {
  reg: (id: number, name: string, pos = 0) => pb([1, 1], [2, id], [3, pb([1, id], [2, 0x8002], [3, pos], [5, fown], [6, name], [7, 0], [8, 12])]),
  pipe: (id: number, pipeId: number) => pb([1, 2], [2, id], [18, pb([1, id], [2, pipeId], [3, 0], [4, fown])]),
  /** An inet socket: addresses as the words CRIU writes (network-order bytes read as LE u32). */
  inet: (id: number, o: { family: number; proto: number; state: number; src: number[]; srcPort: number; dst?: number[]; dstPort?: number }) =>
    pb([1, 4], [2, id], [4, pb([1, id], [2, 900 + id], [3, o.family], [4, 1], [5, o.proto], [6, o.state], [7, o.srcPort], [8, o.dstPort ?? 0], [9, 2], [10, 128],
      ...o.src.map((w): [number, FieldValue] => [11, w]), ...(o.dst ?? o.src.map(() => 0)).map((w): [number, FieldValue] => [12, w]), [13, fown], [14, Buffer.alloc(0)])]),
  unix: (id: number, name: Buffer, state = 10, peer = 0) => pb([1, 5], [2, id], [16, pb([1, id], [2, 700 + id], [3, 1], [4, state], [5, 0], [6, 0], [7, 0], [8, peer], [9, fown], [10, Buffer.alloc(0)], [11, name])]),
  eventfd: (id: number, counter: number) => pb([1, 6], [2, id], [8, pb([1, id], [2, 0], [3, fown], [4, counter])]),
  epoll: (id: number, ...targets: number[]) => pb([1, 7], [2, id], [9, pb([1, id], [2, 0], [3, fown], ...targets.map((t): [number, FieldValue] => [4, pb([1, 0], [2, t], [3, 1], [4, 0])]))]),
  tty: (id: number, infoId: number) => pb([1, 11], [2, id], [19, pb([1, id], [2, infoId], [3, 0], [4, fown])]),
  signalfd: (id: number) => pb([1, 9], [2, id], [10, pb([1, id])]),
};

export function filesImage(...entries: Buffer[]): Buffer {
  return criuImage(FILES_MAGIC, ...entries);
}

/** tty-info.img with one pty slave /dev/pts/`index`. */
export function ttyInfoImage(id: number, index: number): Buffer {
  return criuImage(TTY_INFO_MAGIC, pb([1, id], [2, 1], [3, 0], [4, 0], [5, 0], [6, 1], [7, 1], [8, 0x8800 + index], [12, pb([1, index])]));
}

/** mm-<pid>.img: one heap, one stack VMA and the argv/environ ranges. */
export function mmImage(o: { argStart: bigint; argEnd: bigint; envStart: bigint; envEnd: bigint; vmas: Array<{ start: bigint; end: bigint; status: number; prot?: number; flags?: number }> }): Buffer {
  const vmas = o.vmas.map((v): [number, FieldValue] => [14, pb([1, v.start], [2, v.end], [3, 0], [4, 0], [5, v.prot ?? 3], [6, v.flags ?? 0x22], [7, v.status], [8, varintZigzag(-1)])]);
  const fields: Array<[number, FieldValue]> = [[1, 0x400000], [2, 0x401000], [3, 0], [4, 0], [5, 0], [6, 0], [7, 0], [8, o.argStart], [9, o.argEnd], [10, o.envStart], [11, o.envEnd], [12, 0]];
  return criuImage(MM_MAGIC, pb(...fields, ...vmas));
}

const varintZigzag = (n: number) => BigInt.asUintN(64, BigInt((n << 1) ^ (n >> 31)));

/** pagemap-<pid>.img: the head naming pages-`pagesId`.img, then runs of pages (present ones lie in that file in order). */
export function pagemapImage(pagesId: number, ...runs: Array<{ vaddr: bigint; pages: number; present?: boolean }>): Buffer {
  return criuImage(PAGEMAP_MAGIC, pb([1, pagesId]), ...runs.map((r) => pb([1, r.vaddr], [2, r.pages], [4, r.present === false ? 1 : 4])));
}
