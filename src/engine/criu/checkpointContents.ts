/**
 * Builds the model of what a checkpoint holds (checkpointModel.ts) from CRIU's image files, already read into
 * memory (all but the pages). Nothing here is fatal: a damaged or missing image, or an entry not understood,
 * becomes a note and the rest is shown. Command lines and environments need the memory pages; the builder
 * says which bytes of which pages file it wants, and the caller reads just those (memoryWanted / fillMemory).
 */
import { isEngineError } from '../errors.js';
import { capabilityNames } from './capabilities.js';
import { CHECKPOINT_CONTENTS_VERSION, type CheckpointContents, type CheckpointMount, type CheckpointProcess, type CheckpointVma, type OpenFd, type TaskState } from './checkpointModel.js';
import { FD_TYPES, openFd, type FileEntry } from './fileDescriptors.js';
import { decodeEntry, readImage, type ImageKind } from './imageFile.js';
import { FsType } from './images.js';
import { decodePageMap, locate, nulSeparated, type PageMap, type Piece } from './memory.js';
import { big, MalformedError } from './protobuf.js';
import type { Decoded, MessageName } from './schema.js';

/** The images the model reads, by name in the checkpoint folder, and the kind each is. */
const CONTENT_IMAGE = /^(?:(inventory|pstree|files|tty-info)|(core|ids|fs|fdinfo|mm|pagemap|mountpoints)-\d+)\.img$/;
const KINDS: Record<string, ImageKind> = { 'tty-info': 'ttyInfo' };

/** Whether `name` (in the checkpoint folder) is an image the model reads into memory. */
export function isContentImage(name: string): boolean {
  return CONTENT_IMAGE.test(name);
}

/** Pages-file bytes the model wants: a process's argv or environ. */
export interface MemoryWant {
  pid: number;
  what: 'cmdline' | 'environment';
  pagesId: number;
  /** Where the bytes go; pieces not in the checkpoint stay zero. */
  buffer: Buffer;
  pieces: Piece[];
  missing: number;
}

/** Longest command line or environment read; Linux's own limit for both together is some MiB. */
export const MAX_STRINGS_BYTES = 1 << 20;
const STATES: Record<number, TaskState> = { 1: 'alive', 2: 'dead', 3: 'stopped', 6: 'zombie' };
const SECCOMP = ['disabled', 'strict', 'filter'] as const;
const FS_NAMES = new Map<number, string>(Object.entries(FsType).map(([name, code]) => [code, name.toLowerCase()]));
const MS_RDONLY = 1;

export class ContentsBuilder {
  readonly notes: string[];
  readonly #images: ReadonlyMap<string, Buffer>;
  readonly #maps = new Map<number, PageMap>();
  readonly #mms = new Map<number, Decoded<'Mm'>>();

  /** `images`: the content images by name (pstree.img, core-1.img…); `notes`: what the reader skipped already. */
  constructor(images: ReadonlyMap<string, Buffer>, notes: string[] = []) {
    this.#images = images;
    this.notes = [...notes];
  }

  build(): CheckpointContents {
    const inventory = this.#one('inventory.img', 'Inventory');
    const files = new Map<number, FileEntry>();
    for (const f of this.#each('files.img', 'File')) if (f.id !== undefined) files.set(f.id, f);
    const ttys = new Map<number, Decoded<'TtyInfo'>>();
    for (const t of this.#each('tty-info.img', 'TtyInfo')) if (t.id !== undefined) ttys.set(t.id, t);
    if (!this.#images.has('pstree.img')) this.notes.push('pstree.img is missing: no processes to show');
    const tree = this.#each('pstree.img', 'Pstree');
    const processes = tree.map((p) => this.#process(p, inventory?.fdinfoPerId ?? false, files, ttys));
    return {
      version: CHECKPOINT_CONTENTS_VERSION,
      inventory: inventory && { imageVersion: inventory.imgVersion ?? 0, fdinfoPerId: inventory.fdinfoPerId ?? false, lsm: ['none', 'selinux', 'apparmor'][inventory.lsmtype ?? 0] ?? `${inventory.lsmtype}` },
      processes: treeOrder(processes),
      mounts: this.#mounts(),
      notes: this.notes,
    };
  }

  /** The pages-file bytes holding each process's argv and environ (after build). */
  memoryWanted(processes: CheckpointProcess[]): MemoryWant[] {
    return processes.flatMap((p) => {
      const mm = this.#mms.get(p.pid);
      const map = this.#maps.get(p.pid);
      return mm && map ? memoryWanted(p.pid, mm, map, this.notes) : [];
    });
  }

  /** Puts the wanted bytes, once read, into the processes. */
  fillMemory(processes: CheckpointProcess[], wants: MemoryWant[]): void {
    const byPid = new Map(processes.map((p) => [p.pid, p]));
    for (const w of wants) {
      if (w.missing) this.notes.push(`process ${w.pid}: ${w.missing} bytes of its ${w.what} are not in this checkpoint's memory pages`);
      const p = byPid.get(w.pid);
      if (p && w.missing < w.buffer.length) p[w.what] = nulSeparated(w.buffer);
    }
  }

  #process(entry: Decoded<'Pstree'>, fdinfoPerId: boolean, files: ReadonlyMap<number, FileEntry>, ttys: ReadonlyMap<number, Decoded<'TtyInfo'>>): CheckpointProcess {
    const pid = entry.pid ?? 0;
    const core = this.#one(`core-${pid}.img`, 'Core');
    if (!core && !this.#images.has(`core-${pid}.img`)) this.notes.push(`core-${pid}.img is missing: process ${pid} is shown without its state`);
    const ids = this.#one(`ids-${pid}.img`, 'KobjIds', true) ?? core?.ids;
    const creds = core?.threadCore?.creds;
    const seccomp = core?.tc?.oldSeccompMode ?? core?.threadCore?.seccompMode ?? 0;
    const fs = this.#one(`fs-${pid}.img`, 'Fs', true);
    const mm = this.#one(`mm-${pid}.img`, 'Mm');
    if (mm) this.#mms.set(pid, mm);
    const map = this.#pageMap(pid);
    const fdinfoId = fdinfoPerId ? ids?.filesId : pid;
    const threads = entry.threads?.length ? entry.threads : [pid];
    return {
      pid,
      ppid: entry.ppid ?? 0,
      pgid: entry.pgid ?? 0,
      sid: entry.sid ?? 0,
      threads: [pid, ...threads.filter((t) => t !== pid)],
      comm: core?.tc?.comm ?? core?.threadCore?.comm ?? '',
      state: STATES[core?.tc?.taskState ?? 0] ?? `unknown (${core?.tc?.taskState ?? 0})`,
      exitCode: core?.tc?.exitCode || undefined,
      creds: creds && {
        uid: creds.uid ?? 0, gid: creds.gid ?? 0, euid: creds.euid ?? 0, egid: creds.egid ?? 0,
        capabilities: {
          effective: capabilityNames(creds.capEff ?? []), permitted: capabilityNames(creds.capPrm ?? []), inheritable: capabilityNames(creds.capInh ?? []),
          bounding: capabilityNames(creds.capBnd ?? []), ambient: capabilityNames(creds.capAmb ?? []),
        },
      },
      seccomp: SECCOMP[seccomp] ?? `unknown (${seccomp})`,
      cwd: fs?.cwdId === undefined ? undefined : files.get(fs.cwdId)?.reg?.name,
      root: fs?.rootId === undefined ? undefined : files.get(fs.rootId)?.reg?.name,
      fds: fdinfoId === undefined ? [] : this.#fds(`fdinfo-${fdinfoId}.img`, files, ttys),
      memory: { vmas: (mm?.vmas ?? []).map(vma), dumpedBytes: map?.dumpedBytes ?? 0 },
    };
  }

  #fds(name: string, files: ReadonlyMap<number, FileEntry>, ttys: ReadonlyMap<number, Decoded<'TtyInfo'>>): OpenFd[] {
    const fds: OpenFd[] = [];
    for (const info of this.#each(name, 'Fdinfo')) {
      const file = info.id === undefined ? undefined : files.get(info.id);
      const fd = info.fd ?? 0;
      const open = file && openFd(fd, file, files, ttys);
      if (open) fds.push(open);
      else this.notes.push(`${name}: descriptor ${fd} (${FD_TYPES[info.type ?? 0] ?? info.type}) has no readable entry ${info.id} in files.img; not shown`);
    }
    return fds.sort((a, b) => a.fd - b.fd);
  }

  #pageMap(pid: number): PageMap | undefined {
    const name = `pagemap-${pid}.img`;
    const map = this.#read(name, (entries) => (entries.length ? decodePageMap(entries) : undefined));
    if (map) this.#maps.set(pid, map);
    return map;
  }

  #mounts(): CheckpointMount[] {
    const mounts: CheckpointMount[] = [];
    for (const name of [...this.#images.keys()].filter((n) => n.startsWith('mountpoints-')).sort()) {
      for (const m of this.#each(name, 'Mount')) {
        mounts.push({
          id: m.mntId ?? 0, parentId: m.parentMntId ?? 0, mountpoint: m.mountpoint ?? '',
          type: mountType(m),
          source: m.source ?? '', root: m.root ?? '', options: m.options ?? '', readOnly: ((m.flags ?? 0) & MS_RDONLY) !== 0,
          external: m.extMount === true || m.extKey !== undefined,
        });
      }
    }
    return mounts.sort((a, b) => (a.mountpoint < b.mountpoint ? -1 : a.mountpoint > b.mountpoint ? 1 : a.id - b.id));
  }

  /** The single entry of an image (none when `optional` and empty), or undefined with a note. */
  #one<N extends MessageName>(name: string, type: N, optional = false): Decoded<N> | undefined {
    return this.#read(name, (entries) => {
      if (optional && entries.length === 0) return undefined;
      if (entries.length !== 1) throw new MalformedError(`it holds ${entries.length} entries, not one`);
      return decodeEntry(entries, 0, type);
    });
  }

  /** Every entry of an image; one that does not decode is skipped with a note, the others are kept. */
  #each<N extends MessageName>(name: string, type: N): Decoded<N>[] {
    return (
      this.#read(name, (entries) =>
        entries.flatMap((_, i) => {
          try {
            return [decodeEntry(entries, i, type)];
          } catch (err) {
            if (!(err instanceof MalformedError)) throw err;
            this.notes.push(`${name}: ${err.message}; skipped`);
            return [];
          }
        }),
      ) ?? []
    );
  }

  #read<T>(name: string, read: (entries: Buffer[]) => T): T | undefined {
    const bytes = this.#images.get(name);
    const match = CONTENT_IMAGE.exec(name);
    if (!bytes || !match) return undefined;
    const prefix = match[1] ?? match[2]!;
    try {
      return readImage(bytes, KINDS[prefix] ?? (prefix as ImageKind), name, read);
    } catch (err) {
      if (!isEngineError(err)) throw err;
      this.notes.push(`${err.message}; not shown`);
      return undefined;
    }
  }
}

/** The pages-file bytes that hold process `pid`'s argv and environ, by its mm-<pid>.img and pagemap. */
export function memoryWanted(pid: number, mm: Decoded<'Mm'>, map: PageMap, notes: string[]): MemoryWant[] {
  const wants: MemoryWant[] = [];
  for (const [what, start, end] of [['cmdline', mm.argStart, mm.argEnd], ['environment', mm.envStart, mm.envEnd]] as const) {
    const from = big(start);
    let to = big(end);
    if (to <= from) continue;
    if (to - from > BigInt(MAX_STRINGS_BYTES)) {
      notes.push(`process ${pid}: its ${what} takes ${to - from} bytes; only the first ${MAX_STRINGS_BYTES} are shown`);
      to = from + BigInt(MAX_STRINGS_BYTES);
    }
    const { pieces, missing } = locate(map, from, to);
    wants.push({ pid, what, pagesId: map.pagesId, buffer: Buffer.alloc(Number(to - from)), pieces, missing });
  }
  return wants;
}

/** A mount's file system: CRIU's name for its type, the name it recorded for others, 'bind' for a host file handed in. */
function mountType(m: Decoded<'Mount'>): string {
  const fstype = m.fstype ?? 0;
  const external = m.extMount === true || m.extKey !== undefined;
  if (fstype === FsType.UNSUPPORTED || fstype === FsType.AUTO) return m.fsname ?? (external ? 'bind' : 'unsupported');
  return FS_NAMES.get(fstype) ?? `type ${fstype}`;
}

/** VMA status bits (CRIU's criu/include/image.h), most telling first. */
const VMA_KINDS: Array<[number, CheckpointVma['kind']]> = [
  [1 << 5, 'heap'], [1 << 1, 'stack'], [1 << 3, 'vdso'], [1 << 12, 'vvar'], [1 << 2, 'vsyscall'], [1 << 10, 'sysv shm'], [1 << 11, 'socket'],
  [1 << 13, 'aio ring'], [1 << 14, 'memfd'], [(1 << 6) | (1 << 7), 'file'], [1 << 8, 'shared anonymous'], [1 << 9, 'anonymous'],
];
const MAP_GROWSDOWN = 0x100;
const hex = (n: bigint) => `0x${n.toString(16)}`;

function vma(v: Decoded<'Vma'>): CheckpointVma {
  const prot = v.prot ?? 0;
  const status = v.status ?? 0;
  const perms = `${prot & 1 ? 'r' : '-'}${prot & 2 ? 'w' : '-'}${prot & 4 ? 'x' : '-'}${(v.flags ?? 0) & 1 ? 's' : 'p'}`;
  // CRIU marks the main stack by MAP_GROWSDOWN in the flags, not by a status bit.
  const kind = (v.flags ?? 0) & MAP_GROWSDOWN && !(status & (1 << 5)) ? 'stack' : (VMA_KINDS.find(([bit]) => status & bit)?.[1] ?? 'other');
  return { start: hex(big(v.start)), end: hex(big(v.end)), perms, kind };
}

/** Parents before children, siblings by PID; processes whose parent is not in the checkpoint are roots. */
function treeOrder(processes: CheckpointProcess[]): CheckpointProcess[] {
  const pids = new Set(processes.map((p) => p.pid));
  const children = new Map<number, CheckpointProcess[]>();
  const roots: CheckpointProcess[] = [];
  for (const p of [...processes].sort((a, b) => a.pid - b.pid)) {
    if (p.ppid !== p.pid && pids.has(p.ppid)) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
    else roots.push(p);
  }
  const out: CheckpointProcess[] = [];
  const seen = new Set<number>();
  const visit = (p: CheckpointProcess) => {
    if (seen.has(p.pid)) return; // a forged cycle
    seen.add(p.pid);
    out.push(p);
    for (const c of children.get(p.pid) ?? []) visit(c);
  };
  roots.forEach(visit);
  // A cycle has no root: show its members anyway.
  processes.filter((p) => !seen.has(p.pid)).forEach(visit);
  return out;
}
