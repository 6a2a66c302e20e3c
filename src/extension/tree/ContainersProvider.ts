import * as vscode from 'vscode';
import type { CheckpointModel } from '../model.js';
import { ContainerNode } from './ContainerNode.js';
import { HostCheckNode } from './HostCheckNode.js';

type Row = ContainerNode | HostCheckNode;

/** The Containers view: a failed host check first, then every container podman knows, running first. */
export class ContainersProvider implements vscode.TreeDataProvider<Row> {
  readonly onDidChangeTreeData: vscode.Event<void>;

  constructor(private readonly model: CheckpointModel) {
    this.onDidChangeTreeData = model.onDidChange;
  }

  getTreeItem(node: Row): Row {
    return node;
  }

  getChildren(node?: Row): Row[] {
    if (node) return [];
    const rank = (s: string) => (s === 'running' ? 0 : s === 'checkpointed' ? 1 : 2);
    const failure = this.model.hostCheckFailure;
    return [
      ...(failure ? [new HostCheckNode(failure.step, failure.cause)] : []),
      ...[...this.model.containers]
        .sort((a, b) => rank(a.state) - rank(b.state) || a.name.localeCompare(b.name))
        .map((c) => new ContainerNode(c)),
    ];
  }
}
