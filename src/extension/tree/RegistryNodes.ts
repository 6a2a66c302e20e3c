import * as vscode from 'vscode';
import { checkpointContainerName, formatRegistryReference, isLoopbackRegistry, type RegistryImage } from '../../engine/index.js';
import { formatAge, formatSize } from '../../shared/format.js';
import type { SavedRegistry } from '../registries.js';
import { contentsKey, imageTooltip } from './CheckpointImageNode.js';
import type { ContentsTarget } from './CheckpointContentsReader.js';

/** A registry the user added. */
export class RegistryNode extends vscode.TreeItem {
  constructor(
    readonly registry: SavedRegistry,
    /** The user name saved in VS Code; undefined when the podman/docker login (or nothing) is used. */
    signedInAs: string | undefined,
  ) {
    super(registry.host, vscode.TreeItemCollapsibleState.Expanded);
    const plain = registry.insecure || isLoopbackRegistry(registry.host);
    this.id = `registry:${registry.host}`;
    this.iconPath = new vscode.ThemeIcon(plain ? 'unlock' : 'server');
    this.description = [plain ? 'insecure (HTTP)' : undefined, signedInAs].filter(Boolean).join(' · ') || undefined;
    const credentials = signedInAs ? `Signed in as ${signedInAs} (saved in VS Code)` : 'Credentials: your podman/docker login, if any';
    this.tooltip = `${plain ? 'http' : 'https'}://${registry.host}\n${credentials}`;
    this.contextValue = 'registry';
  }

  get host(): string {
    return this.registry.host;
  }
}

/** A repository of a registry: from its catalog, or added by hand. */
export class RepositoryNode extends vscode.TreeItem {
  constructor(
    readonly host: string,
    readonly repository: string,
  ) {
    super(repository, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `repository:${host}/${repository}`;
    this.iconPath = new vscode.ThemeIcon('repo');
    this.contextValue = 'registryRepository';
  }
}

/** What the engine lists for a tag: the image from its manifest, or why the manifest could not be read. */
export type TagListing = RegistryImage | { repository: string; tag: string; error: string };

/**
 * One tag: a checkpoint image (inspect, pull, restore; it expands into what it holds, its layer streamed from the
 * registry), another image (dimmed), or an unreadable manifest.
 */
export class RegistryTagNode extends vscode.TreeItem {
  readonly repository: string;
  readonly tag: string;
  readonly image?: RegistryImage;

  constructor(
    readonly host: string,
    listing: TagListing,
  ) {
    super(listing.tag, vscode.TreeItemCollapsibleState.None);
    this.id = `tag:${host}/${listing.repository}:${listing.tag}`;
    this.repository = listing.repository;
    this.tag = listing.tag;
    if ('error' in listing) {
      this.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      this.description = listing.error;
      this.tooltip = listing.error;
      this.contextValue = 'registryTag.unreadable';
      return;
    }
    this.image = listing;
    if (!listing.isCheckpoint) {
      this.iconPath = new vscode.ThemeIcon('package', new vscode.ThemeColor('disabledForeground'));
      this.description = 'not a checkpoint image';
      this.tooltip = `${this.reference}\nnot a checkpoint image (${listing.mediaType})`;
      this.contextValue = 'registryTag.other';
      return;
    }
    const container = checkpointContainerName(listing.annotations);
    this.iconPath = new vscode.ThemeIcon('save');
    this.description = [container, formatSize(listing.size), listing.created && formatAge(listing.created)].filter(Boolean).join(' · ');
    this.tooltip = imageTooltip(listing);
    this.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
    this.contextValue = 'registryTag.checkpoint';
    this.command = { command: 'checkpointStudio.inspectCheckpointImage', title: 'Inspect', arguments: [this] };
  }

  /** `HOST/REPO:TAG`: what a teammate pastes, and what podman pull takes. */
  get reference(): string {
    return formatRegistryReference({ registry: this.host, repository: this.repository, tag: this.tag });
  }

  /** The image as the engine names it. */
  get ref(): string {
    return `docker://${this.reference}`;
  }

  /** What to read to expand it: only a checkpoint image's tag has contents. */
  get contents(): ContentsTarget | undefined {
    return this.image?.isCheckpoint ? { ref: this.ref, key: contentsKey(this.image) } : undefined;
  }
}

/** A line in place of children that could not be listed: the error, and what to do about it. */
export class RegistryMessageNode extends vscode.TreeItem {
  constructor(
    readonly host: string,
    id: string,
    message: string,
    options: { icon: string; description?: string; tooltip?: string; command?: vscode.Command; contextValue?: string },
  ) {
    super(message, vscode.TreeItemCollapsibleState.None);
    this.id = `message:${id}`;
    this.description = options.description;
    this.iconPath = new vscode.ThemeIcon(options.icon);
    this.tooltip = options.tooltip ?? options.description ?? message;
    this.command = options.command;
    this.contextValue = options.contextValue ?? 'registryMessage';
  }
}
