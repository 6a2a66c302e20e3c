/**
 * What CRIU would restore from a checkpoint's own images that a podman container made here could not have:
 * capabilities beyond podman's defaults, tasks without seccomp, and mounts other than those podman and runc
 * make. A restore cannot take these away (CRIU sets them up from the images), so each is a reason to refuse.
 */
import { DEFAULT_CAPABILITIES, foreignMount, KERNEL_FILE_SYSTEMS, READ_ONLY_FILE_SYSTEMS, writableMount } from '../archive/sanitize.js';
import { preview } from '../errors.js';
import { capabilityNames } from './capabilities.js';
import { FsType, type MountEntry, type NamespaceIds, type TaskCreds } from './images.js';

export interface CriuTask {
  /** The task's ID in the checkpoint (core-<id>.img). */
  id: number;
  comm: string;
  /** Undefined when the images hold none the restore would use. */
  creds?: TaskCreds;
  seccompMode: number;
  /** Absent in a child that shares its parent's. */
  ids?: NamespaceIds;
}

export interface CriuImages {
  tasks: CriuTask[];
  /** The mounts of each mountpoints-<id>.img. */
  mountNamespaces: MountEntry[][];
  /** The namespaces CRIU dumped from (inventory.img's root_ids): the host's. */
  rootIds?: NamespaceIds;
}

const SECCOMP_STRICT = 1;
const SECCOMP_FILTER = 2;
const MS_RDONLY = 1;
const FS_NAMES = new Map<number, string>(Object.entries(FsType).map(([name, code]) => [code, name.toLowerCase()]));

export function criuImageFindings(images: CriuImages): string[] {
  return [...capabilityFindings(images.tasks), ...seccompFindings(images.tasks), ...namespaceFindings(images.tasks, images.rootIds), ...mountFindings(images.mountNamespaces)];
}

/** Whether a task's namespace of this type is the one CRIU dumped from, where CRIU restores it again: the host's. */
export function sameNamespace(ids: NamespaceIds | undefined, rootIds: NamespaceIds | undefined, type: keyof NamespaceIds): boolean {
  return ids?.[type] !== undefined && ids[type] === rootIds?.[type];
}

/** The network namespace is left out: that one is the user's choice (sharesHostNetwork). */
function namespaceFindings(tasks: readonly CriuTask[], rootIds: NamespaceIds | undefined): string[] {
  const findings: string[] = [];
  for (const [type, label] of [['pid', 'PID'], ['ipc', 'IPC'], ['uts', 'UTS'], ['mnt', 'mount']] as const) {
    const shared = tasks.filter((t) => sameNamespace(t.ids, rootIds, type));
    if (shared.length) findings.push(`${named(...shared)} would be restored in the host's ${label} namespace: its images say it shared the one CRIU ran in`);
  }
  return findings;
}

function capabilityFindings(tasks: readonly CriuTask[]): string[] {
  const unknown = tasks.filter((t) => !t.creds);
  const findings = unknown.length ? [`${named(...unknown)} ${unknown.length === 1 ? 'has' : 'have'} no credentials in the images, so what ${unknown.length === 1 ? 'it' : 'they'} may do cannot be checked`] : [];
  const holders = new Map<string, CriuTask[]>();
  for (const task of tasks) {
    const { inheritable = [], permitted = [], effective = [], bounding = [], ambient = [] } = task.creds ?? {};
    for (const cap of new Set([inheritable, permitted, effective, bounding, ambient].flatMap(capabilityNames))) {
      if (DEFAULT_CAPABILITIES.has(cap)) continue;
      const list = holders.get(cap);
      if (list) list.push(task);
      else holders.set(cap, [task]);
    }
  }
  for (const [cap, list] of holders) findings.push(`${named(...list)} ${list.length === 1 ? 'holds' : 'hold'} capability ${cap}, beyond podman's defaults`);
  return findings;
}

function seccompFindings(tasks: readonly CriuTask[]): string[] {
  // CRIU restores no filter for mode 0 and refuses modes it does not know; either way none is there.
  const unconfined = tasks.filter((t) => t.seccompMode !== SECCOMP_FILTER && t.seccompMode !== SECCOMP_STRICT);
  return unconfined.length ? [`${named(...unconfined)} ${unconfined.length === 1 ? 'runs' : 'run'} without seccomp`] : [];
}

function mountFindings(namespaces: readonly MountEntry[][]): string[] {
  const findings = namespaces.length > 1 ? [`it has ${namespaces.length} mount namespaces, where a podman container has one`] : [];
  for (const mounts of namespaces) {
    const ids = new Set(mounts.map((m) => m.mountId));
    const orphans = mounts.filter((m) => !ids.has(m.parentMountId));
    // The namespace's root: CRIU binds the runtime's root filesystem there, whatever the image says.
    const root = orphans.length === 1 ? orphans[0] : undefined;
    for (const m of mounts.filter((m) => m !== root)) {
      const problem = mountProblem(m);
      if (problem) findings.push(problem);
    }
    // podman mounts /proc read-write and /proc/sys read-only over it; without that the host's sysctls are writable.
    if (mounts.some((m) => m.fstype === FsType.PROC && m.mountpoint === '/proc') && !mounts.some((m) => m.mountpoint === '/proc/sys' && readOnly(m))) {
      findings.push("it leaves /proc/sys writable: a container gets it read-only, or the host's kernel settings are its to change");
    }
  }
  return findings;
}

function mountProblem(m: MountEntry): string | undefined {
  const type = m.fstype === FsType.AUTO || m.fstype === FsType.UNSUPPORTED ? (m.fsname ?? 'unknown filesystem') : (FS_NAMES.get(m.fstype) ?? `filesystem type ${m.fstype}`);
  const at = shown(m.mountpoint);
  // Judged by CRIU's type code; an AUTO or unsupported type is never a container's own, whatever name it gives.
  const known = FS_NAMES.get(m.fstype) ?? '';
  if (READ_ONLY_FILE_SYSTEMS.has(known) && !readOnly(m)) return writableMount(type, at);
  // External mounts are bound from what the runtime hands CRIU at restore (the checked spec's mounts), not from the image.
  if (m.external) return undefined;
  if (!KERNEL_FILE_SYSTEMS.has(known)) return foreignMount(`${shown(m.source)} (${shown(type)})`, at);
  if (m.fstype === FsType.PROC && !readOnly(m) && !(m.mountpoint === '/proc' && m.root === '/')) return `it mounts proc read-write at ${at}: only /proc itself is writable in a container`;
  return undefined;
}

function readOnly(m: MountEntry): boolean {
  return ((m.flags | m.sbFlags) & MS_RDONLY) !== 0;
}

/** "task 1 (sh)", "tasks 1 (sh), 42 (sleep)", "tasks 1 (sh), 2 (a), 3 (b) and 4 more". */
function named(...tasks: CriuTask[]): string {
  const shownTasks = tasks.slice(0, 3).map((t) => `${t.id} (${shown(t.comm)})`);
  const more = tasks.length > 3 ? ` and ${tasks.length - 3} more` : '';
  return `${tasks.length === 1 ? 'task' : 'tasks'} ${shownTasks.join(', ')}${more}`;
}

/** A stranger's name as it is when plain, escaped and cut short when not. */
function shown(text: string): string {
  return /^[\x20-\x7e]{1,200}$/.test(text) ? text : preview(text, 200);
}
