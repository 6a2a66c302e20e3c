import type { PodmanExec, RunOptions } from './exec.js';
import { asObject, str, time } from './json.js';

/** A container or image event as `podman events` reports it (checkpoint and restore included). */
export interface PodmanEvent {
  type: 'container' | 'image' | string;
  /** create, start, died, checkpoint, restore, remove, pull, tag, untag, ... */
  status: string;
  id: string;
  name: string;
  time?: Date;
}

export function parseEvent(line: string): PodmanEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  const e = asObject(json);
  const type = str(e.Type);
  const status = str(e.Status);
  if (!type || !status) return undefined;
  // Podman 4 writes Time (RFC 3339); podman 5 writes time (Unix seconds) beside timeNano, and no Time.
  return { type, status, id: str(e.ID), name: str(e.Name), time: time(e.Time) ?? time(e.time) };
}

/**
 * Follows podman's container and image events until the signal aborts. Resolves when podman stops on its own
 * (the caller decides whether to follow again).
 */
export async function watchEvents(
  exec: PodmanExec,
  onEvent: (event: PodmanEvent) => void,
  options: RunOptions = {},
): Promise<void> {
  const args = ['events', '--format', 'json', '--filter', 'type=container', '--filter', 'type=image'];
  for await (const line of exec.podmanLines(args, options)) {
    const event = parseEvent(line);
    if (event) onEvent(event);
  }
}
