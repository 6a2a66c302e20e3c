/**
 * A real VS Code server (code-server 4.100.3, installed by scripts/vscode-setup.sh) on a free loopback
 * port, with every bit of state inside one run folder. Facts behind the flags: shared docs vscode-harness.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const CKPT_HOME = process.env.CKPT_HOME ?? '/var/cache/checkpoint-studio';
export const CODE_SERVER_BIN = join(CKPT_HOME, 'code-server/node_modules/.bin/code-server');

export interface CodeServerOptions {
  /** Holds user data, extensions, XDG dirs and the server log. Created if missing. */
  runDir: string;
  /** Merged over {"workbench.startupEditor":"none"} into the user settings.json. */
  settings?: Record<string, unknown>;
  /** Extra environment for the server; the extension host inherits it (PATH, CONTAINERS_CONF, ...). */
  env?: NodeJS.ProcessEnv;
  /** Defaults to <runDir>/user-data and <runDir>/extensions. */
  userDataDir?: string;
  extensionsDir?: string;
  /** VSIX files installed (`code-server --install-extension`) into the extensions folder before the server starts. */
  install?: string[];
}

export interface CodeServer {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  readonly logFile: string;
  /** The vscode-remote URI the workbench uses for a path on this machine (payload values). */
  remoteUri(absPath: string): string;
  /** Stops the whole process group: TERM, then KILL after a grace period. Safe to call twice. */
  stop(): Promise<void>;
}

/** A port the kernel just handed out on 127.0.0.1; the retry in startCodeServer covers the small race. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function healthy(origin: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(`${origin}/healthz`, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether a process of the group still runs. Zombies do not count: an extension host that exited as its
 * server died stays a zombie until init reaps it, which took over a second here, for nothing.
 */
function groupAlive(pgid: number): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // After the command name in parentheses: state, ppid, pgrp, ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

/** kill(-pgid), which fails with ESRCH once the whole group is gone. */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  if (!existsSync(CODE_SERVER_BIN)) {
    throw new Error(`code-server is not installed at ${CODE_SERVER_BIN}: run 'bash scripts/vscode-setup.sh' as root first.`);
  }
  const userDataDir = opts.userDataDir ?? join(opts.runDir, 'user-data');
  const extensionsDir = opts.extensionsDir ?? join(opts.runDir, 'extensions');
  for (const d of [opts.runDir, join(userDataDir, 'User'), extensionsDir]) mkdirSync(d, { recursive: true });
  writeFileSync(
    join(userDataDir, 'User/settings.json'),
    JSON.stringify({ 'workbench.startupEditor': 'none', ...opts.settings }, null, 2),
  );
  const env = {
    ...process.env,
    // No extension gallery: otherwise the workbench looks up open-vsx.org, the only non-loopback traffic.
    EXTENSIONS_GALLERY: '{}',
    ...opts.env,
    // Without these code-server writes its config, logs and a device id into the user's home.
    XDG_CONFIG_HOME: join(opts.runDir, 'xdg-config'),
    XDG_DATA_HOME: join(opts.runDir, 'xdg-data'),
    XDG_CACHE_HOME: join(opts.runDir, 'xdg-cache'),
  };
  const logFile = join(opts.runDir, 'code-server.log');
  for (const vsix of opts.install ?? []) {
    const r = spawnSync(CODE_SERVER_BIN, ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0 || !/was successfully installed/.test(r.stdout)) throw new Error(`code-server could not install ${vsix}: ${r.stdout}${r.stderr}`);
  }

  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const args = [
      '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened',
      '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
    ];
    const out = openSync(logFile, 'a');
    // detached = setsid(): the server, its extension host and file watchers share one process group to kill.
    const child: ChildProcess = spawn(CODE_SERVER_BIN, args, { env, detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    const pgid = child.pid;
    if (pgid === undefined) throw new Error(`could not spawn ${CODE_SERVER_BIN}`);
    let exited = false;
    child.on('exit', () => (exited = true));
    // Last resort if the test process exits without stop(): no orphaned server or extension host.
    const onExit = () => signalGroup(pgid, 'SIGKILL');
    process.on('exit', onExit);

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        signalGroup(pgid, 'SIGTERM');
        for (let i = 0; i < 30 && groupAlive(pgid); i++) await sleep(100);
        if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
        for (let i = 0; i < 20 && groupAlive(pgid); i++) await sleep(50);
        process.off('exit', onExit);
      })());

    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline) {
      if (await healthy(origin)) {
        return { port, origin, logFile, remoteUri: (p) => `vscode-remote://127.0.0.1:${port}${p}`, stop };
      }
      await sleep(100);
    }
    await stop();
    lastError = exited ? `code-server exited before answering /healthz` : `code-server did not answer ${origin}/healthz in 30 s`;
    if (!exited) break; // a hung server is not a port race: do not retry
  }
  throw new Error(`${lastError}. Log ${logFile}:\n${tail(logFile)}`);
}
