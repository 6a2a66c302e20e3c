import type { ParseArgsConfig } from 'node:util';
import type { Podman } from '../engine/index.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CliContext {
  podman: Podman;
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
  run(ctx: CliContext, values: OptionValues, positionals: string[]): Promise<void>;
}

/** A usage mistake: exit code 2 and the command's help, never a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
