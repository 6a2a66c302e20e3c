import * as vscode from 'vscode';
import { readSettings } from '../config.js';
import type { Services } from '../services.js';
import { pickOptions, pickRunningContainer } from './pick.js';
import { required, withProgress } from './runCommand.js';

const EXTENSIONS = { zstd: '.tar.zst', gzip: '.tar.gz', none: '.tar' } as const;

export async function exportToArchive(services: Services, node?: unknown): Promise<void> {
  const title = 'Export Checkpoint to Archive';
  const container = await pickRunningContainer(services, node, title);
  const { exportCompression: compression, checkpoint: defaults } = readSettings();
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const file = required(
    await vscode.window.showSaveDialog({
      title,
      defaultUri: folder ? vscode.Uri.joinPath(folder, `${container.name}-checkpoint${EXTENSIONS[compression]}`) : undefined,
      filters: { 'Checkpoint archives': ['zst', 'gz', 'tar'] },
    }),
  );
  const options = await pickOptions(title, [
    { id: 'leaveRunning', label: 'Leave running', detail: 'Keep the container running after the checkpoint', picked: defaults.leaveRunning },
    { id: 'tcpEstablished', label: 'TCP established', detail: 'Include open TCP connections', picked: defaults.tcpEstablished },
    { id: 'fileLocks', label: 'File locks', detail: 'Include file locks', picked: defaults.fileLocks },
  ]);
  const result = await withProgress(`Exporting ${container.name}`, (report, signal) =>
    services.podman().checkpoint(container.id, { kind: 'archive', path: file.fsPath, compression }, {
      leaveRunning: options.has('leaveRunning'),
      tcpEstablished: options.has('tcpEstablished'),
      fileLocks: options.has('fileLocks'),
      onStage: report,
      signal,
    }),
  );
  void vscode.window.showInformationMessage(`Exported ${result.containerName} to ${result.archive?.path}.`);
}
