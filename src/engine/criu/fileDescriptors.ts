/**
 * Open file descriptors as CRIU records them: fdinfo-<id>.img maps each descriptor number to a file ID, and
 * files.img holds every file once by that ID (a regular file, a pipe, a socket…). This turns one file entry
 * into the model's OpenFd.
 */
import type { Address, OpenFd, SocketState, SocketType } from './checkpointModel.js';
import { big } from './protobuf.js';
import type { Decoded } from './schema.js';

/** CRIU's fd_types (fdinfo.proto), by number. */
export const FD_TYPES = ['UND', 'REG', 'PIPE', 'FIFO', 'INETSK', 'UNIXSK', 'EVENTFD', 'EVENTPOLL', 'INOTIFY', 'SIGNALFD', 'PACKETSK', 'TTY', 'FANOTIFY', 'NETLINKSK', 'NS', 'TUNF', 'EXT', 'TIMERFD', 'MEMFD', 'BPFMAP', 'PIDFD'];

const SOCKET_TYPES: Record<number, SocketType> = { 1: 'stream', 2: 'dgram', 3: 'raw', 5: 'seqpacket' };
/** The kernel's TCP states, which unix sockets use too. */
const STATES = ['', 'established', 'syn-sent', 'syn-recv', 'fin-wait1', 'fin-wait2', 'time-wait', 'close', 'close-wait', 'last-ack', 'listen', 'closing'] as const;
const PROTOCOLS: Record<number, 'tcp' | 'udp' | 'udplite' | 'raw'> = { 6: 'tcp', 17: 'udp', 136: 'udplite', 255: 'raw' };
const AF_INET6 = 10;
const TTY_TYPES = ['unknown', 'pty', 'console', 'vt', 'ctty', 'ext', 'serial'] as const;

export type FileEntry = Decoded<'File'>;
type TtyInfo = Decoded<'TtyInfo'>;

/**
 * The descriptor `fd` open on `file`; `files` resolves the IDs a file refers to (a fifo's or tty's path),
 * `ttys` the terminals of tty-info.img. Undefined when the entry lacks the part its type needs.
 */
export function openFd(fd: number, file: FileEntry, files: ReadonlyMap<number, FileEntry>, ttys: ReadonlyMap<number, TtyInfo>): OpenFd | undefined {
  const pathOf = (id?: number) => (id === undefined ? undefined : files.get(id)?.reg?.name);
  const type = FD_TYPES[file.type ?? 0] ?? `type ${file.type}`;
  switch (type) {
    case 'REG': {
      const r = file.reg;
      if (!r) return undefined;
      return { fd, kind: 'file', path: r.name ?? '', pos: Number(big(r.pos)), size: r.size === undefined ? undefined : Number(big(r.size)), mode: r.mode };
    }
    case 'PIPE':
      return file.pipe && { fd, kind: 'pipe', pipeId: file.pipe.pipeId ?? 0 };
    case 'FIFO':
      return file.fifo && { fd, kind: 'fifo', pipeId: file.fifo.pipeId ?? 0, path: pathOf(file.fifo.regfId) };
    case 'UNIXSK': {
      const u = file.usk;
      if (!u) return undefined;
      return { fd, kind: 'unix', type: socketType(u.type), state: socketState(u.state), name: unixName(u.name, u.nameDir), inode: u.ino ?? 0, peer: u.peer || undefined };
    }
    case 'INETSK': {
      const s = file.isk;
      if (!s) return undefined;
      const v6 = s.family === AF_INET6;
      return {
        fd, kind: 'inet', family: v6 ? 'ipv6' : 'ipv4', protocol: PROTOCOLS[s.proto ?? 0] ?? `${s.proto ?? 0}`, state: socketState(s.state), inode: s.ino ?? 0,
        local: address(s.srcAddr, s.srcPort, v6), remote: address(s.dstAddr, s.dstPort, v6),
      };
    }
    case 'NETLINKSK':
      return file.nlsk && { fd, kind: 'netlink', protocol: file.nlsk.protocol ?? 0, portId: file.nlsk.portid ?? 0, inode: file.nlsk.ino ?? 0 };
    case 'EVENTFD':
      return file.efd && { fd, kind: 'eventfd', counter: String(big(file.efd.counter)) };
    case 'EVENTPOLL':
      return file.epfd && { fd, kind: 'epoll', targets: (file.epfd.tfd ?? []).map((t) => t.tfd ?? 0) };
    case 'TTY': {
      const t = file.tty;
      if (!t) return undefined;
      const info = t.ttyInfoId === undefined ? undefined : ttys.get(t.ttyInfoId);
      const ttyType = TTY_TYPES[info?.type ?? 0] ?? 'unknown';
      const path = pathOf(t.regfId) ?? (ttyType === 'pty' && info?.pty ? `/dev/pts/${info.pty.index ?? 0}` : undefined);
      return { fd, kind: 'tty', type: ttyType, path };
    }
    default:
      return { fd, kind: 'other', type: type.toLowerCase() };
  }
}

function socketType(n = 0): SocketType {
  return SOCKET_TYPES[n] ?? `${n}`;
}

function socketState(n = 0): SocketState {
  return STATES[n] || `${n}`;
}

/** A unix socket's name: a path (under name_dir when relative), '@name' for an abstract one, none when unbound. */
function unixName(name: Uint8Array | undefined, dir: string | undefined): string | undefined {
  if (!name?.length) return undefined;
  const bytes = Buffer.from(name);
  if (bytes[0] === 0) return `@${bytes.subarray(1).toString('utf8').replace(/\0+$/, '')}`;
  const text = bytes.toString('utf8').replace(/\0+$/, '');
  return dir && !text.startsWith('/') ? `${dir.replace(/\/$/, '')}/${text}` : text;
}

/** CRIU keeps an address as the in-memory words of struct in_addr / in6_addr: network-order bytes, read as u32 LE. */
function address(words: number[] = [], port = 0, v6: boolean): Address {
  const bytes = Buffer.alloc(v6 ? 16 : 4);
  words.slice(0, bytes.length / 4).forEach((w, i) => bytes.writeUInt32LE(w >>> 0, i * 4));
  return { address: v6 ? ipv6(bytes) : [...bytes].join('.'), port };
}

function ipv6(bytes: Buffer): string {
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes.readUInt16BE(10) === 0xffff) return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  // The longest run of two or more zero groups becomes '::' (RFC 5952).
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}
