import * as vscode from 'vscode';
import type { ArchiveCompression } from '../engine/index.js';

export interface Settings {
  podmanPath: string;
  podmanGlobalArgs: string[];
  podmanEnvironment: Record<string, string>;
  checkpoint: { leaveRunning: boolean; tcpEstablished: boolean; fileLocks: boolean };
  exportCompression: ArchiveCompression;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('checkpointStudio');
  return {
    podmanPath: c.get<string>('podmanPath') || 'podman',
    podmanGlobalArgs: c.get<string[]>('podmanGlobalArgs') ?? [],
    podmanEnvironment: c.get<Record<string, string>>('podmanEnvironment') ?? {},
    checkpoint: {
      leaveRunning: c.get<boolean>('checkpoint.leaveRunning') ?? false,
      tcpEstablished: c.get<boolean>('checkpoint.tcpEstablished') ?? false,
      fileLocks: c.get<boolean>('checkpoint.fileLocks') ?? false,
    },
    exportCompression: c.get<ArchiveCompression>('export.compression') ?? 'zstd',
  };
}

/** Settings that change how podman is run; a change rebuilds the engine's podman. */
export function affectsPodman(e: vscode.ConfigurationChangeEvent): boolean {
  return ['podmanPath', 'podmanGlobalArgs', 'podmanEnvironment'].some((k) => e.affectsConfiguration(`checkpointStudio.${k}`));
}
