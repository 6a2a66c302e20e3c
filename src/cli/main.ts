import { parseArgs } from 'node:util';
import type { EngineErrorCode, Logger, RegistryClient } from '../engine/index.js';
import { terminalSafe } from '../shared/terminalSafe.js';
import { loadEngine, UsageError, type CliCommand, type CliContext } from './command.js';
import { checkpoint } from './commands/checkpoint.js';
import { host } from './commands/host.js';
import { images } from './commands/images.js';
import { inspect } from './commands/inspect.js';
import { diff } from './commands/diff.js';
import { mem } from './commands/mem.js';
import { scan, SECRETS_FOUND_EXIT } from './commands/scan.js';
import { ps } from './commands/ps.js';
import { restore } from './commands/restore.js';
import { rm } from './commands/rm.js';
import { image } from './commands/image.js';
import { copy } from './commands/copy.js';
import { gc, verify } from './commands/store.js';
import { registry } from './commands/registry.js';

const COMMANDS: CliCommand[] = [ps, checkpoint, images, inspect, mem, diff, scan, restore, rm, image, copy, registry, gc, verify, host];

/** Exit codes scripts can rely on (documented in the README). */
export const ExitCode = { Ok: 0, Failed: 1, Usage: 2, NotFound: 3, CriuFailed: 4, SecretsFound: SECRETS_FOUND_EXIT, Cancelled: 130 } as const;

const EXIT_BY_ERROR: Partial<Record<EngineErrorCode, number>> = {
  CONTAINER_NOT_FOUND: ExitCode.NotFound,
  IMAGE_NOT_FOUND: ExitCode.NotFound,
  CRIU_FAILED: ExitCode.CriuFailed,
  CRIU_STALLED: ExitCode.CriuFailed,
  CANCELLED: ExitCode.Cancelled,
  INVALID_ARGUMENT: ExitCode.Usage,
};

const GLOBAL_HELP = [
  'Global options (before or after the command):',
  '  --podman PATH         podman executable (env CKPT_PODMAN; default: podman in PATH)',
  '  --podman-store DIR    use an isolated podman store under DIR (env CKPT_PODMAN_STORE)',
  '  --store DIR           the embedded store (env CKPT_STORE; default ~/.local/share/checkpoint-studio/store)',
  '  --authfile FILE       registry credentials (env REGISTRY_AUTH_FILE; default: where podman and docker keep them)',
  '  --insecure-registry H plain HTTP to registry H (host[:port]); loopback registries always get it; repeatable',
  '  --stall-timeout SEC  stop CRIU when a checkpoint or restore makes no progress for SEC seconds (default 60)',
  '  --verbose, -v         print every podman command and registry request, and its result, to stderr',
  '  --help, -h            help for ckpt or for a command',
  '  --version             the version of ckpt (alone)',
];

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'ckpt — checkpoint containers into images, inspect and restore them (Checkpoint Studio)',
    '',
    'Usage: ckpt COMMAND [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    ...GLOBAL_HELP,
    '',
    'Run `ckpt COMMAND --help` for a command.',
  ].join('\n');
}

function commandHelp(c: CliCommand): string {
  return [`Usage: ckpt ${c.name} ${c.usage}`, '', c.summary, '', ...c.help.map((h) => `  ${h}`), '', ...GLOBAL_HELP].join('\n');
}

const GLOBAL_OPTIONS = {
  podman: { type: 'string' },
  'podman-store': { type: 'string' },
  store: { type: 'string' },
  authfile: { type: 'string' },
  'insecure-registry': { type: 'string', multiple: true },
  'stall-timeout': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Where the command's name is: the first word that is neither an option nor the value of a global option before it. */
function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) return i;
    const option = GLOBAL_OPTIONS[arg.slice(2) as keyof typeof GLOBAL_OPTIONS];
    if (arg.startsWith('--') && option?.type === 'string') i++;
  }
  return -1;
}

/** The package's version, set by the build (scripts/build.mjs) from package.json. */
declare const CKPT_VERSION: string;

/** Runs one ckpt invocation and returns its exit code. Separate from process handling so tests can call it. */
export async function runCli(argv: string[], terminal: CliIo): Promise<number> {
  // Everything ckpt prints passes here, so text from images, registries and podman cannot drive the terminal
  // (issue 11): controls show as \u001b and the like. `--json` stays valid JSON: it has no raw controls but
  // newlines, and the escapes for what JSON.stringify leaves raw (DEL, C1, bidi) are JSON's own.
  const io: CliIo = { ...terminal, stdout: (t) => terminal.stdout(terminalSafe(t)), stderr: (t) => terminal.stderr(terminalSafe(t)) };
  const at = commandIndex(argv);
  const name = at === -1 ? undefined : argv[at];
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    if (argv.length === 1 && argv[0] === '--version') {
      io.stdout(`ckpt ${CKPT_VERSION} (Checkpoint Studio)`);
      return ExitCode.Ok;
    }
    if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
      io.stdout(usage());
      return argv.length === 0 ? ExitCode.Usage : ExitCode.Ok;
    }
    io.stderr(`ckpt: unknown command ${name ?? argv[0]}\n\n${usage()}`);
    return ExitCode.Usage;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.filter((_, i) => i !== at),
      options: { ...command.options, ...GLOBAL_OPTIONS },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values.help) {
      io.stdout(commandHelp(command));
      return ExitCode.Ok;
    }
    const n = parsed.positionals.length;
    if (n < command.positionals.min || n > command.positionals.max) {
      throw new UsageError(`expected ${command.usage}`);
    }
    stallTimeoutMs(parsed.values['stall-timeout'] as string | undefined);
  } catch (err) {
    io.stderr(`ckpt ${command.name}: ${(err as Error).message}\n\n${commandHelp(command)}`);
    return ExitCode.Usage;
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const { createRegistryClient, defaultStorePath, describeError, findCredentials, isEngineError, isolatedStoreArgs, Podman, Store } = await loadEngine();
  const podmanStore = (values['podman-store'] as string | undefined) ?? io.env.CKPT_PODMAN_STORE;
  const logger: Logger | undefined = values.verbose
    ? { debug: () => {}, info: (m) => io.stderr(m), warn: (m) => io.stderr(m) }
    : undefined;
  const podman = new Podman({
    podmanPath: (values.podman as string | undefined) ?? io.env.CKPT_PODMAN ?? 'podman',
    globalArgs: podmanStore ? isolatedStoreArgs(podmanStore) : [],
    logger,
    criuStallTimeoutMs: stallTimeoutMs(values['stall-timeout'] as string | undefined),
  });
  const store = new Store((values.store as string | undefined) ?? defaultStorePath(io.env));
  const insecure = new Set((values['insecure-registry'] as string[] | undefined) ?? []);
  const authFile = values.authfile as string | undefined;
  const clients = new Map<string, RegistryClient>();
  const registryClient = (host: string): RegistryClient => {
    let client = clients.get(host);
    if (!client) {
      client = createRegistryClient({
        registry: host,
        insecure: insecure.has(host),
        credentials: async (reg, repository) => (await findCredentials(reg, repository, { env: io.env, authFile, signal: io.signal }))?.credential,
        log: logger ? (line) => io.stderr(line) : undefined,
      });
      clients.set(host, client);
    }
    return client;
  };
  const ctx: CliContext = {
    podman,
    store,
    registry: registryClient,
    storeFor: (ref, options) => (ref.kind === 'store' ? store : new Store(ref.path, { create: options?.create ?? false })),
    out: io.stdout,
    note: (t) => io.stderr(t),
    signal: io.signal,
  };
  try {
    // Commands end with `return ctx.out(…)`: only a number is an exit code.
    const code: unknown = await command.run(ctx, values, parsed.positionals);
    return typeof code === 'number' ? code : ExitCode.Ok;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`ckpt ${command.name}: ${err.message}\n\n${commandHelp(command)}`);
      return ExitCode.Usage;
    }
    io.stderr(`ckpt ${command.name}: ${describeError(err)}`);
    return isEngineError(err) ? (EXIT_BY_ERROR[err.code] ?? ExitCode.Failed) : ExitCode.Failed;
  }
}

/** --stall-timeout in milliseconds; undefined leaves podman's default. */
function stallTimeoutMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!/^\d+$/.test(text) || seconds < 1) throw new UsageError('--stall-timeout must be a whole number of seconds, 1 or more');
  return seconds * 1000;
}
