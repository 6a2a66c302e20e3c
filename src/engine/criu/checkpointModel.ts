/**
 * What a checkpoint holds, as read from CRIU's images: the process tree, each process's credentials, files,
 * sockets, memory map and (when asked) command line and environment, and the mounts. This is the JSON
 * `ckpt inspect --json` prints under `contents`; fields are only added, never renamed or retyped, within a
 * `version`. Addresses are hex strings ("0x7ffc…"): some (the vsyscall page) exceed a JSON number.
 */

/** The shape's version; a change that is not an addition raises it. */
export const CHECKPOINT_CONTENTS_VERSION = 1;

export interface CheckpointContents {
  version: typeof CHECKPOINT_CONTENTS_VERSION;
  /** From inventory.img; absent when it is missing or damaged (a note says why). */
  inventory?: { imageVersion: number; fdinfoPerId: boolean; lsm?: 'none' | 'selinux' | 'apparmor' | string };
  /** Every process (not thread) of pstree.img, parents before children, by PID within a parent. */
  processes: CheckpointProcess[];
  /** The mounts of every mount namespace (mountpoints-<id>.img), by mountpoint (so a parent comes before what is mounted inside it). */
  mounts: CheckpointMount[];
  /**
   * What was skipped, in words: an image that is damaged or missing, an entry of a kind not understood,
   * memory that is not in this checkpoint. Never fatal: the rest is shown.
   */
  notes: string[];
}

export type TaskState = 'alive' | 'dead' | 'stopped' | 'zombie' | `unknown (${number})`;

export interface CheckpointProcess {
  /** The PID inside the container's PID namespace, as CRIU restores it. */
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Thread IDs, the main one (= pid) first. */
  threads: number[];
  /** The kernel's short name (comm, up to 15 bytes). */
  comm: string;
  state: TaskState;
  exitCode?: number;
  /** From the main thread's credentials; absent in images without them. */
  creds?: {
    uid: number; gid: number; euid: number; egid: number;
    capabilities: { effective: string[]; permitted: string[]; inheritable: string[]; bounding: string[]; ambient: string[] };
  };
  seccomp: 'disabled' | 'strict' | 'filter' | `unknown (${number})`;
  /** argv, read from the process's memory pages; absent unless asked or when the pages are not in the checkpoint. */
  cmdline?: string[];
  /** The environment (NAME=value), read like cmdline. */
  environment?: string[];
  cwd?: string;
  root?: string;
  /** Open file descriptors by number. */
  fds: OpenFd[];
  memory: {
    /** Virtual memory areas, in address order. */
    vmas: CheckpointVma[];
    /** Bytes of memory pages this checkpoint holds for the process (pages-*.img). */
    dumpedBytes: number;
  };
}

export interface CheckpointVma {
  start: string;
  end: string;
  /** `rwxp`/`rw-s`: protection and private/shared, as /proc/PID/maps writes them. */
  perms: string;
  kind: 'heap' | 'stack' | 'vdso' | 'vvar' | 'vsyscall' | 'file' | 'anonymous' | 'shared anonymous' | 'sysv shm' | 'socket' | 'aio ring' | 'memfd' | 'other';
}

export type Address = { address: string; port: number };

/** One file descriptor; `kind` says what it is open on. */
export type OpenFd = { fd: number } & (
  | { kind: 'file'; path: string; /** The file offset. */ pos: number; size?: number; mode?: number; deleted?: true }
  | { kind: 'pipe'; pipeId: number }
  | { kind: 'fifo'; pipeId: number; path?: string }
  | { kind: 'unix'; type: SocketType; state: SocketState; /** Bound name; abstract names start with '@'. */ name?: string; inode: number; peer?: number }
  | { kind: 'inet'; family: 'ipv4' | 'ipv6'; protocol: 'tcp' | 'udp' | 'udplite' | 'raw' | `${number}`; state: SocketState; local: Address; remote: Address; inode: number }
  | { kind: 'netlink'; protocol: number; portId: number; inode: number }
  | { kind: 'eventfd'; counter: string }
  | { kind: 'epoll'; /** The descriptors it watches. */ targets: number[] }
  | { kind: 'tty'; type: 'pty' | 'console' | 'vt' | 'ctty' | 'ext' | 'serial' | 'unknown'; /** /dev/pts/N for a pty slave. */ path?: string }
  | { kind: 'other'; /** CRIU's fd type (signalfd, inotify, timerfd, ns, memfd…), not read further. */ type: string }
);

export type SocketType = 'stream' | 'dgram' | 'raw' | 'seqpacket' | `${number}`;
export type SocketState = 'established' | 'syn-sent' | 'syn-recv' | 'fin-wait1' | 'fin-wait2' | 'time-wait' | 'close' | 'close-wait' | 'last-ack' | 'listen' | 'closing' | `${number}`;

export interface CheckpointMount {
  /** CRIU's mnt_id; parentId points at another mount of the same namespace. */
  id: number;
  parentId: number;
  mountpoint: string;
  /** The file system type: proc, tmpfs, overlay…, or the name CRIU recorded for others. */
  type: string;
  source: string;
  /** The folder of its file system this mount shows (bind mounts). */
  root: string;
  options: string;
  readOnly: boolean;
  /** Handed in by the runtime at restore (a bind mount from the host), not recreated by CRIU. */
  external: boolean;
}
