import * as vscode from 'vscode';
import { checkpointContainerName, type CheckpointImage } from '../../engine/index.js';
import type { CheckpointModel } from '../model.js';
import { CheckpointImageNode, ImageGroupNode } from './CheckpointImageNode.js';

type Node = ImageGroupNode | CheckpointImageNode;

/** The Checkpoint Images view: grouped by the container they came from, newest group and image first. */
export class CheckpointImagesProvider implements vscode.TreeDataProvider<Node> {
  readonly onDidChangeTreeData: vscode.Event<void>;

  constructor(private readonly model: CheckpointModel) {
    this.onDidChangeTreeData = model.onDidChange;
  }

  getTreeItem(node: Node): Node {
    return node;
  }

  getChildren(node?: Node): Node[] {
    if (node instanceof ImageGroupNode) return node.images.map((i) => new CheckpointImageNode(i));
    if (node) return [];
    const groups = new Map<string, CheckpointImage[]>();
    // The engine lists newest first, so groups come out ordered by their newest image.
    for (const image of this.model.images) {
      const key = checkpointContainerName(image.annotations) ?? '(unknown container)';
      groups.set(key, [...(groups.get(key) ?? []), image]);
    }
    return [...groups].map(([name, images]) => new ImageGroupNode(name, images));
  }
}
