import * as vscode from 'vscode';
import { criuVersionFromNumber, PodmanAnnotation, type CheckpointImage } from '../../engine/index.js';
import { formatAge, formatSize } from '../../shared/format.js';

/** The container a checkpoint image came from, grouping its images. */
export class ImageGroupNode extends vscode.TreeItem {
  constructor(
    readonly containerName: string,
    readonly images: CheckpointImage[],
  ) {
    super(containerName, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `group:${containerName}`;
    this.iconPath = new vscode.ThemeIcon('vm');
    this.description = images.length === 1 ? '1 checkpoint' : `${images.length} checkpoints`;
    this.contextValue = 'checkpointImageGroup';
  }
}

/** One checkpoint image in podman's storage. */
export class CheckpointImageNode extends vscode.TreeItem {
  constructor(readonly image: CheckpointImage) {
    super(image.names[0] ?? image.id.slice(0, 12), vscode.TreeItemCollapsibleState.None);
    this.id = `image:${image.id}:${image.names[0] ?? ''}`;
    this.iconPath = new vscode.ThemeIcon('save');
    this.description = `${formatSize(image.size)} · ${formatAge(image.created)}`;
    this.contextValue = 'checkpointImage';
    this.tooltip = tooltip(image);
    this.command = { command: 'checkpointStudio.inspectCheckpointImage', title: 'Inspect', arguments: [this] };
  }

  /** The reference podman takes for this image. */
  get ref(): string {
    return this.image.names[0] ?? this.image.id;
  }
}

function tooltip(image: CheckpointImage): vscode.MarkdownString {
  const a = image.annotations;
  const md = new vscode.MarkdownString();
  md.appendMarkdown('**').appendText(image.names[0] ?? image.id).appendMarkdown('**\n\n');
  const rows: [string, string | undefined][] = [
    ['Container', a[PodmanAnnotation.Name]],
    ['Base image', a[PodmanAnnotation.RootfsImageName]],
    ['CRIU', criuVersionFromNumber(a[PodmanAnnotation.CriuVersion])?.text],
    ['Runtime', a[PodmanAnnotation.RuntimeName]],
    ['Host', [a[PodmanAnnotation.HostArch], a[PodmanAnnotation.HostKernel]].filter(Boolean).join(', ') || undefined],
    ['Size', formatSize(image.size)],
    ['Created', image.created?.toLocaleString()],
  ];
  for (const [k, v] of rows) if (v) md.appendMarkdown(`${k}: `).appendText(v).appendMarkdown('  \n');
  return md;
}
