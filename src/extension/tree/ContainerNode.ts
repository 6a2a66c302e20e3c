import * as vscode from 'vscode';
import type { ContainerSummary } from '../../engine/index.js';
import { formatAge } from '../../shared/format.js';

const ICONS: Record<string, [string, string?]> = {
  running: ['vm-running', 'charts.green'],
  restored: ['history', 'charts.green'],
  checkpointed: ['save', 'charts.blue'],
  paused: ['debug-pause', 'charts.yellow'],
  exited: ['vm-outline'],
  stopped: ['vm-outline'],
  created: ['vm'],
  unknown: ['question'],
};

/** One container: icon by state, dev containers marked with their workspace folder. */
export class ContainerNode extends vscode.TreeItem {
  constructor(readonly container: ContainerSummary) {
    super(container.name, vscode.TreeItemCollapsibleState.None);
    const shown = container.restored ? 'restored' : container.state;
    const [icon, color] = ICONS[shown] ?? ICONS.unknown!;
    this.id = `container:${container.id}`;
    this.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const dev = container.devContainer ? ` · dev container: ${baseName(container.devContainer.localFolder)}` : '';
    this.description = `${shown} · ${container.image}${dev}`;
    // Kind, then state, then marks: menus match with regular expressions on this.
    this.contextValue = `container.${container.state}${container.devContainer ? '.devcontainer' : ''}`;
    this.tooltip = tooltip(container, shown);
    this.accessibilityInformation = { label: `${container.name}, ${shown}, image ${container.image}` };
  }
}

function tooltip(c: ContainerSummary, shown: string): vscode.MarkdownString {
  // appendText escapes: names and labels are other people's strings.
  const md = new vscode.MarkdownString();
  md.appendMarkdown('**').appendText(c.name).appendMarkdown('**\n\n');
  const rows: [string, string][] = [
    ['State', shown],
    ['Image', c.image],
    ['ID', c.id.slice(0, 12)],
    ['Created', c.created ? `${c.created.toLocaleString()} (${formatAge(c.created)})` : '-'],
  ];
  if (c.devContainer) {
    rows.push(['Dev container for', c.devContainer.localFolder]);
    if (c.devContainer.configFile) rows.push(['Config', c.devContainer.configFile]);
  }
  for (const [k, v] of rows) md.appendMarkdown(`${k}: `).appendText(v).appendMarkdown('  \n');
  return md;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}
