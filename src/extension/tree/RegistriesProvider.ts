import * as vscode from 'vscode';
import { describeError, isEngineError, listRepositoryImages } from '../../engine/index.js';
import type { Registries } from '../registries.js';
import type { CheckpointContentsReader } from './CheckpointContentsReader.js';
import { ContentsNode, imageContents } from './ContentsNodes.js';
import { RegistryMessageNode, RegistryNode, RegistryTagNode, RepositoryNode } from './RegistryNodes.js';

export type RegistriesViewNode = RegistryNode | RepositoryNode | RegistryTagNode | RegistryMessageNode | ContentsNode;
type Node = RegistriesViewNode;

/**
 * The Registries view: saved registries, their repositories (the catalog plus those added by hand), and the tags
 * of each, described from their manifests. Nothing is cached: every expand or refresh asks the registry, so the
 * view shows what a teammate pushed a moment ago. A checkpoint tag expands into what it holds (read once per digest).
 */
export class RegistriesProvider implements vscode.TreeDataProvider<Node> {
  readonly onDidChangeTreeData: vscode.Event<void>;

  constructor(
    private readonly registries: Registries,
    private readonly log: vscode.LogOutputChannel,
    private readonly contents: CheckpointContentsReader,
  ) {
    this.onDidChangeTreeData = registries.onDidChange;
  }

  getTreeItem(node: Node): Node {
    return node;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      // An empty list shows the welcome text ("Add Registry…").
      return Promise.all(
        this.registries.list().map(async (r) => {
          const saved = await this.registries.savedCredential(r.host).catch(() => undefined);
          return new RegistryNode(r, saved?.kind === 'basic' ? saved.username : undefined);
        }),
      );
    }
    if (node instanceof RegistryNode) return this.#repositories(node);
    if (node instanceof RepositoryNode) return this.#tags(node);
    if (node instanceof RegistryTagNode && node.contents) return imageContents(this.contents, node.contents, node.id!, 'checkpointStudio.registries');
    if (node instanceof ContentsNode) return node.children();
    return [];
  }

  async #repositories(node: RegistryNode): Promise<Node[]> {
    const { host, repositories: byHand } = node.registry;
    let listed: string[] = [];
    let problem: RegistryMessageNode | undefined;
    try {
      listed = await this.registries.client(host).catalog();
    } catch (err) {
      // Many registries keep their catalog to themselves (404, 405): then the repositories added by hand are the list.
      if (!isEngineError(err, 'REGISTRY_UNSUPPORTED') && !isEngineError(err, 'IMAGE_NOT_FOUND')) problem = this.#problem(host, host, err);
      else if (byHand.length === 0) problem = noCatalog(host);
    }
    const repositories = [...new Set([...listed, ...byHand])].sort();
    const nodes: Node[] = repositories.map((r) => new RepositoryNode(host, r));
    if (problem) nodes.unshift(problem);
    if (nodes.length === 0) {
      nodes.push(new RegistryMessageNode(host, `${host}:empty`, 'No repositories yet: push a checkpoint image here', { icon: 'info' }));
    }
    return nodes;
  }

  async #tags(node: RepositoryNode): Promise<Node[]> {
    const where = `${node.host}/${node.repository}`;
    try {
      const listings = await listRepositoryImages(this.registries.client(node.host), node.repository);
      if (listings.length) return listings.map((l) => new RegistryTagNode(node.host, l));
    } catch (err) {
      // A repository added by hand exists only once something is pushed to it.
      if (!isEngineError(err, 'IMAGE_NOT_FOUND')) return [this.#problem(node.host, where, err)];
    }
    return [new RegistryMessageNode(node.host, `${where}:empty`, 'No tags yet', { icon: 'info' })];
  }

  /** The error as a node; when access was denied, clicking it signs in. */
  #problem(host: string, where: string, err: unknown): RegistryMessageNode {
    this.log.warn(describeError(err));
    const message = isEngineError(err) ? err.message : String(err);
    const tooltip = isEngineError(err) && err.hint ? `${message}\n\n${err.hint}` : message;
    if (isEngineError(err, 'REGISTRY_DENIED')) {
      return new RegistryMessageNode(host, `${where}:denied`, 'Access denied: Sign In…', {
        icon: 'account',
        description: message,
        tooltip,
        contextValue: 'registryMessage.denied',
        command: { command: 'checkpointStudio.signInToRegistry', title: 'Sign In…', arguments: [{ registry: host }] },
      });
    }
    return new RegistryMessageNode(host, `${where}:error`, message, { icon: 'error', tooltip, contextValue: 'registryMessage.error' });
  }
}

function noCatalog(host: string): RegistryMessageNode {
  return new RegistryMessageNode(host, `${host}:nocatalog`, 'Add Repository…', {
    icon: 'add',
    description: 'this registry does not list its repositories',
    command: { command: 'checkpointStudio.addRepository', title: 'Add Repository…', arguments: [{ registry: host }] },
  });
}
