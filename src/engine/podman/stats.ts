import { asArray, asObject, num, str } from './json.js';

/** What `--print-stats` reports. Durations are in microseconds, as podman and CRIU give them. */
export interface CheckpointRestoreStats {
  /** The container the operation produced or used. */
  containerId: string;
  /** Podman's whole operation. */
  totalMicros: number;
  /** The OCI runtime (runc + CRIU) part. */
  runtimeMicros: number;
  /** CRIU's own counters (freezing_time, pages_written, restore_time, ...). */
  criu: Record<string, number>;
}

/** Parses podman's `--print-stats` JSON for `checkpoint` or `restore`. */
export function parseStats(json: unknown): CheckpointRestoreStats | undefined {
  const root = asObject(json);
  const first = asObject(asArray(root.container_statistics)[0]);
  const containerId = str(first.Id);
  if (!containerId) return undefined;
  const criu: Record<string, number> = {};
  for (const [k, v] of Object.entries(asObject(first.criu_statistics))) if (typeof v === 'number') criu[k] = v;
  return {
    containerId,
    totalMicros: num(root.podman_checkpoint_duration, num(root.podman_restore_duration)),
    runtimeMicros: num(first.runtime_checkpoint_duration, num(first.runtime_restore_duration)),
    criu,
  };
}

/** Parses `--print-stats` stdout; undefined when podman printed something else (older versions print IDs). */
export function parseStatsOutput(stdout: string): CheckpointRestoreStats | undefined {
  try {
    return parseStats(JSON.parse(stdout));
  } catch {
    return undefined;
  }
}
