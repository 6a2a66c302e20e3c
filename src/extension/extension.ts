import * as vscode from 'vscode';
import { defaultStorePath, Podman, Store } from '../engine/index.js';
import { channelLogger, terminalSafeChannel } from './adapters/logger.js';
import { registerCommands } from './commands/registerCommands.js';
import { affectsPodman, readSettings } from './config.js';
import { CheckpointModel } from './model.js';
import { Registries } from './registries.js';
import type { Services } from './services.js';
import { CheckpointContentsReader } from './tree/CheckpointContentsReader.js';
import { CheckpointImagesProvider } from './tree/CheckpointImagesProvider.js';
import { ContainersProvider } from './tree/ContainersProvider.js';
import { RegistriesProvider } from './tree/RegistriesProvider.js';
import { RefreshController } from './tree/RefreshController.js';

/** What the extension hands to tests running inside the extension host. */
export interface CheckpointStudioApi {
  services: Services;
  views: { containers: ContainersProvider; images: CheckpointImagesProvider; registries: RegistriesProvider };
  /** The "Checkpoint Studio" output channel's file, as VS Code writes it. */
  logFile: vscode.Uri;
  activatedInMs: number;
}

export function activate(context: vscode.ExtensionContext): CheckpointStudioApi {
  const started = Date.now();
  const log = terminalSafeChannel(vscode.window.createOutputChannel('Checkpoint Studio', { log: true }));
  let podman = makePodman(log);
  let store = makeStore();
  const getPodman = () => podman;
  const getStore = () => store;
  const model = new CheckpointModel(getPodman, getStore, log);
  const refresh = new RefreshController(model, getPodman, log);
  const registries = new Registries(context.globalState, context.secrets, log);
  const contents = new CheckpointContentsReader(() => ({ podman, store, registry: registries.client }), log);
  const services: Services = { podman: getPodman, store: getStore, model, registries, refresh, log, extensionUri: context.extensionUri, contents };

  const views = {
    containers: new ContainersProvider(model),
    images: new CheckpointImagesProvider(model, () => store.path, contents),
    registries: new RegistriesProvider(registries, log, contents),
  };
  const containers = vscode.window.createTreeView('checkpointStudio.containers', { treeDataProvider: views.containers });
  const images = vscode.window.createTreeView('checkpointStudio.checkpointImages', {
    treeDataProvider: views.images,
    showCollapseAll: true,
  });
  const registryTree = vscode.window.createTreeView('checkpointStudio.registries', { treeDataProvider: views.registries, showCollapseAll: true });
  // The views' message line carries problems welcome views cannot (they take no dynamic text).
  const showProblem = () => {
    containers.message = model.problem ?? (model.host?.criuProblem ? `Cannot checkpoint here: ${model.host.criuProblem}` : undefined);
  };

  // Activation only registers: podman and the store are first read when a view that shows them is (issue 14).
  // A command before that loads what it needs itself (refresh.now()).
  let shown = false;
  context.subscriptions.push(
    log,
    model,
    refresh,
    containers,
    images,
    registries,
    registryTree,
    model.onDidChange(showProblem),
    ...registerCommands(services),
    whenFirstShown([containers, images], () => {
      shown = true;
      refresh.start();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsPodman(e)) return;
      podman = makePodman(log);
      store = makeStore();
      if (shown) refresh.restart();
      else model.forgetHost();
    }),
  );
  const activatedInMs = Date.now() - started;
  log.info(`Checkpoint Studio activated in ${activatedInMs} ms`);
  // VS Code keeps an extension's log channels as <logUri>/<channel name>.log.
  return { services, views, logFile: vscode.Uri.joinPath(context.logUri, `${log.name}.log`), activatedInMs };
}

/** Calls `show` once, as soon as one of the views is visible (at once if one is already). */
function whenFirstShown(views: vscode.TreeView<unknown>[], show: () => void): vscode.Disposable {
  const watches = views.map((view) => view.onDidChangeVisibility((e) => e.visible && first()));
  const stop = () => watches.forEach((w) => w.dispose());
  const first = () => {
    stop();
    show();
  };
  if (views.some((v) => v.visible)) first();
  return { dispose: stop };
}

function makePodman(log: vscode.LogOutputChannel): Podman {
  const s = readSettings();
  return new Podman({
    podmanPath: s.podmanPath,
    globalArgs: s.podmanGlobalArgs,
    env: s.podmanEnvironment,
    logger: channelLogger(log),
    criuStallTimeoutMs: s.criuStallTimeoutSeconds * 1000,
  });
}

function makeStore(): Store {
  return new Store(readSettings().storePath || defaultStorePath());
}

export function deactivate(): void {}
