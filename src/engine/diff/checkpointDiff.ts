/**
 * What changed between two checkpoints, from what `inspectCheckpoint` reads of each: the summary, annotations,
 * processes (matched by PID) with their credentials, open files and sockets, environment and memory by kind, the
 * mounts, and the files of rootfs-diff. This is the JSON `ckpt diff --json` prints; fields are only added, never
 * renamed or retyped, within a `version`. Everything is in a fixed order (PIDs, fd numbers, names, paths), so
 * the same two checkpoints always give the same JSON.
 */
import type { CheckpointArchiveSummary } from '../archive/reader.js';
import type { CheckpointMount, CheckpointProcess, CheckpointVma, OpenFd } from '../criu/checkpointModel.js';
import type { CheckpointInspection, RootfsDiffEntry } from '../checkpoint/inspectCheckpoint.js';

/** The shape's version; a change that is not an addition raises it. */
export const CHECKPOINT_DIFF_VERSION = 1;

/**
 * What the diff reads of each side: a CheckpointInspection. Only an image has annotations; the rest are optional
 * so a side read another way (an older `ckpt inspect --json`) can still be compared.
 */
export type DiffableCheckpoint = Pick<CheckpointInspection, 'summary' | 'contents'> &
  Partial<Pick<CheckpointInspection, 'reference' | 'annotations' | 'missing' | 'rootfsDiff'>>;

export type DiffValue = string | number | boolean | string[];

/** One field that differs; a side without the value (not recorded there) has none. */
export interface FieldChange {
  field: string;
  a?: DiffValue;
  b?: DiffValue;
}

/** Named values (annotations, labels, environment variables) compared by name. */
export interface MapDiff {
  added: Array<{ name: string; value: string }>;
  gone: Array<{ name: string; value: string }>;
  changed: Array<{ name: string; a: string; b: string }>;
}

export interface ProcessBrief {
  pid: number;
  ppid: number;
  comm: string;
  cmdline?: string[];
}

export interface FdChange {
  fd: number;
  /** The fields that differ (`kind` when it is open on something else altogether). */
  fields: string[];
  a: OpenFd;
  b: OpenFd;
}

export interface MemoryChange {
  /** A VMA kind (`heap`, `stack`, `file`…) or `dumped` for the bytes of pages the checkpoint holds. */
  kind: CheckpointVma['kind'] | 'dumped';
  a: number;
  b: number;
}

export interface ProcessChange {
  pid: number;
  /** B's short name (comm). */
  comm: string;
  /**
   * The same PID runs another command in B (its command line, or comm when a command line is missing, differs):
   * most likely another process that got the same PID, so the rest of its changes compare unrelated processes.
   */
  commandChanged: boolean;
  fields: FieldChange[];
  environment: MapDiff;
  fds: { added: OpenFd[]; gone: OpenFd[]; changed: FdChange[] };
  /** Bytes per VMA kind (the sum of the areas' sizes) and dumped bytes, where they differ. */
  memory: MemoryChange[];
}

export interface MountChange {
  mountpoint: string;
  fields: FieldChange[];
}

export interface CheckpointDiff {
  version: typeof CHECKPOINT_DIFF_VERSION;
  a: string;
  b: string;
  /** Nothing below differs. */
  equal: boolean;
  /** Container, image, runtime, sizes, TCP connections. */
  summary: FieldChange[];
  /** Manifest annotations; absent when a side has none to compare (an archive). */
  annotations?: MapDiff;
  specAnnotations: MapDiff;
  labels: MapDiff;
  processes: { added: ProcessBrief[]; gone: ProcessBrief[]; changed: ProcessChange[] };
  mounts: { added: CheckpointMount[]; gone: CheckpointMount[]; changed: MountChange[] };
  /** Absent when a side's rootfs-diff was not read. */
  rootfsDiff?: { added: RootfsDiffEntry[]; gone: RootfsDiffEntry[]; changed: Array<{ path: string; a: RootfsDiffEntry; b: RootfsDiffEntry }> };
  /** What could not be compared, in words: never a difference by itself. */
  notes: string[];
}

/** Compares checkpoint A with checkpoint B: what B adds (+), lacks (-) and changes (~). Pure. */
export function diffCheckpoints(a: DiffableCheckpoint, b: DiffableCheckpoint): CheckpointDiff {
  const notes: string[] = [];
  const names = { a: a.reference ?? 'A', b: b.reference ?? 'B' };
  for (const [side, c] of [['A', a], ['B', b]] as const) {
    // What a side could not read (memory not in the checkpoint, a damaged image) is why something may look changed.
    for (const m of [...(c.missing ?? []), ...c.contents.notes]) notes.push(`${side}: ${m}`);
  }
  let annotations: MapDiff | undefined;
  if (a.annotations && b.annotations) annotations = diffMaps(a.annotations, b.annotations);
  else if (a.annotations || b.annotations) notes.push(`annotations not compared: ${a.annotations ? 'B' : 'A'} is an archive, which keeps none`);
  let rootfsDiff: CheckpointDiff['rootfsDiff'];
  if (a.rootfsDiff && b.rootfsDiff) rootfsDiff = diffRootfs(a.rootfsDiff, b.rootfsDiff);
  else if (a.rootfsDiff || b.rootfsDiff) notes.push(`rootfs-diff files not compared: they were not read from ${a.rootfsDiff ? 'B' : 'A'}`);
  const diff: CheckpointDiff = {
    version: CHECKPOINT_DIFF_VERSION,
    a: names.a,
    b: names.b,
    equal: false,
    summary: diffSummary(a.summary, b.summary),
    ...(annotations && { annotations }),
    specAnnotations: diffMaps(a.summary.specAnnotations, b.summary.specAnnotations),
    labels: diffMaps(a.summary.labels, b.summary.labels),
    processes: diffProcesses(a.contents.processes, b.contents.processes, notes),
    mounts: diffMounts(a.contents.mounts, b.contents.mounts),
    ...(rootfsDiff && { rootfsDiff }),
    notes,
  };
  diff.equal = isEqual(diff);
  return diff;
}

function isEqual(d: CheckpointDiff): boolean {
  const none = (x: { added: unknown[]; gone: unknown[]; changed: unknown[] } | undefined) => !x || x.added.length + x.gone.length + x.changed.length === 0;
  return d.summary.length === 0 && none(d.annotations) && none(d.specAnnotations) && none(d.labels) && none(d.processes) && none(d.mounts) && none(d.rootfsDiff);
}

const SUMMARY_FIELDS: Array<[string, (s: CheckpointArchiveSummary) => DiffValue | undefined]> = [
  ['engine', (s) => s.engine],
  ['container name', (s) => s.containerName],
  ['container ID', (s) => s.containerId],
  ['image', (s) => s.imageName],
  ['image as typed', (s) => s.rawImageName],
  ['image ID', (s) => s.imageId],
  ['runtime', (s) => s.runtime],
  ['created', (s) => s.created?.toISOString()],
  ['checkpointed', (s) => s.checkpointed?.toISOString()],
  ['pod', (s) => s.pod && `${s.pod.namespace}/${s.pod.name}`],
  ['checkpoint size', (s) => s.sizes.checkpoint],
  ['memory pages size', (s) => s.sizes.memoryPages],
  ['rootfs-diff size', (s) => s.sizes.rootfsDiff],
  ['TCP connections', (s) => s.tcpConnections],
  ['shares the host network', (s) => s.sharesHostNetwork],
];

function diffSummary(a: CheckpointArchiveSummary, b: CheckpointArchiveSummary): FieldChange[] {
  return diffFields(SUMMARY_FIELDS, a, b);
}

/** The fields whose values differ, in the order given. */
function diffFields<T>(fields: Array<[string, (x: T) => DiffValue | undefined]>, a: T, b: T): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [field, get] of fields) {
    const va = get(a);
    const vb = get(b);
    if (!same(va, vb)) changes.push({ field, ...(va !== undefined && { a: va }), ...(vb !== undefined && { b: vb }) });
  }
  return changes;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Compares by name; `Object.entries` of a JSON-parsed record holds each name once. */
export function diffMaps(a: Record<string, string>, b: Record<string, string>): MapDiff {
  const d: MapDiff = { added: [], gone: [], changed: [] };
  const byName = (x: { name: string }, y: { name: string }) => compare(x.name, y.name);
  for (const [name, value] of Object.entries(b)) {
    if (!Object.hasOwn(a, name)) d.added.push({ name, value });
    else if (a[name] !== value) d.changed.push({ name, a: a[name]!, b: value });
  }
  for (const [name, value] of Object.entries(a)) if (!Object.hasOwn(b, name)) d.gone.push({ name, value });
  d.added.sort(byName);
  d.gone.sort(byName);
  d.changed.sort(byName);
  return d;
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compare(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** NAME=value lines as a record; a name given twice keeps its first value, the one getenv() returns. */
function environmentMap(lines: string[]): Record<string, string> {
  // No prototype: a variable named __proto__ is a name like any other.
  const map: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const line of lines) {
    const at = line.indexOf('=');
    const name = at === -1 ? line : line.slice(0, at);
    if (!Object.hasOwn(map, name)) map[name] = at === -1 ? '' : line.slice(at + 1);
  }
  return map;
}

const brief = (p: CheckpointProcess): ProcessBrief => ({ pid: p.pid, ppid: p.ppid, comm: p.comm, ...(p.cmdline && { cmdline: p.cmdline }) });

const PROCESS_FIELDS: Array<[string, (p: CheckpointProcess) => DiffValue | undefined]> = [
  ['comm', (p) => p.comm],
  ['command line', (p) => p.cmdline],
  ['state', (p) => p.state],
  ['exit code', (p) => p.exitCode],
  ['ppid', (p) => p.ppid],
  ['pgid', (p) => p.pgid],
  ['sid', (p) => p.sid],
  ['threads', (p) => p.threads.length],
  ['uid', (p) => p.creds?.uid],
  ['gid', (p) => p.creds?.gid],
  ['euid', (p) => p.creds?.euid],
  ['egid', (p) => p.creds?.egid],
  ['effective capabilities', (p) => p.creds?.capabilities.effective],
  ['permitted capabilities', (p) => p.creds?.capabilities.permitted],
  ['inheritable capabilities', (p) => p.creds?.capabilities.inheritable],
  ['bounding capabilities', (p) => p.creds?.capabilities.bounding],
  ['ambient capabilities', (p) => p.creds?.capabilities.ambient],
  ['seccomp', (p) => p.seccomp],
  ['cwd', (p) => p.cwd],
  ['root', (p) => p.root],
];

function diffProcesses(a: CheckpointProcess[], b: CheckpointProcess[], notes: string[]): CheckpointDiff['processes'] {
  const inA = new Map(a.map((p) => [p.pid, p]));
  const inB = new Map(b.map((p) => [p.pid, p]));
  const byPid = (x: { pid: number }, y: { pid: number }) => x.pid - y.pid;
  const added = b.filter((p) => !inA.has(p.pid)).map(brief).sort(byPid);
  const gone = a.filter((p) => !inB.has(p.pid)).map(brief).sort(byPid);
  const changed: ProcessChange[] = [];
  const unread = { cmdline: [] as number[], environment: [] as number[] };
  for (const pb of [...b].sort(byPid)) {
    const pa = inA.get(pb.pid);
    if (!pa) continue;
    // A value only one side has was not read (no memory pages), which is not a change.
    const fields = diffFields(PROCESS_FIELDS, pa, pb).filter((f) => f.field !== 'command line' || (pa.cmdline && pb.cmdline));
    if (!pa.cmdline !== !pb.cmdline) unread.cmdline.push(pb.pid);
    let environment: MapDiff = { added: [], gone: [], changed: [] };
    if (pa.environment && pb.environment) environment = diffMaps(environmentMap(pa.environment), environmentMap(pb.environment));
    else if (pa.environment || pb.environment) unread.environment.push(pb.pid);
    const commandChanged = pa.cmdline && pb.cmdline ? !same(pa.cmdline, pb.cmdline) : pa.comm !== pb.comm;
    const change: ProcessChange = { pid: pb.pid, comm: pb.comm, commandChanged, fields, environment, fds: diffFds(pa.fds, pb.fds), memory: diffMemory(pa, pb) };
    const { fds } = change;
    const count = fields.length + environment.added.length + environment.gone.length + environment.changed.length +
      fds.added.length + fds.gone.length + fds.changed.length + change.memory.length;
    if (count > 0) changed.push(change);
  }
  if (unread.cmdline.length) notes.push(`command lines not compared for PID ${unread.cmdline.join(', ')}: one side does not hold them`);
  if (unread.environment.length) notes.push(`environments not compared for PID ${unread.environment.join(', ')}: one side does not hold them`);
  return { added, gone, changed };
}

/** What identifies an fd's target for a diff, per kind: IDs CRIU gives (inodes, pipe IDs) differ between any two containers and are left out. */
function fdFields(f: OpenFd): Record<string, unknown> {
  switch (f.kind) {
    case 'file':
      return { path: f.path, pos: f.pos, size: f.size, mode: f.mode, deleted: f.deleted };
    case 'pipe':
      return {};
    case 'fifo':
      return { path: f.path };
    case 'unix':
      return { type: f.type, state: f.state, name: f.name };
    case 'inet':
      return { family: f.family, protocol: f.protocol, state: f.state, local: f.local, remote: f.remote };
    case 'netlink':
      return { protocol: f.protocol };
    case 'eventfd':
      return { counter: f.counter };
    case 'epoll':
      return { targets: f.targets };
    case 'tty':
      return { type: f.type, path: f.path };
    case 'other':
      return { type: f.type };
  }
}

function diffFds(a: OpenFd[], b: OpenFd[]): ProcessChange['fds'] {
  const inA = new Map(a.map((f) => [f.fd, f]));
  const inB = new Map(b.map((f) => [f.fd, f]));
  const byFd = (x: { fd: number }, y: { fd: number }) => x.fd - y.fd;
  const changed: FdChange[] = [];
  for (const fb of [...b].sort(byFd)) {
    const fa = inA.get(fb.fd);
    if (!fa) continue;
    if (fa.kind !== fb.kind) {
      changed.push({ fd: fb.fd, fields: ['kind'], a: fa, b: fb });
      continue;
    }
    const va = fdFields(fa);
    const vb = fdFields(fb);
    const fields = [...new Set([...Object.keys(va), ...Object.keys(vb)])].filter((k) => !same(va[k], vb[k]));
    if (fields.length) changed.push({ fd: fb.fd, fields, a: fa, b: fb });
  }
  return {
    added: b.filter((f) => !inA.has(f.fd)).sort(byFd),
    gone: a.filter((f) => !inB.has(f.fd)).sort(byFd),
    changed,
  };
}

/** Bytes of address space per VMA kind; hex addresses past 2^53 (the vsyscall page) are read as bigint. */
export function memoryByKind(vmas: CheckpointVma[]): Map<CheckpointVma['kind'], number> {
  const sums = new Map<CheckpointVma['kind'], bigint>();
  for (const v of vmas) {
    let size = 0n;
    try {
      size = BigInt(v.end) - BigInt(v.start);
    } catch {
      // Not an address: counts as nothing rather than failing the diff.
    }
    if (size > 0n) sums.set(v.kind, (sums.get(v.kind) ?? 0n) + size);
  }
  return new Map([...sums].map(([kind, bytes]) => [kind, Number(bytes)]));
}

function diffMemory(a: CheckpointProcess, b: CheckpointProcess): MemoryChange[] {
  const ka = memoryByKind(a.memory.vmas);
  const kb = memoryByKind(b.memory.vmas);
  const kinds = [...new Set([...ka.keys(), ...kb.keys()])].sort(compare);
  const changes: MemoryChange[] = kinds.map((kind) => ({ kind, a: ka.get(kind) ?? 0, b: kb.get(kind) ?? 0 })).filter((c) => c.a !== c.b);
  if (a.memory.dumpedBytes !== b.memory.dumpedBytes) changes.push({ kind: 'dumped', a: a.memory.dumpedBytes, b: b.memory.dumpedBytes });
  return changes;
}

const MOUNT_FIELDS: Array<[string, (m: CheckpointMount) => DiffValue | undefined]> = [
  ['type', (m) => m.type],
  ['source', (m) => m.source],
  ['root', (m) => m.root],
  ['options', (m) => m.options],
  ['read-only', (m) => m.readOnly],
  ['from the host', (m) => m.external],
];

/**
 * Mounts by mountpoint (their IDs are CRIU's and differ between containers); a mountpoint mounted over more than
 * once (or in more than one mount namespace) is matched occurrence by occurrence.
 */
function diffMounts(a: CheckpointMount[], b: CheckpointMount[]): CheckpointDiff['mounts'] {
  const keyed = (mounts: CheckpointMount[]) => {
    const seen = new Map<string, number>();
    return new Map(mounts.map((m) => {
      const n = seen.get(m.mountpoint) ?? 0;
      seen.set(m.mountpoint, n + 1);
      return [`${n}\0${m.mountpoint}`, m] as const;
    }));
  };
  const inA = keyed(a);
  const inB = keyed(b);
  const byMountpoint = (x: { mountpoint: string }, y: { mountpoint: string }) => compare(x.mountpoint, y.mountpoint);
  const changed: MountChange[] = [];
  for (const [key, mb] of inB) {
    const ma = inA.get(key);
    const fields = ma ? diffFields(MOUNT_FIELDS, ma, mb) : [];
    if (fields.length) changed.push({ mountpoint: mb.mountpoint, fields });
  }
  return {
    added: [...inB].filter(([k]) => !inA.has(k)).map(([, m]) => m).sort(byMountpoint),
    gone: [...inA].filter(([k]) => !inB.has(k)).map(([, m]) => m).sort(byMountpoint),
    changed: changed.sort(byMountpoint),
  };
}

function diffRootfs(a: RootfsDiffEntry[], b: RootfsDiffEntry[]): NonNullable<CheckpointDiff['rootfsDiff']> {
  const inA = new Map(a.map((f) => [f.path, f]));
  const inB = new Map(b.map((f) => [f.path, f]));
  const byPath = (x: { path: string }, y: { path: string }) => compare(x.path, y.path);
  const changed: Array<{ path: string; a: RootfsDiffEntry; b: RootfsDiffEntry }> = [];
  for (const [path, fb] of inB) {
    const fa = inA.get(path);
    if (fa && (fa.size !== fb.size || fa.type !== fb.type)) changed.push({ path, a: fa, b: fb });
  }
  return {
    added: [...inB.values()].filter((f) => !inA.has(f.path)).sort(byPath),
    gone: [...inA.values()].filter((f) => !inB.has(f.path)).sort(byPath),
    changed: changed.sort(byPath),
  };
}
