import * as vscode from 'vscode';
import { DEFAULT_CRIU_STALL_TIMEOUT_MS, type ArchiveCompression } from '../engine/index.js';

export interface Settings {
  podmanPath: string;
  podmanGlobalArgs: string[];
  podmanEnvironment: Record<string, string>;
  checkpoint: { leaveRunning: boolean; tcpEstablished: boolean; fileLocks: boolean };
  /** Where Create Checkpoint Image proposes to put the image. */
  checkpointDestination: 'store' | 'podman';
  exportCompression: ArchiveCompression;
  /** The embedded store's folder; empty for the default. */
  storePath: string;
  /** Where Pull puts checkpoint images. */
  pullDestination: 'podman' | 'store';
  /** A checkpoint or restore whose CRIU shows no progress this long is stopped. */
  criuStallTimeoutSeconds: number;
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
    checkpointDestination: c.get<'store' | 'podman'>('checkpoint.destination') === 'podman' ? 'podman' : 'store',
    exportCompression: c.get<ArchiveCompression>('export.compression') ?? 'zstd',
    storePath: c.get<string>('storePath') ?? '',
    pullDestination: c.get<'podman' | 'store'>('pull.destination') === 'store' ? 'store' : 'podman',
    criuStallTimeoutSeconds: Math.max(1, c.get<number>('criu.stallTimeoutSeconds') ?? DEFAULT_CRIU_STALL_TIMEOUT_MS / 1000),
  };
}

/** Settings that change how podman is run or where the store is; a change rebuilds both. */
export function affectsPodman(e: vscode.ConfigurationChangeEvent): boolean {
  return ['podmanPath', 'podmanGlobalArgs', 'podmanEnvironment', 'storePath', 'criu.stallTimeoutSeconds'].some((k) => e.affectsConfiguration(`checkpointStudio.${k}`));
}
