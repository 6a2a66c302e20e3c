import { cancelled, type EngineError } from '../errors.js';

/** An entry name fit for a message: quoted, with control characters and invalid UTF-8 made visible. */
export function quote(name: string): string {
  const shown = name.length > 200 ? `${name.slice(0, 200)}…` : name;
  return JSON.stringify(shown);
}

/** The error to throw when a signal aborted the work, whatever the stream layer threw instead. */
export function cancelledBy(what: string, signal: AbortSignal | undefined): EngineError | undefined {
  return signal?.aborted ? cancelled(what, signal) : undefined;
}
