import * as vscode from 'vscode';
import { checkpointContainerName, type CheckpointImage } from '../../engine/index.js';
import type { CheckpointModel } from '../model.js';
import { CheckpointImageNode, ImageGroupNode, ImagePageNode, LocationNode, type ImageLocation } from './CheckpointImageNode.js';
import type { CheckpointContentsReader } from './CheckpointContentsReader.js';
import { ContentsNode, imageContents } from './ContentsNodes.js';

export type ImagesViewNode = LocationNode | ImageGroupNode | ImagePageNode | CheckpointImageNode | ContentsNode;
type Node = ImagesViewNode;

/** How many images a location shows at once; older ones wait in collapsed pages of as many. */
export const IMAGES_PAGE = 50;

/**
 * The Checkpoint Images view: by location (podman's storage, the embedded store), then by the container the
 * images came from, newest first; each image expands into what it holds. A location of many images shows its
 * newest page and, after it, collapsed pages of older ones: hundreds of images never become tree items at once.
 */
export class CheckpointImagesProvider implements vscode.TreeDataProvider<Node> {
  readonly onDidChangeTreeData: vscode.Event<void>;

  constructor(
    private readonly model: CheckpointModel,
    private readonly storePath: () => string,
    private readonly contents: CheckpointContentsReader,
  ) {
    this.onDidChangeTreeData = model.onDidChange;
  }

  getTreeItem(node: Node): Node {
    return node;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node instanceof ContentsNode) return node.children();
    if (node instanceof CheckpointImageNode) return imageContents(this.contents, node.contents, node.id!, 'checkpointStudio.checkpointImages');
    if (node instanceof LocationNode) return firstPage(node.location, node.images);
    if (node instanceof ImagePageNode) return groups(node.location, node.images, node.start);
    if (node instanceof ImageGroupNode) {
      return node.images.flatMap((i) => (i.names.length ? i.names : [undefined]).map((name) => new CheckpointImageNode(i, node.location, name)));
    }
    if (node) return [];
    // Empty locations are left out, so an empty view shows its welcome text.
    const locations: LocationNode[] = [];
    if (this.model.images.length) locations.push(new LocationNode('podman', this.model.images, "podman's image storage"));
    if (this.model.storeImages.length) locations.push(new LocationNode('store', this.model.storeImages, this.storePath()));
    return locations;
  }
}

function firstPage(location: ImageLocation, images: CheckpointImage[]): Node[] {
  const pages: ImagePageNode[] = [];
  for (let start = IMAGES_PAGE; start < images.length; start += IMAGES_PAGE) {
    pages.push(new ImagePageNode(location, start, images.slice(start, start + IMAGES_PAGE), images.length));
  }
  return [...groups(location, images.slice(0, IMAGES_PAGE), 0), ...pages];
}

function groups(location: ImageLocation, images: CheckpointImage[], start: number): ImageGroupNode[] {
  const byContainer = new Map<string, CheckpointImage[]>();
  // The engine lists newest first, so groups come out ordered by their newest image.
  for (const image of images) {
    const key = checkpointContainerName(image.annotations) ?? '(unknown container)';
    byContainer.set(key, [...(byContainer.get(key) ?? []), image]);
  }
  return [...byContainer].map(([name, list]) => new ImageGroupNode(location, name, list, start));
}
