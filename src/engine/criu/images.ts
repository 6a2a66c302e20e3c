/**
 * What a restore takes from CRIU's own images rather than from the OCI spec: each task's credentials and
 * seccomp mode (checkpoint/core-<tid>.img, or creds-<pid>.img in images older than CRIU 2.x) and the mount tree
 * (checkpoint/mountpoints-<id>.img). Field numbers are those of CRIU's images/core.proto, creds.proto, mnt.proto.
 */
import { decodeEntry, eachEntry, onlyEntry, readImage } from './imageFile.js';
import { MalformedError } from './protobuf.js';
import type { Decoded } from './schema.js';

export interface TaskCreds {
  /** Capability sets as CRIU keeps them: u32 words, bit N of the whole is capability N. */
  inheritable: number[];
  permitted: number[];
  effective: number[];
  bounding: number[];
  ambient: number[];
}

/** The namespaces a task was in, by CRIU's IDs (task_kobj_ids_entry, ids-<pid>.img); equal IDs are the same namespace. */
export interface NamespaceIds {
  pid?: number;
  net?: number;
  ipc?: number;
  uts?: number;
  mnt?: number;
}

export interface TaskCore {
  comm: string;
  /** Absent when the image leaves them to creds-<pid>.img, or, with no thread state at all, to nothing. */
  creds?: TaskCreds;
  hasThreadState: boolean;
  /** SECCOMP_MODE_*: 0 disabled, 1 strict, 2 filter; what CRIU restores when the image says nothing is 0. */
  seccompMode: number;
}

export interface MountEntry {
  mountId: number;
  parentMountId: number;
  /** CRIU's fstype enum (FsType); UNSUPPORTED types are named by fsname. */
  fstype: number;
  fsname?: string;
  source: string;
  mountpoint: string;
  /** The folder of its filesystem this mount shows (a bind mount's subtree). */
  root: string;
  /** Per-mount and superblock MS_* flags. */
  flags: number;
  sbFlags: number;
  /** A mount the runtime hands in at restore (runc's `--external mnt[…]`), not one CRIU creates from the image. */
  external: boolean;
}

/** mnt.proto's fstype values. */
export const FsType = {
  UNSUPPORTED: 0,
  PROC: 1,
  SYSFS: 2,
  DEVTMPFS: 3,
  BINFMT_MISC: 4,
  TMPFS: 5,
  DEVPTS: 6,
  SIMFS: 7,
  PSTORE: 8,
  SECURITYFS: 9,
  FUSECTL: 10,
  DEBUGFS: 11,
  CGROUP: 12,
  AUFS: 13,
  MQUEUE: 14,
  FUSE: 15,
  AUTO: 16,
  OVERLAY: 17,
  AUTOFS: 18,
  TRACEFS: 19,
  CGROUP2: 23,
} as const;

/** CRIU's CR_CAP_SIZE: capability sets are two u32 words. */
const CAPABILITY_WORDS = 2;

export function decodeCore(bytes: Buffer, name: string): TaskCore {
  return readImage(bytes, 'core', name, (entries) => {
    const { tc: task, threadCore: thread } = onlyEntry(entries, 'Core');
    return {
      comm: task?.comm ?? thread?.comm ?? '',
      creds: thread?.creds && creds(thread.creds),
      hasThreadState: thread !== undefined,
      // CRIU moves a task's old per-task mode over the thread's before it restores (cr-restore.c).
      seccompMode: task?.oldSeccompMode ?? thread?.seccompMode ?? 0,
    };
  });
}

/** The inventory's root_ids: the namespaces CRIU itself was in when it dumped, the host's. */
export function decodeInventory(bytes: Buffer, name: string): { rootIds?: NamespaceIds } {
  return readImage(bytes, 'inventory', name, (entries) => ({ rootIds: namespaceIds(onlyEntry(entries, 'Inventory').rootIds) }));
}

/** A task's ids-<pid>.img, where CRIU's restore reads them from; an empty one leaves the parent's. */
export function decodeIds(bytes: Buffer, name: string): NamespaceIds | undefined {
  return readImage(bytes, 'ids', name, (entries) => namespaceIds(entries.length ? decodeEntry(entries, 0, 'KobjIds') : undefined));
}

function namespaceIds(m: Decoded<'KobjIds'> | undefined): NamespaceIds | undefined {
  if (!m) return undefined;
  return { pid: m.pidNsId, net: m.netNsId, ipc: m.ipcNsId, uts: m.utsNsId, mnt: m.mntNsId };
}

export function decodeCreds(bytes: Buffer, name: string): TaskCreds {
  return readImage(bytes, 'creds', name, (entries) => creds(onlyEntry(entries, 'Creds')));
}

export function decodeMountpoints(bytes: Buffer, name: string): MountEntry[] {
  return readImage(bytes, 'mountpoints', name, (entries) =>
    eachEntry(entries, 'Mount').map((m) => ({
      mountId: m.mntId ?? 0,
      parentMountId: m.parentMntId ?? 0,
      fstype: m.fstype ?? FsType.UNSUPPORTED,
      fsname: m.fsname,
      source: m.source ?? '',
      mountpoint: m.mountpoint ?? '',
      root: m.root ?? '',
      flags: m.flags ?? 0,
      sbFlags: m.sbFlags ?? 0,
      external: m.extMount === true || m.extKey !== undefined,
    })),
  );
}

function creds(m: Decoded<'Creds'>): TaskCreds {
  const set = (words: number[] = []) => {
    if (words.length > CAPABILITY_WORDS) throw new MalformedError(`a capability set of ${words.length} words, where CRIU keeps ${CAPABILITY_WORDS}`);
    return words;
  };
  return { inheritable: set(m.capInh), permitted: set(m.capPrm), effective: set(m.capEff), bounding: set(m.capBnd), ambient: set(m.capAmb) };
}
