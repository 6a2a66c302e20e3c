/**
 * Registry credentials from where podman, skopeo and docker already keep them: the auth files
 * containers-image searches, in its order, and the docker-credential-* helpers those files name.
 * Read-only: logging in stays with `podman login` and `docker login`.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cancelled, EngineError, preview } from '../errors.js';

export type RegistryCredential =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'identityToken'; token: string; username?: string };

export interface CredentialLookupOptions {
  /** Default process.env; also the environment (and PATH) credential helpers run with. */
  env?: Record<string, string | undefined>;
  /** Picks /run/containers/<uid>/auth.json when XDG_RUNTIME_DIR is unset; default process.getuid?.() ?? 0. */
  uid?: number;
  /** Default env.HOME ?? os.homedir(). */
  home?: string;
  /** Like --authfile: the only file searched. */
  authFile?: string;
  signal?: AbortSignal;
  /** How long a credential helper may take to answer; default 15 s. */
  helperTimeoutMs?: number;
}

export interface FoundCredential {
  credential: RegistryCredential;
  /** The auth file's path, or `docker-credential-<name>`. */
  source: string;
}

interface AuthFile {
  path: string;
  /** ~/.dockercfg: the whole file is the `auths` map and its keys name hosts only. */
  legacy: boolean;
}

interface AuthConfig {
  auths: Record<string, unknown>;
  credHelpers: Record<string, unknown>;
  credsStore?: unknown;
}

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io']);
/** `docker login` stores Docker Hub under this server URL, in config.json and in helpers alike. */
const DOCKER_HUB_LEGACY_URL = 'https://index.docker.io/v1/';
const HELPER_TIMEOUT_MS = 15_000;
/** A helper's answer is a few hundred bytes; more means it is not speaking the protocol. */
const HELPER_OUTPUT_LIMIT = 1 << 20;
const NOT_FOUND = 'credentials not found';

/**
 * An auth key or registry in the one form lookups compare: no scheme, no API path (`/v1/`, `/v2/`),
 * no trailing slash, and `docker.io` for every Docker Hub alias. `host/team/web` keeps its repository.
 */
export function normaliseRegistryKey(key: string): string {
  const scheme = /^https?:\/\//i.exec(key);
  const rest = scheme ? key.slice(scheme[0].length) : key;
  const slash = rest.indexOf('/');
  const host = slash < 0 ? rest : rest.slice(0, slash);
  let path = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  // A URL key (`https://host/v1/`) names an API endpoint, never a repository, as containers-image reads it.
  if (scheme || path === 'v1' || path === 'v2') path = '';
  const registry = DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
  return path ? `${registry}/${path}` : registry;
}

/** The auth files in search order, for messages ("looked in ..."). */
export function authFilePaths(options: CredentialLookupOptions = {}): string[] {
  return authFiles(options).map((file) => file.path);
}

/** Credentials for `registry` (host[:port]) and optionally a repository (`team/web`), or undefined. */
export async function findCredentials(registry: string, repository?: string, options: CredentialLookupOptions = {}): Promise<FoundCredential | undefined> {
  const host = normaliseRegistryKey(registry);
  // Most specific first: host/team/web, host/team, host.
  const segments = (repository ?? '').split('/').filter(Boolean);
  const scopes = segments.map((_, i) => [host, ...segments.slice(0, segments.length - i)].join('/')).concat(host);
  for (const file of authFiles(options)) {
    if (options.signal?.aborted) throw cancelled(`looking up credentials for ${host}`, options.signal);
    const config = await readAuthFile(file);
    const found = config && (await findInFile(config, file, host, scopes, options));
    if (found) return found;
  }
  return undefined;
}

function authFiles(options: CredentialLookupOptions): AuthFile[] {
  const env = options.env ?? process.env;
  // podman and skopeo take REGISTRY_AUTH_FILE as the default of --authfile, and an explicit auth file
  // turns the fallbacks off (containers-image getAuthFilePaths), so either one is the whole search.
  const explicit = options.authFile || env.REGISTRY_AUTH_FILE;
  if (explicit) return [{ path: explicit, legacy: false }];
  const home = options.home ?? (env.HOME || homedir());
  const uid = options.uid ?? process.getuid?.() ?? 0;
  return [
    { path: env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json') : `/run/containers/${uid}/auth.json`, legacy: false },
    { path: join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json'), legacy: false },
    { path: env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(home, '.docker', 'config.json'), legacy: false },
    { path: join(home, '.dockercfg'), legacy: true },
  ];
}

/** The file's auth config, or undefined when it does not exist. */
async function readAuthFile(file: AuthFile): Promise<AuthConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new EngineError('INVALID_ARGUMENT', `cannot read the registry auth file ${file.path} (${code ?? 'unknown error'})`, {
      hint: 'make it readable by this user, or point REGISTRY_AUTH_FILE at another file',
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // No cause and no parser message: V8 quotes the text around the error, which may be a password.
    throw malformed(file, `is not valid JSON${jsonErrorPlace(err, text)}`);
  }
  if (!isObject(parsed)) throw malformed(file, 'is not a JSON object');
  if (file.legacy) return { auths: parsed, credHelpers: {} };
  const { auths = {}, credHelpers = {}, credsStore } = parsed;
  if (!isObject(auths)) throw malformed(file, 'has an "auths" that is not an object');
  if (!isObject(credHelpers)) throw malformed(file, 'has a "credHelpers" that is not an object');
  return { auths, credHelpers, credsStore };
}

async function findInFile(config: AuthConfig, file: AuthFile, host: string, scopes: string[], options: CredentialLookupOptions): Promise<FoundCredential | undefined> {
  // Like docker: a registry's own helper replaces the default store; either replaces the file's auths,
  // which hold only `{}` markers then. A helper that knows nothing falls back to those auths anyway.
  const helper = Object.entries(config.credHelpers).find(([key]) => normaliseRegistryKey(key) === host)?.[1] || config.credsStore;
  if (helper !== undefined && helper !== '') {
    if (typeof helper !== 'string') throw malformed(file, `names a credential helper for ${host} that is not a string`);
    const found = await askHelper(helper, host, file, options);
    if (found) return found;
  }
  const entries = Object.entries(config.auths);
  for (const scope of file.legacy ? [host] : scopes) {
    const matching = entries.filter(([key]) => authKey(key, file.legacy) === scope);
    // A key written exactly as looked up beats an alias or URL form of it, as in containers-image.
    for (const [key, entry] of [...matching.filter(([key]) => key === scope), ...matching.filter(([key]) => key !== scope)]) {
      const credential = decodeEntry(file, key, entry);
      if (credential) return { credential, source: file.path };
    }
  }
  return undefined;
}

function authKey(key: string, legacy: boolean): string {
  const normal = normaliseRegistryKey(key);
  return legacy ? normal.split('/')[0]! : normal;
}

/** An `auths` entry's credential; undefined for the empty `{}` marker docker writes when a helper holds it. */
function decodeEntry(file: AuthFile, key: string, entry: unknown): RegistryCredential | undefined {
  const what = `entry ${preview(key)}`;
  if (!isObject(entry)) throw malformed(file, `has an ${what} that is not an object`);
  const { auth, identitytoken } = entry;
  if (auth !== undefined && typeof auth !== 'string') throw malformed(file, `has an ${what} whose "auth" is not a string`);
  if (identitytoken !== undefined && typeof identitytoken !== 'string') throw malformed(file, `has an ${what} whose "identitytoken" is not a string`);
  let username: string | undefined;
  let password = '';
  if (auth) {
    const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(auth) ? Buffer.from(auth, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 0) throw malformed(file, `has an ${what} whose "auth" is not base64 of "user:password"`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (identitytoken) return { kind: 'identityToken', token: identitytoken, ...(username ? { username } : {}) };
  return username === undefined ? undefined : { kind: 'basic', username, password };
}

async function askHelper(name: string, host: string, file: AuthFile, options: CredentialLookupOptions): Promise<FoundCredential | undefined> {
  // podman stores Docker Hub as docker.io, docker as its legacy URL; ask for both.
  for (const serverUrl of host === DOCKER_HUB ? [DOCKER_HUB, DOCKER_HUB_LEGACY_URL] : [host]) {
    const credential = await runHelper(name, serverUrl, file, options);
    if (credential) return { credential, source: `docker-credential-${name}` };
  }
  return undefined;
}

/** One `docker-credential-<name> get`; undefined when the helper has nothing for `serverUrl`. */
async function runHelper(name: string, serverUrl: string, file: AuthFile, options: CredentialLookupOptions): Promise<RegistryCredential | undefined> {
  const program = `docker-credential-${name}`;
  const { signal } = options;
  const timeoutMs = options.helperTimeoutMs ?? HELPER_TIMEOUT_MS;
  const what = `asking ${program} for the credentials of ${serverUrl}`;
  const hint = `check that \`${program}\` works for this user, or remove it from ${file.path}`;
  if (signal?.aborted) throw cancelled(what, signal);
  const { status, stdout, stderr } = await new Promise<{ status: number | string; stdout: string; stderr: string }>((resolve, reject) => {
    // No shell: the helper name comes from a file and is looked up on env.PATH by spawn itself.
    const child = spawn(program, ['get'], { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    // Settle at once, without waiting for 'close': the helper's own children may hold its pipes open.
    const stop = (error: EngineError) =>
      finish(() => {
        child.kill('SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
        reject(error);
      });
    const onAbort = () => stop(cancelled(what, signal));
    const timer = setTimeout(() => stop(new EngineError('INVALID_ARGUMENT', `${program} did not answer within ${timeoutMs / 1000} s when ${what}`, { hint })), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > HELPER_OUTPUT_LIMIT) stop(new EngineError('INVALID_ARGUMENT', `${program} wrote more than ${HELPER_OUTPUT_LIMIT} bytes when ${what}`, { hint }));
      else into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          error.code === 'ENOENT'
            ? new EngineError('INVALID_ARGUMENT', `${program} is not on PATH, but ${file.path} names it as the credential helper for ${serverUrl}`, {
                hint: `install ${program}, or remove it from ${file.path}`,
              })
            : new EngineError('INVALID_ARGUMENT', `cannot run ${program} (${error.code ?? error.message})`, { hint, cause: error }),
        ),
      ),
    );
    child.on('close', (code, killedBy) =>
      finish(() => resolve({ status: code ?? killedBy ?? 'unknown', stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })),
    );
    // A helper may exit without reading its input; its exit status is the answer, not this write.
    child.stdin.on('error', () => {});
    child.stdin.end(serverUrl);
  });
  if (status !== 0) {
    // The protocol's "not found" comes on stdout; some helpers use stderr.
    const said = `${stdout}\n${stderr}`.trim();
    if (said.toLowerCase().includes(NOT_FOUND)) return undefined;
    throw new EngineError('INVALID_ARGUMENT', `${program} failed (exit ${status}) when ${what}`, { hint, log: said.slice(-2000) });
  }
  // Never quote stdout: on success it holds the secret.
  let answer: unknown;
  try {
    answer = JSON.parse(stdout);
  } catch {
    answer = undefined;
  }
  if (!isObject(answer) || typeof answer.Username !== 'string' || typeof answer.Secret !== 'string') {
    throw new EngineError('INVALID_ARGUMENT', `${program} answered with something other than {"ServerURL","Username","Secret"} JSON when ${what}`, { hint });
  }
  if (answer.Secret === '') return undefined;
  // The protocol's marker for an OAuth2 refresh token in Secret.
  if (answer.Username === '<token>') return { kind: 'identityToken', token: answer.Secret };
  return { kind: 'basic', username: answer.Username, password: answer.Secret };
}

function malformed(file: AuthFile, problem: string): EngineError {
  return new EngineError('INVALID_ARGUMENT', `the registry auth file ${file.path} ${problem}`, {
    hint: `fix or delete ${file.path}; \`podman login\` or \`docker login\` writes a fresh one`,
  });
}

/** " at line L, column C" from the parser's position; the parser's own message may quote the file. */
function jsonErrorPlace(err: unknown, text: string): string {
  const at = /at position (\d+)/.exec(err instanceof Error ? err.message : '');
  if (!at) return '';
  const lines = text.slice(0, Number(at[1])).split('\n');
  return ` at line ${lines.length}, column ${lines[lines.length - 1]!.length + 1}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
