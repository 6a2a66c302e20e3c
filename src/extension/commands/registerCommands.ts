import * as vscode from 'vscode';
import type { Services } from '../services.js';
import { checkHost } from './checkHost.js';
import { openContainerTerminal } from './containerTerminal.js';
import { compareCheckpointImages } from './compareCheckpoints.js';
import { createCheckpointImage } from './createCheckpointImage.js';
import { exportToArchive } from './exportToArchive.js';
import { inspectCheckpointImage } from './inspectCheckpointImage.js';
import { pullAndRestore, pullCheckpointImage } from './pullCheckpointImage.js';
import { pushCheckpointImage } from './pushCheckpointImage.js';
import { addRegistry, addRepository, copyReference, removeRegistry, removeTag, signInToRegistry } from './registryCommands.js';
import { removeCheckpointImage } from './removeCheckpointImage.js';
import { restoreAsDevContainer } from './restoreAsDevContainer.js';
import { restoreFromCheckpointImage } from './restoreFromCheckpointImage.js';
import { runCommand } from './runCommand.js';
import { exportImageToArchive, importArchive, saveToStore } from './storeCommands.js';

/** Every command, registered in one place; each takes the clicked node, an image reference, or nothing. */
export function registerCommands(services: Services): vscode.Disposable[] {
  const commands: Record<string, (node?: unknown) => Promise<unknown>> = {
    createCheckpointImage: (node) => createCheckpointImage(services, node),
    restoreFromCheckpointImage: (node) => restoreFromCheckpointImage(services, node),
    restoreAsDevContainer: (arg) => restoreAsDevContainer(services, arg),
    openTerminal: (arg) => openContainerTerminal(services, arg, 'shell'),
    showLogs: (arg) => openContainerTerminal(services, arg, 'logs'),
    inspectCheckpointImage: (node) => inspectCheckpointImage(services, node),
    compareCheckpoints: (arg) => compareCheckpointImages(services, arg),
    exportToArchive: (node) => exportToArchive(services, node),
    removeCheckpointImage: (node) => removeCheckpointImage(services, node),
    saveToStore: (node) => saveToStore(services, node),
    importArchive: (arg) => importArchive(services, arg),
    exportImageToArchive: (arg) => exportImageToArchive(services, arg),
    addRegistry: (arg) => addRegistry(services, arg),
    removeRegistry: (arg) => removeRegistry(services, arg),
    signInToRegistry: (arg) => signInToRegistry(services, arg),
    addRepository: (arg) => addRepository(services, arg),
    pushCheckpointImage: (arg) => pushCheckpointImage(services, arg),
    pullCheckpointImage: (arg) => pullCheckpointImage(services, arg),
    pullAndRestore: (arg) => pullAndRestore(services, arg),
    copyReference: (arg) => copyReference(arg),
    removeTag: (arg) => removeTag(services, arg),
    checkHost: () => checkHost(services),
    refresh: async () => {
      services.registries.refresh();
      await services.refresh.now({ hostFacts: true });
    },
  };
  return [
    ...Object.entries(commands).map(([id, fn]) => vscode.commands.registerCommand(`checkpointStudio.${id}`, runCommand(services, fn))),
    vscode.commands.registerCommand('checkpointStudio.showLog', () => services.log.show()),
  ];
}
