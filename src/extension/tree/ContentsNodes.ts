import * as vscode from 'vscode';
import { isEngineError, type CheckpointInspection, type CheckpointMount, type CheckpointProcess, type OpenFd } from '../../engine/index.js';
import { formatSize } from '../../shared/format.js';
import { describeFd, formatCmdline, isSocket } from '../../shared/openFiles.js';
import { processForest } from '../../shared/processTree.js';
import { terminalSafe } from '../../shared/terminalSafe.js';
import type { CheckpointContentsReader, ContentsTarget } from './CheckpointContentsReader.js';

/**
 * A node inside a checkpoint image: a section (Processes, Open Files, Sockets, Mounts), a process, a file
 * descriptor, a mount, or why the image could not be read. Its children are known once the image was read.
 * Every text comes from the checkpoint, so it is shown with controls escaped and long values cut.
 */
export class ContentsNode extends vscode.TreeItem {
  readonly #children?: () => ContentsNode[];

  constructor(
    id: string,
    label: string,
    options: {
      icon: string;
      description?: string;
      tooltip?: string;
      contextValue: string;
      children?: () => ContentsNode[];
      expanded?: boolean;
      color?: string;
      command?: vscode.Command;
    },
    /** The process this node is about (a process, its open files), for commands and tests. */
    readonly process?: CheckpointProcess,
  ) {
    const state = !options.children ? vscode.TreeItemCollapsibleState.None : options.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    super(shown(label, LABEL_MAX), state);
    this.id = id;
    this.description = options.description === undefined ? undefined : shown(options.description, LABEL_MAX);
    this.tooltip = options.tooltip === undefined ? undefined : shown(options.tooltip, TOOLTIP_MAX);
    this.iconPath = new vscode.ThemeIcon(options.icon, options.color ? new vscode.ThemeColor(options.color) : undefined);
    this.contextValue = options.contextValue;
    this.command = options.command;
    this.#children = options.children;
  }

  children(): ContentsNode[] {
    return this.#children?.() ?? [];
  }
}

const LABEL_MAX = 200;
const TOOLTIP_MAX = 4000;
/** Processes at most this many are shown with the tree open; a larger one opens one level at a time. */
const OPEN_TREE_MAX = 50;

/** Text from a checkpoint as the tree shows it: controls and bidi overrides escaped, at most `max` characters. */
function shown(text: string, max: number): string {
  const safe = terminalSafe(text);
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

/**
 * The children of a checkpoint image node: its contents by section, read on the first expand (with progress on
 * `viewId`), or one node saying why it could not be read.
 */
export async function imageContents(reader: CheckpointContentsReader, target: ContentsTarget, parentId: string, viewId: string): Promise<ContentsNode[]> {
  try {
    return contentsSections(parentId, await reader.read(target, { viewId }));
  } catch (err) {
    return [readError(parentId, err)];
  }
}

function readError(parentId: string, err: unknown): ContentsNode {
  const message = err instanceof Error ? err.message : String(err);
  const hint = isEngineError(err) ? err.hint : undefined;
  const cancelled = isEngineError(err, 'CANCELLED');
  return new ContentsNode(`${parentId}/error`, cancelled ? 'Reading was cancelled' : 'Could not read the checkpoint', {
    icon: cancelled ? 'circle-slash' : 'error',
    color: cancelled ? undefined : 'errorForeground',
    description: message,
    tooltip: [message, hint, 'Click to read it again.'].filter(Boolean).join('\n\n'),
    contextValue: 'checkpointContents.error',
    // A failed read is not kept: refreshing the view asks for the image's children, so it is read again.
    command: { command: 'checkpointStudio.refresh', title: 'Read Again' },
  });
}

function contentsSections(parentId: string, { contents, missing }: CheckpointInspection): ContentsNode[] {
  const { processes, mounts } = contents;
  const withFiles = processes.filter((p) => p.fds.some((f) => !isSocket(f)));
  const sockets = processes.flatMap((p) => p.fds.filter(isSocket).map((f) => ({ p, f })));
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const sections = [
    new ContentsNode(`${parentId}/processes`, 'Processes', {
      icon: 'server-process',
      description: count(processes.length, 'process', 'processes'),
      contextValue: 'checkpointContents.processes',
      children: () => processTree(`${parentId}/processes`, processes),
    }),
    new ContentsNode(`${parentId}/files`, 'Open Files', {
      icon: 'files',
      description: count(withFiles.reduce((n, p) => n + p.fds.filter((f) => !isSocket(f)).length, 0), 'file', 'files'),
      contextValue: 'checkpointContents.files',
      children: () => withFiles.map((p, i) => processFiles(`${parentId}/files/${i}`, p)),
    }),
    new ContentsNode(`${parentId}/sockets`, 'Sockets', {
      icon: 'plug',
      description: count(sockets.length, 'socket', 'sockets'),
      contextValue: 'checkpointContents.sockets',
      children: () => sockets.map(({ p, f }, i) => socketNode(`${parentId}/sockets/${i}`, p, f)),
    }),
    new ContentsNode(`${parentId}/mounts`, 'Mounts', {
      icon: 'folder-library',
      description: count(mounts.length, 'mount', 'mounts'),
      contextValue: 'checkpointContents.mounts',
      children: () => mounts.map((m, i) => mountNode(`${parentId}/mounts`, m, i)),
    }),
  ];
  const notes = [...missing, ...contents.notes];
  if (notes.length) {
    sections.push(
      new ContentsNode(`${parentId}/notes`, 'Not Shown', {
        icon: 'info',
        description: count(notes.length, 'note', 'notes'),
        contextValue: 'checkpointContents.notes',
        children: () => notes.map((n, i) => new ContentsNode(`${parentId}/notes/${i}`, n, { icon: 'dash', tooltip: n, contextValue: 'checkpointContents.note' })),
      }),
    );
  }
  return sections;
}

/** The processes as their tree, each under its parent. */
function processTree(parentId: string, processes: CheckpointProcess[]): ContentsNode[] {
  const { roots, children } = processForest(processes);
  const expanded = processes.length <= OPEN_TREE_MAX;
  // Ids by position: a hostile pstree may repeat a PID, and two items with one id break the view.
  const index = new Map(processes.map((p, i) => [p, i]));
  const node = (id: string, p: CheckpointProcess): ContentsNode => {
    const own = `${id}/${index.get(p)}`;
    const kids = children(p);
    return new ContentsNode(
      own,
      `${p.pid} ${p.comm}`,
      {
        icon: p.state === 'alive' ? 'server-process' : 'debug-pause',
        description: [p.state === 'alive' ? undefined : p.state, p.cmdline && formatCmdline(p.cmdline)].filter(Boolean).join(' · ') || undefined,
        tooltip: processTooltip(p),
        contextValue: 'checkpointContents.process',
        children: kids.length ? () => kids.map((c) => node(own, c)) : undefined,
        expanded,
      },
      p,
    );
  };
  return roots.map((p) => node(parentId, p));
}

function processTooltip(p: CheckpointProcess): string {
  const lines = [
    `${p.pid} ${p.comm}`,
    `Command line: ${p.cmdline ? formatCmdline(p.cmdline) : '(its memory pages are not in the checkpoint)'}`,
    `State: ${p.state}${p.exitCode !== undefined ? ` (exit code ${p.exitCode})` : ''}`,
    `Parent: ${p.ppid} · process group ${p.pgid} · session ${p.sid}`,
  ];
  if (p.creds) lines.push(`Credentials: uid ${p.creds.uid} gid ${p.creds.gid} · effective uid ${p.creds.euid} gid ${p.creds.egid}`);
  if (p.creds?.capabilities.effective.length) lines.push(`Capabilities: ${p.creds.capabilities.effective.join(' ')}`);
  if (p.cwd !== undefined) lines.push(`Working directory: ${p.cwd}`);
  lines.push(`Threads: ${p.threads.length} · seccomp ${p.seccomp} · memory dumped ${formatSize(p.memory.dumpedBytes)}`);
  return lines.join('\n');
}

function processFiles(id: string, p: CheckpointProcess): ContentsNode {
  const files = p.fds.filter((f) => !isSocket(f));
  return new ContentsNode(
    id,
    `${p.pid} ${p.comm}`,
    {
      icon: 'server-process',
      description: files.length === 1 ? '1 file' : `${files.length} files`,
      tooltip: p.cmdline ? formatCmdline(p.cmdline) : undefined,
      contextValue: 'checkpointContents.processFiles',
      children: () => files.map((f, i) => fdNode(`${id}/${i}`, f)),
      expanded: true,
    },
    p,
  );
}

function fdNode(id: string, f: OpenFd): ContentsNode {
  const target = describeFd(f);
  const position = f.kind === 'file' ? [`pos ${f.pos}`, f.size !== undefined ? formatSize(f.size) : undefined, f.deleted ? 'deleted' : undefined].filter(Boolean).join(' · ') : f.kind;
  return new ContentsNode(id, `${f.fd} → ${target}`, {
    icon: f.kind === 'file' ? 'file' : f.kind === 'tty' ? 'terminal' : 'symbol-misc',
    description: position,
    tooltip: `fd ${f.fd}: ${target}\n${position}`,
    contextValue: `checkpointContents.fd.${f.kind}`,
  });
}

function socketNode(id: string, p: CheckpointProcess, f: OpenFd): ContentsNode {
  const where = `${p.pid} ${p.comm} · fd ${f.fd}`;
  const socket = describeFd(f);
  return new ContentsNode(
    id,
    socket,
    { icon: f.kind === 'unix' ? 'plug' : 'globe', description: where, tooltip: `${socket}\nheld by ${where}`, contextValue: `checkpointContents.socket.${f.kind}` },
    p,
  );
}

function mountNode(parentId: string, m: CheckpointMount, index: number): ContentsNode {
  const mode = [m.readOnly ? 'ro' : 'rw', m.external ? 'from the host' : undefined].filter(Boolean).join(', ');
  return new ContentsNode(`${parentId}/${index}`, m.mountpoint, {
    icon: m.external ? 'link-external' : 'folder',
    description: `${m.type} ${m.source} (${mode})`,
    tooltip: [`${m.mountpoint}`, `Type: ${m.type}`, `Source: ${m.source}`, `Root: ${m.root}`, `Options: ${m.options || '-'}`, `Mode: ${mode}`].join('\n'),
    contextValue: 'checkpointContents.mount',
  });
}
