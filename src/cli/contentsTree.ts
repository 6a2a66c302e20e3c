/**
 * The text of `ckpt inspect REF --ps-tree…`: a tree shaped like checkpointctl's `inspect` (summary, dump
 * statistics, process tree with command lines, environment, files and sockets under each process), then the
 * mounts, the changed files, and the notes.
 */
import type { CheckpointInspection, CheckpointProcess } from '../engine/index.js';
import { formatSize, table } from '../shared/format.js';
import { describeFd, formatCmdline, isSocket } from '../shared/openFiles.js';

export interface TreeSections {
  psTree: boolean;
  cmdline: boolean;
  env: boolean;
  files: boolean;
  sockets: boolean;
  mounts: boolean;
  stats: boolean;
  changes: boolean;
}

interface Node {
  label: string;
  children?: Node[];
}

export function renderInspection({ reference, summary, contents, stats, rootfsDiff, missing }: CheckpointInspection, show: TreeSections): string {
  const facts: Node[] = [
    { label: `Engine: ${summary.engine}` },
    ...(summary.imageName ? [{ label: `Image: ${summary.imageName}` }] : []),
    { label: `ID: ${summary.containerId}` },
    ...(summary.runtime ? [{ label: `Runtime: ${summary.runtime}` }] : []),
    ...(summary.created ? [{ label: `Created: ${summary.created.toISOString()}` }] : []),
    { label: `Checkpoint size: ${formatSize(summary.sizes.checkpoint)}`, children: [{ label: `Memory pages size: ${formatSize(summary.sizes.memoryPages)}` }] },
    ...(summary.sizes.rootfsDiff ? [{ label: `Root FS diff size: ${formatSize(summary.sizes.rootfsDiff)}` }] : []),
  ];
  if (show.stats) {
    const ms = (us: number) => `${(us / 1000).toFixed(3)} ms`;
    facts.push({
      label: 'CRIU dump statistics',
      children: stats
        ? [`Freezing time: ${ms(stats.freezingTimeUs)}`, `Frozen time: ${ms(stats.frozenTimeUs)}`, `Memdump time: ${ms(stats.memdumpTimeUs)}`, `Memwrite time: ${ms(stats.memwriteTimeUs)}`,
          `Pages scanned: ${stats.pagesScanned}`, `Pages written: ${stats.pagesWritten}`].map((label) => ({ label }))
        : [{ label: '(the checkpoint has no stats-dump)' }],
    });
  }
  if (show.psTree) facts.push({ label: 'Process tree', children: processTree(contents.processes, show) });
  const lines = [`Displaying container checkpoint tree view from ${reference}`, '', ...render({ label: summary.containerName, children: facts })];
  if (show.changes) {
    const rows = rootfsDiff.map((f) => [f.type === 'deleted' ? 'deleted' : f.type, f.type === 'file' ? formatSize(f.size) : '', f.path]);
    lines.push('', 'Changed files (rootfs diff):', rows.length ? indent(table(['CHANGE', 'SIZE', 'PATH'], rows)) : '  none');
  }
  if (show.mounts) {
    const rows = contents.mounts.map((m) => [m.mountpoint, m.type, m.source, [m.readOnly ? 'ro' : 'rw', m.external ? 'from the host' : ''].filter(Boolean).join(', ')]);
    lines.push('', 'Mounts:', indent(table(['MOUNTPOINT', 'TYPE', 'SOURCE', 'MODE'], rows)));
  }
  const notes = [...missing, ...contents.notes];
  if (notes.length) lines.push('', 'Not shown:', ...notes.map((n) => `  ${n}`));
  return lines.join('\n');
}

function processTree(processes: CheckpointProcess[], show: TreeSections): Node[] {
  const nodes = new Map<number, Node>();
  const roots: Node[] = [];
  for (const p of processes) {
    const details: Node[] = [];
    if (show.cmdline) details.push({ label: `Command line: ${p.cmdline ? formatCmdline(p.cmdline) : '(not in the checkpoint)'}` });
    if (show.env) details.push({ label: 'Environment variables', children: p.environment ? p.environment.map((label) => ({ label })) : [{ label: '(not in the checkpoint)' }] });
    if (show.files) {
      const files = p.fds.filter((f) => !isSocket(f)).map((f) => ({ label: `[${f.fd}] ${describeFd(f)}` }));
      if (p.cwd !== undefined) files.push({ label: `[cwd] ${p.cwd}` });
      if (p.root !== undefined) files.push({ label: `[root] ${p.root}` });
      details.push({ label: 'Open files', children: files });
    }
    if (show.sockets) {
      const sockets = p.fds.filter(isSocket).map((f) => ({ label: `[${f.fd}] ${describeFd(f)}` }));
      if (sockets.length) details.push({ label: 'Open sockets', children: sockets });
    }
    const state = p.state === 'alive' ? '' : ` (${p.state})`;
    const node: Node = { label: `[${p.pid}]  ${p.comm}${state}`, children: details };
    nodes.set(p.pid, node);
    const parent = p.ppid !== p.pid ? nodes.get(p.ppid) : undefined;
    if (parent) parent.children!.push(node);
    else roots.push(node);
  }
  return roots;
}

function render(node: Node): string[] {
  const lines = [node.label];
  const walk = (children: Node[], prefix: string) =>
    children.forEach((c, i) => {
      const last = i === children.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${c.label}`);
      walk(c.children ?? [], prefix + (last ? '    ' : '│   '));
    });
  walk(node.children ?? [], '');
  return lines;
}

const indent = (text: string) => text.split('\n').map((l) => `  ${l}`).join('\n');
