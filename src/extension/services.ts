import type * as vscode from 'vscode';
import type { Podman, Store } from '../engine/index.js';
import type { CheckpointModel } from './model.js';
import type { Registries } from './registries.js';
import type { CheckpointContentsReader } from './tree/CheckpointContentsReader.js';
import type { RefreshController } from './tree/RefreshController.js';

/** Everything a command needs, passed explicitly instead of module-level globals. */
export interface Services {
  /** The engine's podman, rebuilt when the podman settings change. */
  podman(): Podman;
  /** The embedded store, rebuilt when its setting changes. */
  store(): Store;
  model: CheckpointModel;
  /** The saved registries, their credentials and clients. */
  registries: Registries;
  refresh: RefreshController;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  /** What is inside checkpoint images, read once per image for the tree and the inspect page. */
  contents: CheckpointContentsReader;
}
