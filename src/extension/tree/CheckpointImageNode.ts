import * as vscode from 'vscode';
import { criuVersionFromNumber, PodmanAnnotation, type CheckpointImage } from '../../engine/index.js';
import { formatAge, formatSize } from '../../shared/format.js';
import type { ContentsTarget } from './CheckpointContentsReader.js';

export type ImageLocation = 'podman' | 'store';

/** Where checkpoint images live: podman's storage or the embedded store. */
export class LocationNode extends vscode.TreeItem {
  constructor(
    readonly location: ImageLocation,
    readonly images: CheckpointImage[],
    detail: string,
  ) {
    super(location === 'podman' ? 'Podman' : 'Embedded Store', vscode.TreeItemCollapsibleState.Expanded);
    this.id = `location:${location}`;
    this.iconPath = new vscode.ThemeIcon(location === 'podman' ? 'server-environment' : 'database');
    this.description = images.length === 1 ? '1 image' : `${images.length} images`;
    this.tooltip = detail;
    this.contextValue = `location.${location}`;
  }
}

/** The container a checkpoint image came from, grouping its images (of one page: `start` is the page's first image). */
export class ImageGroupNode extends vscode.TreeItem {
  constructor(
    readonly location: ImageLocation,
    readonly containerName: string,
    readonly images: CheckpointImage[],
    start = 0,
  ) {
    super(containerName, vscode.TreeItemCollapsibleState.Expanded);
    // A container's images can span pages: the page is part of the ID from the second on.
    this.id = start ? `group:${location}:${start}:${containerName}` : `group:${location}:${containerName}`;
    this.iconPath = new vscode.ThemeIcon('vm');
    this.description = images.length === 1 ? '1 checkpoint' : `${images.length} checkpoints`;
    this.contextValue = 'checkpointImageGroup';
  }
}

/**
 * A further page of a location's images, older than the ones before it: collapsed, so its images are made into
 * tree items only when someone opens it (as the Debug view pages a large array).
 */
export class ImagePageNode extends vscode.TreeItem {
  constructor(
    readonly location: ImageLocation,
    readonly start: number,
    readonly images: CheckpointImage[],
    total: number,
  ) {
    super(`Older images ${start + 1}–${start + images.length}`, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `page:${location}:${start}`;
    this.iconPath = new vscode.ThemeIcon('history');
    this.description = `of ${total}`;
    this.contextValue = 'checkpointImagePage';
  }
}

/**
 * One checkpoint image under one of its names, in podman's storage or the embedded store: an image podman knows
 * by several names (pulled from a registry, then also tagged here) is listed under each, so every name a person
 * looks for is there. It expands into what the checkpoint holds (ContentsNodes.ts).
 */
export class CheckpointImageNode extends vscode.TreeItem {
  constructor(
    readonly image: CheckpointImage,
    readonly location: ImageLocation = 'podman',
    readonly name: string | undefined = image.names[0],
  ) {
    super(name ?? image.id.slice(0, 12), vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `image:${location}:${image.id}:${name ?? ''}`;
    this.iconPath = new vscode.ThemeIcon('save');
    this.description = `${formatSize(image.size)} · ${formatAge(image.created)}`;
    this.contextValue = `checkpointImage.${location}`;
    this.tooltip = imageTooltip(image, name);
    this.command = { command: 'checkpointStudio.inspectCheckpointImage', title: 'Inspect', arguments: [this] };
  }

  /** The image as the engine names it: a podman name, or store:TAG. */
  get ref(): string {
    const name = this.name ?? this.image.id;
    return this.location === 'store' ? `store:${name}` : name;
  }

  get contents(): ContentsTarget {
    return { ref: this.ref, key: contentsKey(this.image) };
  }
}

/** What identifies a checkpoint's contents under any name and in any location: its manifest digest, else its ID. */
export function contentsKey(image: CheckpointImage): string {
  return image.digest || image.id;
}

/** The key annotations of a checkpoint image, wherever it is. */
export function imageTooltip(image: CheckpointImage, title = image.names[0]): vscode.MarkdownString {
  const a = image.annotations;
  const md = new vscode.MarkdownString();
  md.appendMarkdown('**').appendText(title ?? image.id).appendMarkdown('**\n\n');
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
