import * as vscode from 'vscode';
import type { ArchiveCompression, CheckpointResult } from '../../engine/index.js';
import { readSettings } from '../config.js';
import type { Services } from '../services.js';
import { pickCheckpointOptions, pickRunningContainer } from './pick.js';
import { required, withProgress } from './runCommand.js';

const EXTENSIONS = { zstd: '.tar.zst', gzip: '.tar.gz', none: '.tar' } as const;

/** The save dialog for an archive, in the workspace folder, named `<base>` plus the compression's extension. */
export async function askArchivePath(title: string, base: string, compression: ArchiveCompression): Promise<string> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const file = await vscode.window.showSaveDialog({
    title,
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${base}${EXTENSIONS[compression]}`) : undefined,
    filters: { 'Checkpoint archives': ['zst', 'gz', 'tar'] },
  });
  return required(file).fsPath;
}

/** Arguments for running the command without prompts (keybindings, other extensions, tests). */
export interface ExportRequest {
  container: string;
  /** Absolute path of the archive to write. */
  path: string;
  compression?: ArchiveCompression;
  leaveRunning?: boolean;
  tcpEstablished?: boolean;
  fileLocks?: boolean;
}

function isRequest(arg: unknown): arg is ExportRequest {
  return typeof arg === 'object' && arg !== null && typeof (arg as ExportRequest).container === 'string'
    && typeof (arg as ExportRequest).path === 'string';
}

export async function exportToArchive(services: Services, arg?: unknown): Promise<CheckpointResult> {
  const { container, path, compression, ...options } = isRequest(arg) ? arg : await askExport(services, arg);
  const result = await withProgress(`Exporting ${container}`, (report, signal) =>
    services.podman().checkpoint(container, { kind: 'archive', path, compression }, { ...options, onStage: report, signal }),
  );
  void vscode.window.showInformationMessage(`Exported ${result.containerName} to ${result.archive?.path}.`);
  return result;
}

async function askExport(services: Services, node: unknown): Promise<ExportRequest> {
  const title = 'Export Checkpoint to Archive';
  const container = await pickRunningContainer(services, node, title);
  const compression = readSettings().exportCompression;
  const path = await askArchivePath(title, `${container.name}-checkpoint`, compression);
  const options = await pickCheckpointOptions(title);
  return {
    container: container.name,
    path,
    compression,
    ...options,
  };
}
