import { EngineError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { classifyPodmanFailure } from './failures.js';

/**
 * execa, loaded at the first process: it and the Node modules it pulls in (child_process among 45) cost about
 * 25 ms of a start, and a copy to or from a registry runs no process (issue 14). The bundler keeps it inside.
 */
function loadExeca(): typeof import('execa').execa {
  return (require('execa') as typeof import('execa')).execa;
}

export interface PodmanOptions {
  /** The podman executable; default `podman` from PATH. */
  podmanPath?: string;
  /** Global flags put before every subcommand, e.g. `--root DIR --runroot DIR --tmpdir DIR` for an isolated store. */
  globalArgs?: string[];
  /** Extra environment for podman and CRIU (e.g. PATH with a newer CRIU first, CONTAINERS_CONF). */
  env?: Record<string, string>;
  logger?: Logger;
  /**
   * How long a checkpoint or restore may go without any sign of progress (CRIU's log or images growing, I/O by
   * CRIU or podman) before CRIU is stopped and the operation fails with CRIU_STALLED. Default 60 s.
   */
  criuStallTimeoutMs?: number;
}

export const DEFAULT_CRIU_STALL_TIMEOUT_MS = 60_000;

export interface RunOptions {
  signal?: AbortSignal;
}

/** For long operations: the stage now running, in words for people ("checkpointing with CRIU"). */
export interface ProgressOptions extends RunOptions {
  onStage?: (stage: string) => void;
}

export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A program started by {@link PodmanExec.startPodman}: its PID, its outcome, and a way to signal it. */
export interface StartedProcess {
  pid: number | undefined;
  result: Promise<ProcessResult>;
  kill(signal: NodeJS.Signals): void;
}

/** Runs podman (and the tools it relies on) with argument arrays, never through a shell. */
export class PodmanExec {
  readonly podmanPath: string;
  readonly globalArgs: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly logger: Logger;
  readonly criuStallTimeoutMs: number;

  constructor(options: PodmanOptions = {}) {
    this.criuStallTimeoutMs = options.criuStallTimeoutMs ?? DEFAULT_CRIU_STALL_TIMEOUT_MS;
    this.podmanPath = options.podmanPath ?? 'podman';
    this.globalArgs = options.globalArgs ?? [];
    this.env = options.env ?? {};
    this.logger = options.logger ?? silentLogger;
  }

  /** Runs any program in podman's environment; a non-zero exit is returned, not thrown. */
  async runProgram(file: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    options.signal?.throwIfAborted();
    return this.#start(file, args, options.signal).result;
  }

  /**
   * Starts `podman <globalArgs> <args>` without a cancel signal and returns at once, for a caller that watches
   * the process and decides itself when and how to end it (the CRIU watchdog).
   */
  startPodman(args: readonly string[]): StartedProcess {
    return this.#start(this.podmanPath, [...this.globalArgs, ...args], undefined);
  }

  #start(file: string, args: readonly string[], signal: AbortSignal | undefined): StartedProcess {
    const line = [file, ...args].join(' ');
    this.logger.info(`$ ${line}`);
    const started = Date.now();
    const child = loadExeca()(file, args, {
      env: this.env,
      extendEnv: true,
      reject: false,
      stdin: 'ignore',
      cancelSignal: signal,
      forceKillAfterDelay: 5000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const result = child.then((r) => {
      if (r.isCanceled) {
        this.logger.info(`  cancelled after ${Date.now() - started} ms`);
        throw new EngineError('CANCELLED', `cancelled: ${line}`, { cause: signal?.reason });
      }
      if (r.code === 'ENOENT' || (r.failed && r.exitCode === undefined && /ENOENT/.test(String(r.message)))) {
        throw new EngineError('PODMAN_NOT_FOUND', `${file} was not found`, {
          hint: file === this.podmanPath
            ? 'install podman (Debian/Ubuntu: apt-get install podman runc) or set the podman path in the settings'
            : `install ${file} or put it in PATH`,
        });
      }
      const exitCode = r.exitCode ?? 1;
      this.logger.info(`  exit ${exitCode}${r.signal ? ` (${r.signal})` : ''} in ${Date.now() - started} ms`);
      if (exitCode !== 0 && r.stderr) this.logger.warn(`  ${String(r.stderr).trim().split('\n').slice(-5).join('\n  ')}`);
      return { exitCode, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
    });
    return { pid: child.pid, result, kill: (sig) => void child.kill(sig) };
  }

  /** Turns a finished podman run into its stdout, or a classified EngineError for a non-zero exit. */
  async podmanOutput(result: ProcessResult, what: string): Promise<string> {
    if (result.exitCode !== 0) throw await classifyPodmanFailure(what, result.stderr);
    return result.stdout;
  }

  /** Runs `podman <globalArgs> <args>`; a non-zero exit becomes a classified EngineError. */
  async podman(args: readonly string[], what: string, options: RunOptions = {}): Promise<string> {
    return this.podmanOutput(await this.runProgram(this.podmanPath, [...this.globalArgs, ...args], options), what);
  }

  /**
   * Runs a long-lived podman command and yields its stdout lines until it ends or the signal aborts it.
   * Stopping the iteration kills the process.
   */
  async *podmanLines(args: readonly string[], options: RunOptions = {}): AsyncGenerator<string> {
    options.signal?.throwIfAborted();
    const line = [this.podmanPath, ...this.globalArgs, ...args].join(' ');
    this.logger.info(`$ ${line} (streaming)`);
    const child = loadExeca()(this.podmanPath, [...this.globalArgs, ...args], {
      env: this.env,
      extendEnv: true,
      reject: false,
      stdin: 'ignore',
      buffer: false,
      cancelSignal: options.signal,
    });
    try {
      for await (const text of child.iterable({ from: 'stdout' })) yield String(text);
    } finally {
      child.kill();
      const result = await child;
      if (!result.isCanceled && result.exitCode !== 0 && result.exitCode !== undefined) {
        this.logger.warn(`  ${line} ended with exit ${result.exitCode}`);
      }
    }
  }

  /** Runs podman and parses its JSON output. */
  async podmanJson(args: readonly string[], what: string, options: RunOptions = {}): Promise<unknown> {
    const stdout = await this.podman(args, what, options);
    try {
      return JSON.parse(stdout.trim() || 'null');
    } catch (cause) {
      throw new EngineError('PODMAN_FAILED', `${what}: podman printed output that is not JSON`, {
        cause,
        log: stdout.slice(0, 2000),
        hint: 'check that the podman path setting points at podman 4 or newer',
      });
    }
  }
}
