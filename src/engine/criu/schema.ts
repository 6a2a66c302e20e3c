/**
 * The messages of CRIU's image files that the engine reads, as protobufjs reflection types. The names are
 * ours; the field numbers and wire types are CRIU's (its images/*.proto, the file named beside each message).
 * Only the fields we use are listed: every other one is skipped as unknown. All are optional here, though CRIU
 * marks many required: a missing one reads as absent and is shown so, never fatal.
 */
import type protobuf from 'protobufjs/light.js';
import { decodeMessage, protobufjs } from './protobuf.js';

/** `name: 'type id'`, or `'repeated type id'`; a type is a protobuf scalar or another message below. */
type Fields = Record<string, string>;

const MESSAGES = {
  // core.proto
  KobjIds: { vmId: 'uint32 1', filesId: 'uint32 2', fsId: 'uint32 3', sighandId: 'uint32 4', pidNsId: 'uint32 5', netNsId: 'uint32 6', ipcNsId: 'uint32 7', utsNsId: 'uint32 8', mntNsId: 'uint32 9', userNsId: 'uint32 10', cgroupNsId: 'uint32 11', timeNsId: 'uint32 12' },
  TaskCore: { taskState: 'uint32 1', exitCode: 'uint32 2', flags: 'uint32 4', blkSigset: 'uint64 5', comm: 'string 6', oldSeccompMode: 'uint32 11', loginuid: 'uint32 13', oomScoreAdj: 'int32 14' },
  ThreadCore: { schedNice: 'sint32 3', schedPolicy: 'uint32 4', blkSigset: 'uint64 6', pdeathSig: 'uint32 8', creds: 'Creds 10', seccompMode: 'uint32 11', comm: 'string 13' },
  Core: { mtype: 'uint32 1', tc: 'TaskCore 3', ids: 'KobjIds 4', threadCore: 'ThreadCore 5' },
  // creds.proto
  Creds: {
    uid: 'uint32 1', gid: 'uint32 2', euid: 'uint32 3', egid: 'uint32 4', suid: 'uint32 5', sgid: 'uint32 6', fsuid: 'uint32 7', fsgid: 'uint32 8',
    capInh: 'repeated uint32 9', capPrm: 'repeated uint32 10', capEff: 'repeated uint32 11', capBnd: 'repeated uint32 12', secbits: 'uint32 13',
    groups: 'repeated uint32 14', noNewPrivs: 'uint32 18', capAmb: 'repeated uint32 19',
  },
  // inventory.proto
  Inventory: { imgVersion: 'uint32 1', fdinfoPerId: 'bool 2', rootIds: 'KobjIds 3', nsPerId: 'bool 4', lsmtype: 'uint32 6', dumpUptime: 'uint64 8' },
  // pstree.proto
  Pstree: { pid: 'uint32 1', ppid: 'uint32 2', pgid: 'uint32 3', sid: 'uint32 4', threads: 'repeated uint32 5' },
  // fs.proto
  Fs: { cwdId: 'uint32 1', rootId: 'uint32 2', umask: 'uint32 3' },
  // mnt.proto
  Mount: {
    fstype: 'uint32 1', mntId: 'uint32 2', rootDev: 'uint32 3', parentMntId: 'uint32 4', flags: 'uint32 5', root: 'string 6', mountpoint: 'string 7',
    source: 'string 8', options: 'string 9', extMount: 'bool 13', fsname: 'string 14', sbFlags: 'uint32 17', extKey: 'string 18',
  },
  // fdinfo.proto
  Fdinfo: { id: 'uint32 1', flags: 'uint32 2', type: 'uint32 3', fd: 'uint32 4' },
  File: {
    type: 'uint32 1', id: 'uint32 2', reg: 'RegFile 3', isk: 'InetSocket 4', nlsk: 'NetlinkSocket 7', efd: 'Eventfd 8', epfd: 'Eventpoll 9',
    usk: 'UnixSocket 16', fifo: 'Fifo 17', pipe: 'Pipe 18', tty: 'TtyFile 19',
  },
  // regfile.proto
  RegFile: { id: 'uint32 1', flags: 'uint32 2', pos: 'uint64 3', name: 'string 6', mntId: 'sint32 7', size: 'uint64 8', mode: 'uint32 10' },
  // sk-inet.proto
  InetSocket: {
    id: 'uint32 1', ino: 'uint32 2', family: 'uint32 3', type: 'uint32 4', proto: 'uint32 5', state: 'uint32 6', srcPort: 'uint32 7', dstPort: 'uint32 8',
    backlog: 'uint32 10', srcAddr: 'repeated uint32 11', dstAddr: 'repeated uint32 12', v6only: 'bool 15', ifname: 'string 17',
  },
  // sk-unix.proto
  UnixSocket: { id: 'uint32 1', ino: 'uint32 2', type: 'uint32 3', state: 'uint32 4', backlog: 'uint32 7', peer: 'uint32 8', name: 'bytes 11', nameDir: 'string 14', deleted: 'bool 15' },
  // sk-netlink.proto
  NetlinkSocket: { id: 'uint32 1', ino: 'uint32 2', protocol: 'uint32 3', state: 'uint32 4', portid: 'uint32 7', groups: 'repeated uint32 8', dstPortid: 'uint32 9', dstGroup: 'uint32 10' },
  // eventfd.proto, eventpoll.proto
  Eventfd: { id: 'uint32 1', flags: 'uint32 2', counter: 'uint64 4' },
  EventpollTarget: { id: 'uint32 1', tfd: 'uint32 2', events: 'uint32 3' },
  Eventpoll: { id: 'uint32 1', flags: 'uint32 2', tfd: 'repeated EventpollTarget 4' },
  // pipe.proto, fifo.proto
  Pipe: { id: 'uint32 1', pipeId: 'uint32 2', flags: 'uint32 3' },
  Fifo: { id: 'uint32 1', pipeId: 'uint32 2', regfId: 'uint32 3' },
  // tty.proto
  TtyFile: { id: 'uint32 1', ttyInfoId: 'uint32 2', flags: 'uint32 3', regfId: 'uint32 6' },
  TtyPty: { index: 'uint32 1' },
  TtyInfo: { id: 'uint32 1', type: 'uint32 2', sid: 'uint32 6', pgrp: 'uint32 7', rdev: 'uint32 8', pty: 'TtyPty 12', dev: 'uint32 13' },
  // mm.proto, vma.proto
  Vma: { start: 'uint64 1', end: 'uint64 2', pgoff: 'uint64 3', shmid: 'uint64 4', prot: 'uint32 5', flags: 'uint32 6', status: 'uint32 7' },
  Mm: {
    startCode: 'uint64 1', endCode: 'uint64 2', startData: 'uint64 3', endData: 'uint64 4', startStack: 'uint64 5', startBrk: 'uint64 6', brk: 'uint64 7',
    argStart: 'uint64 8', argEnd: 'uint64 9', envStart: 'uint64 10', envEnd: 'uint64 11', exeFileId: 'uint32 12', vmas: 'repeated Vma 14', dumpable: 'int32 15',
  },
  // pagemap.proto
  PagemapHead: { pagesId: 'uint32 1' },
  Pagemap: { vaddr: 'uint64 1', compatNrPages: 'uint32 2', inParent: 'bool 3', flags: 'uint32 4', nrPages: 'uint64 5' },
  // stats.proto
  DumpStats: {
    freezingTime: 'uint32 1', frozenTime: 'uint32 2', memdumpTime: 'uint32 3', memwriteTime: 'uint32 4', pagesScanned: 'uint64 5', pagesSkippedParent: 'uint64 6',
    pagesWritten: 'uint64 7', pagesLazy: 'uint64 9',
  },
  Stats: { dump: 'DumpStats 1' },
} as const satisfies Record<string, Fields>;

export type MessageName = keyof typeof MESSAGES;

/** What a type name decodes to (64-bit numbers as decimal strings, see decodeMessage). */
type Value<T extends string> = T extends MessageName ? Decoded<T>
  : T extends 'string' | 'uint64' | 'int64' ? string
  : T extends 'bool' ? boolean
  : T extends 'bytes' ? Uint8Array
  : number;
type FieldValue<S> = S extends `repeated ${infer T} ${string}` ? Value<T>[] : S extends `${infer T} ${string}` ? Value<T> : never;

/** A decoded message: the fields present, each typed from the table above. */
export type Decoded<N extends MessageName> = { -readonly [K in keyof (typeof MESSAGES)[N]]?: FieldValue<(typeof MESSAGES)[N][K]> };

let root: protobuf.Root | undefined;

/** The messages as protobufjs types, built at the first decode (see protobufjs()). */
function schemaRoot(): protobuf.Root {
  return (root ??= protobufjs().Root.fromJSON({
    nested: Object.fromEntries(
      Object.entries(MESSAGES).map(([name, fields]) => [
        name,
        {
          // CRIU's images are proto2: a field present with value 0 is present, unlike proto3 (protobufjs's default here).
          edition: 'proto2',
          fields: Object.fromEntries(
            Object.entries(fields).map(([field, spec]) => {
              const parts = spec.split(' ');
              const repeated = parts.length === 3;
              return [field, { rule: repeated ? 'repeated' : undefined, type: parts[parts.length - 2]!, id: Number(parts[parts.length - 1]) }];
            }),
          ),
        },
      ]),
    ),
  }));
}

/** The protobufjs type of one of the messages above. */
export function messageType(name: MessageName): protobuf.Type {
  return schemaRoot().lookupType(name);
}

/** One entry of a CRIU image decoded as message `name` (guarded, see decodeMessage). */
export function decode<N extends MessageName>(name: N, bytes: Uint8Array): Decoded<N> {
  return decodeMessage<Decoded<N>>(messageType(name), bytes);
}
