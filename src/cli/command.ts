import type { ParseArgsConfig } from 'node:util';
import type { ImageReference, Podman, RegistryClient, Store } from '../engine/index.js';

/**
 * The engine, loaded when a command runs (dist/engine.js, a bundle of its own): `ckpt --version`, every `--help`
 * and usage errors neither compile nor evaluate it (protobuf schemas, execa, registry, zstd; issue 14). CLI modules
 * import the engine's types at the top and its values through this.
 */
export const loadEngine = () => import('../engine/index.js');

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CliContext {
  podman: Podman;
  /** The embedded store (global --store, env CKPT_STORE, else the user's data folder). */
  store: Store;
  /** The store a reference points into: the embedded one for store:TAG, a layout for oci:PATH:TAG. */
  storeFor(ref: ImageReference & { kind: 'store' | 'oci' }, options?: { create?: boolean }): Store;
  /** A client for a registry (host[:port]), with credentials from where podman and docker keep them. */
  registry(registry: string): RegistryClient;
  /** Results on stdout. Like note(), control characters are escaped on the way out: untrusted text may be passed as is. */
  out(text: string): void;
  /** Progress and notes for people; kept off stdout so `--json` output stays parseable. */
  note(text: string): void;
  signal: AbortSignal;
}

export interface CliCommand {
  name: string;
  summary: string;
  /** Arguments after the command name, e.g. "CONTAINER --image NAME [options]". */
  usage: string;
  /** Lines describing each option, shown by --help. */
  help: string[];
  options: OptionSpec;
  positionals: { min: number; max: number };
  /** Resolves to an exit code only for a result scripts branch on (ckpt scan: secrets found); failures throw. */
  run(ctx: CliContext, values: OptionValues, positionals: string[]): Promise<void | number>;
}

/** A usage mistake: exit code 2 and the command's help, never a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The value of `--NAME N` as a process ID, or undefined when not given. */
export function pidOption(values: OptionValues, name = 'pid'): number | undefined {
  if (values[name] === undefined) return undefined;
  const pid = Number(values[name]);
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new UsageError(`--${name} takes a process ID, not ${String(values[name])}`);
  return pid;
}
