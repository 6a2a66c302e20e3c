import * as vscode from 'vscode';
import type { CheckpointModel } from '../model.js';
import { ContainerNode } from './ContainerNode.js';

/** The Containers view: every container podman knows, running first. */
export class ContainersProvider implements vscode.TreeDataProvider<ContainerNode> {
  readonly onDidChangeTreeData: vscode.Event<void>;

  constructor(private readonly model: CheckpointModel) {
    this.onDidChangeTreeData = model.onDidChange;
  }

  getTreeItem(node: ContainerNode): ContainerNode {
    return node;
  }

  getChildren(node?: ContainerNode): ContainerNode[] {
    if (node) return [];
    const rank = (s: string) => (s === 'running' ? 0 : s === 'checkpointed' ? 1 : 2);
    return [...this.model.containers]
      .sort((a, b) => rank(a.state) - rank(b.state) || a.name.localeCompare(b.name))
      .map((c) => new ContainerNode(c));
  }
}
