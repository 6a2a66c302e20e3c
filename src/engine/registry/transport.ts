/**
 * HTTP to one registry: the scheme, authentication (anonymous, Basic, Bearer tokens with scopes, cached until
 * they expire, one retry on 401), redirects, retries with backoff on 5xx and dropped connections, and errors
 * that name the registry, the cause and the next step. node:http, not fetch: uploads need an exact
 * Content-Length on a streamed body, and a 1 GiB layer must never sit in memory.
 */
import * as http from 'node:http';
import type * as https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { cancelled, EngineError, preview, type EngineErrorCode } from '../errors.js';
import { parseChallenges, type AuthChallenge } from './challenge.js';
import type { RegistryCredential } from './credentials.js';
import { mayCarryCredentials, refusedDestination } from './destinations.js';
import { isLoopbackRegistry } from './registryReference.js';

export type CredentialSource = (registry: string, repository?: string) => Promise<RegistryCredential | undefined>;

export interface TransportOptions {
  /** host[:port] */
  registry: string;
  /**
   * Plain HTTP; loopback registries always get it. It also lets the registry name plain-HTTP token realms and
   * redirect or send uploads to plain HTTP, which an HTTPS registry may not (see destinations.ts).
   */
  insecure?: boolean;
  credentials?: CredentialSource;
  /** One line per request (method, URL without its query, status); never a credential. */
  log?: (line: string) => void;
  /** Tries per request when the registry fails in a way worth retrying; default 4. */
  attempts?: number;
  /** First backoff, doubled each retry; default 300 ms. */
  backoffMs?: number;
}

/** A request body: bytes, or a factory so that a retry (after a 401, a 5xx, a reset) can send it again. */
export type Body = Buffer | (() => Promise<Readable>);

export interface RequestOptions {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/v2/...`, or an absolute URL the registry gave (an upload Location). */
  url: string;
  /** Token scopes this request needs, e.g. `repository:team/web:pull,push`. */
  scopes: string[];
  /** The repository, for credentials kept per repository and for messages. */
  repository?: string;
  headers?: Record<string, string>;
  body?: Body;
  contentLength?: number;
  /** Statuses that are an answer; anything else is an error (after retries where they make sense). */
  expect: number[];
  signal?: AbortSignal;
  /** Says what was being done, for errors: "pushing blob sha256:ab12… to team/web". */
  what: string;
  /** Whether a failure may be retried by sending the request again; default: true (bodies are factories). */
  retry?: boolean;
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  url: URL;
  body: IncomingMessage;
}

interface CachedToken {
  value: string;
  expires: number;
}

/**
 * Keep-alive agents whose sockets never throw: a request cut short (cancelled, failed) can leave an error for a
 * socket already back in the pool, with no request to hear it, and an unheard 'error' ends the process. The
 * request that owns a socket still hears its errors through its own listener.
 */
function guarded<T extends http.Agent>(agent: T): T {
  const create = agent.createConnection.bind(agent) as (...args: unknown[]) => NodeJS.EventEmitter;
  (agent as unknown as { createConnection: (...args: unknown[]) => unknown }).createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    socket.on('error', () => undefined);
    return socket;
  };
  return agent;
}

/**
 * node:https, loaded at the first HTTPS request: with TLS it costs about 5 ms of a start, and a registry on
 * loopback speaks plain HTTP (issue 14).
 */
function httpsModule(): typeof https {
  return require('node:https') as typeof https;
}

/** One keep-alive agent per scheme; the HTTPS one made when first needed (see httpsModule). */
class Agents {
  readonly http = guarded(new http.Agent({ keepAlive: true }));
  #https: https.Agent | undefined;

  https(): https.Agent {
    return (this.#https ??= guarded(new (httpsModule().Agent)({ keepAlive: true })));
  }
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const IDLE_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 5;

export class Transport {
  readonly registry: string;
  readonly origin: string;
  readonly #options: TransportOptions;
  /**
   * How this registry answered its first 401: 'basic' or 'bearer' with its realm and service. Only ever taken
   * from an answer of the registry's own origin: a host a redirect or a Location led to must not choose where
   * the registry's credentials go.
   */
  #challenge: AuthChallenge | undefined;
  /** Plain HTTP is this registry's own scheme: its realms, redirects and Locations may be plain HTTP too. */
  readonly #plain: boolean;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #credentialsFor = new Map<string, Promise<RegistryCredential | undefined>>();
  readonly #agents = new Agents();

  constructor(options: TransportOptions) {
    this.#options = options;
    this.registry = options.registry;
    const secure = !options.insecure && !isLoopbackRegistry(options.registry);
    // Docker Hub's API lives on another host than its name.
    const host = options.registry === 'docker.io' ? 'registry-1.docker.io' : options.registry;
    this.origin = `${secure ? 'https' : 'http'}://${host}`;
    this.#plain = !secure;
  }

  /** Sends the request, authenticating and retrying as needed; the caller reads or drains the body. */
  async request(req: RequestOptions): Promise<Response> {
    const attempts = req.retry === false ? 1 : (this.#options.attempts ?? 4);
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.#authenticated(req);
        if (RETRY_STATUS.has(res.status) && !req.expect.includes(res.status) && attempt < attempts) {
          await drain(res.body);
          await this.#backoff(attempt, req, res.headers['retry-after']);
          continue;
        }
        if (!req.expect.includes(res.status)) throw await this.#statusError(req, res);
        return res;
      } catch (err) {
        if (req.signal?.aborted) throw cancelled(req.what, req.signal);
        if (attempt < attempts && isRetryable(err)) {
          await this.#backoff(attempt, req);
          continue;
        }
        throw this.#networkError(req, err);
      }
    }
  }

  /** The body as JSON, at most `maxBytes`. */
  async json(res: Response, maxBytes = 4 << 20): Promise<unknown> {
    const bytes = await readAll(res.body, maxBytes, `${this.registry} ${res.url.pathname}`);
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch (cause) {
      throw new EngineError('REGISTRY_FAILED', `${this.registry} answered ${res.url.pathname} with something that is not JSON`, { cause });
    }
  }

  async #authenticated(req: RequestOptions): Promise<Response> {
    const res = await this.#send(req, await this.#authorization(req));
    if (res.status !== 401) return res;
    if (res.url.origin !== this.origin) {
      // A redirect or an upload Location led to another host, which wants credentials: its challenge is not the
      // registry's, and the registry's credentials are not its to have. Nothing is sent and nothing is learnt.
      await drain(res.body);
      throw new EngineError(
        'REGISTRY_DENIED',
        `${this.#where(req)}: ${res.url.origin}, where the registry sent this request, asks for credentials (HTTP 401); ` +
          `the credentials for ${this.registry} go only to ${this.origin}, so none were sent (${req.what})`,
        { hint: `the registry should send clients to storage that needs no credentials (e.g. a signed URL): tell the owner of ${this.registry}` },
      );
    }
    const header = res.headers['www-authenticate'];
    const challenges = parseChallenges(Array.isArray(header) ? header.join(', ') : (header ?? ''));
    const chosen = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (!chosen) return res; // reported as it is
    await drain(res.body);
    this.#challenge = chosen;
    // A token that was refused (expired early, revoked) is forgotten: one retry with a fresh one.
    this.#tokens.delete(this.#tokenKey(req));
    const authorization = await this.#authorization(req, chosen.params.scope);
    if (!authorization) throw this.#denied(req, 'it needs credentials and none were found');
    // A second 401 is an answer: statusError reports the credentials as refused.
    return this.#send(req, authorization);
  }

  /** The Authorization header for a request: none before the registry's first challenge. */
  async #authorization(req: RequestOptions, extraScope?: string): Promise<string | undefined> {
    const challenge = this.#challenge;
    if (!challenge) return undefined;
    const credential = await this.#credentials(req.repository);
    if (challenge.scheme === 'basic') {
      return credential?.kind === 'basic' ? `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}` : undefined;
    }
    const key = this.#tokenKey(req);
    const cached = this.#tokens.get(key);
    if (cached && cached.expires > Date.now()) return `Bearer ${cached.value}`;
    const scopes = [...new Set([...req.scopes, ...(extraScope ? extraScope.split(' ') : [])])];
    const token = await this.#fetchToken(challenge, scopes, credential, req);
    this.#tokens.set(key, token);
    return `Bearer ${token.value}`;
  }

  #tokenKey(req: RequestOptions): string {
    return [...req.scopes].sort().join(' ');
  }

  #credentials(repository: string | undefined): Promise<RegistryCredential | undefined> {
    // Looked up once per repository: credential helpers are processes, and the answer does not change mid-copy.
    const key = repository ?? '';
    let found = this.#credentialsFor.get(key);
    if (!found) {
      found = this.#options.credentials?.(this.registry, repository) ?? Promise.resolve(undefined);
      this.#credentialsFor.set(key, found);
    }
    return found;
  }

  async #fetchToken(challenge: AuthChallenge, scopes: string[], credential: RegistryCredential | undefined, req: RequestOptions): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) throw this.#denied(req, 'its Bearer challenge names no token realm');
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw this.#denied(req, `its token realm ${preview(realm)} is not a URL`);
    }
    // The realm gets the user's password (or identity token): never over plain HTTP when the registry is HTTPS.
    const refused = refusedDestination(url, this.#plain);
    if (refused) {
      throw this.#refused(req, `its token realm ${url.origin}`, refused, `ask the owner of ${this.registry} to serve its token realm over HTTPS`);
    }
    const service = challenge.params.service;
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    let method: 'GET' | 'POST' = 'GET';
    let body: Buffer | undefined;
    if (credential?.kind === 'identityToken') {
      // An identity token is an OAuth2 refresh token: exchanged by POST (distribution auth/oauth.md).
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.token, client_id: 'checkpoint-studio' });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      body = Buffer.from(form.toString());
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (credential?.kind === 'basic') headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
    }
    const res = await rawRequest(url, method, headers, body, body?.length, req.signal, this.#options.log, this.#agents);
    if (res.status === 401 || res.status === 403) {
      await drain(res.body);
      throw this.#denied(req, credential ? `its token server ${url.host} refused the credentials` : `its token server ${url.host} wants credentials and none were found`);
    }
    if (res.status !== 200) {
      await drain(res.body);
      throw new EngineError('REGISTRY_FAILED', `${this.registry}: the token server ${url.host} answered ${res.status} while ${req.what}`, { hint: 'try again later' });
    }
    const json = (await this.json(res, 1 << 20)) as { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    const value = typeof json.token === 'string' && json.token ? json.token : json.access_token;
    if (typeof value !== 'string' || !value) throw new EngineError('REGISTRY_FAILED', `${this.registry}: the token server ${url.host} sent no token`);
    // The spec's default lifetime is 60 s; renew a little early so a long upload does not meet a dead token.
    const seconds = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 60;
    return { value, expires: Date.now() + seconds * 1000 * 0.9 };
  }

  /**
   * Sends one request, following GET/HEAD redirects. Credentials go only to the registry's own origin, hop by
   * hop: an absolute URL the registry gave (an upload Location on another host, which the distribution spec
   * allows) and a redirect to storage (S3, a CDN) are followed without them. No hop may be plain HTTP when the
   * registry is HTTPS.
   */
  async #send(req: RequestOptions, authorization: string | undefined): Promise<Response> {
    let url = new URL(req.url, this.origin);
    this.#checkDestination(req, url, 'the address');
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...req.headers };
      if (authorization && mayCarryCredentials(url, this.origin)) headers.authorization = authorization;
      const body = typeof req.body === 'function' ? await req.body() : req.body;
      const res = await rawRequest(url, req.method, headers, body, req.contentLength ?? (Buffer.isBuffer(body) ? body.length : undefined), req.signal, this.#options.log, this.#agents);
      const location = res.headers.location;
      if ((req.method === 'GET' || req.method === 'HEAD') && [301, 302, 303, 307, 308].includes(res.status) && location && hop < MAX_REDIRECTS) {
        await drain(res.body);
        const next = new URL(location, url);
        this.#checkDestination(req, next, `a redirect from ${url.origin} to`);
        url = next;
        continue;
      }
      return res;
    }
  }

  async #backoff(attempt: number, req: RequestOptions, retryAfter?: string | string[]): Promise<void> {
    const asked = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    const base = (this.#options.backoffMs ?? 300) * 2 ** (attempt - 1);
    const ms = Number.isFinite(asked) && asked > 0 ? Math.min(asked * 1000, 30_000) : base * (0.75 + Math.random() * 0.5);
    this.#options.log?.(`retrying in ${Math.round(ms)} ms: ${req.what}`);
    try {
      await sleep(ms, undefined, { signal: req.signal });
    } catch {
      throw cancelled(req.what, req.signal);
    }
  }

  #checkDestination(req: RequestOptions, url: URL, how: string): void {
    const refused = refusedDestination(url, this.#plain);
    if (refused) throw this.#refused(req, `${how} ${url.origin}`, refused, `tell the owner of ${this.registry}; the registry should keep its clients on HTTPS`);
  }

  /** A URL the registry named and the client will not use: nothing was sent to it. */
  #refused(req: RequestOptions, what: string, why: string, hint: string): EngineError {
    const err = new EngineError('REGISTRY_FAILED', `${this.#where(req)}: refused ${what} (${why}); nothing was sent there (${req.what})`, { hint });
    REFUSALS.add(err);
    return err;
  }

  #where(req: RequestOptions): string {
    return `${this.registry}${req.repository ? `/${req.repository}` : ''}`;
  }

  #denied(req: RequestOptions, why: string): EngineError {
    return new EngineError('REGISTRY_DENIED', `${this.#where(req)}: ${why} (${req.what})`, {
      hint: `log in (podman login ${this.registry}) or add the registry's credentials in Checkpoint Studio, then try again`,
    });
  }

  async #statusError(req: RequestOptions, res: Response): Promise<EngineError> {
    const detail = await registryErrorText(res.body);
    const where = this.#where(req);
    const said = detail ? `: ${detail}` : '';
    const codeFor = (status: number): [EngineErrorCode, string, string] => {
      if (status === 401) return ['REGISTRY_DENIED', 'refused the credentials', `check the user name and password or token for ${this.registry}`];
      if (status === 403) return ['REGISTRY_DENIED', 'denied access', `ask for ${req.scopes.join(', ') || 'access'} on ${where}, or use another repository`];
      if (status === 404) return ['IMAGE_NOT_FOUND', 'has no such thing', 'check the repository and tag (docker://HOST/REPO:TAG)'];
      if (status === 405) return ['REGISTRY_UNSUPPORTED', 'does not allow this', 'the registry may have deletes or the catalog turned off'];
      return ['REGISTRY_FAILED', `answered ${status}`, 'try again later; if it persists, look at the registry\'s logs'];
    };
    const [code, what, hint] = codeFor(res.status);
    return new EngineError(code, `${where} ${what} while ${req.what} (HTTP ${res.status}${said})`, { hint });
  }

  #networkError(req: RequestOptions, err: unknown): unknown {
    if (err instanceof EngineError) return err;
    const code = (err as { code?: string }).code ?? '';
    const message = err instanceof Error ? err.message : String(err);
    if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code) || code === 'EPROTO' || /wrong version number/i.test(message)) {
      return new EngineError('REGISTRY_TLS', `${this.registry}: TLS failed while ${req.what} (${code || message})`, {
        cause: err,
        hint: `if ${this.registry} uses a private CA, add it with NODE_EXTRA_CA_CERTS; if it speaks plain HTTP, mark it insecure`,
      });
    }
    return new EngineError('REGISTRY_UNREACHABLE', `${this.registry}: no answer while ${req.what} (${code || message})`, {
      cause: err,
      hint: `check that ${this.origin} is up and reachable from here`,
    });
  }
}

const USER_AGENT = 'checkpoint-studio';

const REFUSALS = new WeakSet<EngineError>();

/** Whether an error is the transport refusing a URL the registry named: sending again would not help. */
export function isRefusedDestination(err: unknown): boolean {
  return err instanceof EngineError && REFUSALS.has(err);
}

function isRetryable(err: unknown): boolean {
  if (err instanceof EngineError) return false;
  const code = (err as { code?: string }).code ?? '';
  return NETWORK_CODES.has(code) || /socket hang up|aborted|premature close/i.test(err instanceof Error ? err.message : '');
}

/** One HTTP exchange; resolves with the response head, its body left to the caller. */
function rawRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | Readable | undefined,
  contentLength: number | undefined,
  signal: AbortSignal | undefined,
  log: ((line: string) => void) | undefined,
  agents: Agents,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const all: Record<string, string> = { ...headers };
    if (contentLength !== undefined) all['content-length'] = String(contentLength);
    else if (!body && (method === 'PUT' || method === 'POST' || method === 'PATCH')) all['content-length'] = '0';
    const agent = secure ? agents.https() : agents.http;
    const req = (secure ? httpsModule() : http).request(url, { method, headers: all, signal, agent });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(Object.assign(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    // `on`, not `once`: an abort or a reset can fail the request again after the first error or the response,
    // and an unheard 'error' would end the process. Readers of the body hear its errors through their own listeners.
    req.on('error', (err) => {
      if (body instanceof Readable) body.destroy();
      reject(err);
    });
    req.once('response', (res) => {
      res.on('error', () => undefined);
      // The idle timer belongs to the socket: cleared once the body is read, or a kept-alive socket holds the process.
      res.once('close', () => req.setTimeout(0));
      log?.(`${method} ${url.origin}${url.pathname} ${res.statusCode}`);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, url, body: res });
    });
    if (body instanceof Readable) {
      body.once('error', (err) => req.destroy(err));
      body.pipe(req);
    } else req.end(body);
  });
}

/** Reads a whole (small) body, refusing more than `maxBytes`. */
export async function readAll(body: Readable, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw new EngineError('INVALID_IMAGE', `${what}: the answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function drain(body: Readable): Promise<void> {
  body.resume();
  await new Promise<void>((resolve) => {
    if (body.readableEnded || body.destroyed) return resolve();
    body.once('end', resolve);
    body.once('error', () => resolve());
    body.once('close', resolve);
  });
}

/** distribution's `{"errors":[{"code","message"}]}`, as one short line; other bodies as a preview. */
async function registryErrorText(body: Readable): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readAll(body, 64 << 10, 'error');
  } catch {
    return '';
  }
  const text = bytes.toString('utf8').trim();
  if (!text) return '';
  try {
    const errors = (JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> }).errors;
    if (Array.isArray(errors) && errors.length) {
      return errors.map((e) => [e.code, e.message].filter((v) => typeof v === 'string' && v).join(' ')).join('; ').slice(0, 300);
    }
  } catch {
    // not JSON: shown as a preview below
  }
  return preview(text, 200);
}
