/**
 * Real OCI registries on loopback for the registry tests: CNCF distribution 2.8 (`docker-registry`) without
 * auth, with htpasswd (Basic) auth, or with token auth backed by a token server of our own; and a proxy that
 * injects faults between a client and a registry.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type RegistryAuth = 'none' | 'basic' | 'token';

export interface TestRegistry {
  auth: RegistryAuth;
  /** '127.0.0.1:PORT', as a reference names it. */
  host: string;
  /** 'http://127.0.0.1:PORT' */
  url: string;
  /** Valid credentials for 'basic' and 'token' ('' for 'none'). */
  username: string;
  password: string;
  /** The run folder: config, storage, keys, log. */
  dir: string;
  token?: TokenServer;
  /** Kills the registry, stops the token server and removes the run folder. */
  stop(): Promise<void>;
}

export interface TokenServer {
  realm: string;
  service: string;
  /** Lifetime of tokens issued from now on (seconds); default 300. Tests set it tiny to make tokens expire. */
  expiresIn: number;
  /** Every token request received (scopes asked, whether credentials were right), for assertions. */
  requests: Array<{ scopes: string[]; account?: string; ok: boolean }>;
}

/**
 * distribution accepts a token up to 60 s after its `exp` (clock-skew leeway). The token server backdates `exp`
 * by that much so a token really stops working `expiresIn` seconds after it was issued, as `expires_in` says.
 */
const REGISTRY_TOKEN_LEEWAY_S = 60;

const REGISTRY_BIN = '/usr/bin/docker-registry';
const ISSUER = 'ckpt-test-issuer';
const SERVICE = 'ckpt-test-registry';

// Last resort for a run that ends without stop(): no registry outlives the test process.
const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function track(child: ChildProcess, dir: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const [c, d] of live) {
        c.kill('SIGKILL');
        rmSync(d, { recursive: true, force: true });
      }
    });
  }
  live.set(child, dir);
  child.once('exit', () => live.delete(child));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  // Clients keep connections alive; without closing them close() would wait for them to time out.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** A token server in the shape of distribution's token spec, granting whatever the valid user asks for. */
async function startTokenServer(dir: string, username: string, password: string): Promise<{ token: TokenServer; certFile: string; server: Server }> {
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=ckpt-test-token-signer', '-keyout', keyFile, '-out', certFile,
  ]);
  const key = createPrivateKey(readFileSync(keyFile));
  // distribution 2.8 verifies the x5c chain against the rootcertbundle; the self-signed cert is its own root.
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [new X509Certificate(readFileSync(certFile)).raw.toString('base64')] }));

  const token: TokenServer = { realm: '', service: SERVICE, expiresIn: 300, requests: [] };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    if (req.method !== 'GET' || url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    // A scope parameter may itself hold several scopes separated by spaces.
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    const [user, pass] = parseBasic(req.headers);
    const ok = user === username && pass === password;
    token.requests.push({ scopes, account: user ?? url.searchParams.get('account') ?? undefined, ok });
    if (!ok) {
      res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Basic realm="ckpt-test-token"' });
      res.end(JSON.stringify({ details: 'invalid credentials' }));
      return;
    }
    const nowMs = Date.now();
    const now = Math.floor(nowMs / 1000);
    const claims = {
      iss: ISSUER,
      sub: user,
      aud: SERVICE,
      // Rounded up: whole seconds must not cut a tiny lifetime short (valid for expiresIn to expiresIn + 1 s).
      exp: Math.ceil(nowMs / 1000 + token.expiresIn) - REGISTRY_TOKEN_LEEWAY_S,
      nbf: now,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      // type:name:actions, where a name may contain ':' only in theory, so the actions are the last field.
      access: scopes.map((s) => {
        const parts = s.split(':');
        return { type: parts[0], name: parts.slice(1, -1).join(':'), actions: (parts.at(-1) ?? '').split(',').filter(Boolean) };
      }),
    };
    const signingInput = `${header}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    const jwt = `${signingInput}.${b64url(signature)}`;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: jwt, access_token: jwt, expires_in: token.expiresIn, issued_at: new Date(nowMs).toISOString() }));
  });
  token.realm = `http://127.0.0.1:${await listen(server)}/token`;
  return { token, certFile, server };
}

function parseBasic(headers: IncomingHttpHeaders): [string?, string?] {
  const m = /^Basic\s+(\S+)$/i.exec(headers.authorization ?? '');
  if (!m) return [];
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? [decoded] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

/** Starts a registry with its own storage in a fresh run folder; resolves once it answers `GET /v2/`. */
export async function startRegistry(auth: RegistryAuth = 'none'): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-registry-'));
  const username = auth === 'none' ? '' : 'tester';
  const password = auth === 'none' ? '' : randomBytes(9).toString('base64url');
  let tokenServer: Server | undefined;
  let child: ChildProcess | undefined;
  const logFile = join(dir, 'registry.log');

  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const c = child;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    if (tokenServer) await close(tokenServer);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    let authConfig = '';
    let token: TokenServer | undefined;
    if (auth === 'basic') {
      const { stdout } = await run('htpasswd', ['-Bbn', username, password]);
      writeFileSync(join(dir, 'htpasswd'), stdout);
      authConfig = `auth:\n  htpasswd:\n    realm: ckpt-test\n    path: ${JSON.stringify(join(dir, 'htpasswd'))}\n`;
    } else if (auth === 'token') {
      const t = await startTokenServer(dir, username, password);
      token = t.token;
      tokenServer = t.server;
      authConfig =
        `auth:\n  token:\n    realm: ${JSON.stringify(token.realm)}\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n` +
        `    rootcertbundle: ${JSON.stringify(t.certFile)}\n`;
    }

    const port = await freePort();
    const config = join(dir, 'config.yml');
    // No http.host: the registry then builds absolute Location URLs from each request's Host header.
    writeFileSync(
      config,
      `version: 0.1\n` +
        `log:\n  level: info\n  accesslog:\n    disabled: true\n` +
        `storage:\n  filesystem:\n    rootdirectory: ${JSON.stringify(join(dir, 'storage'))}\n  delete:\n    enabled: true\n` +
        `  maintenance:\n    uploadpurging:\n      enabled: false\n` +
        `http:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(16).toString('hex')}\n` +
        authConfig,
    );
    const log = openSync(logFile, 'a');
    child = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', log, log] });
    closeSync(log);
    track(child, dir);

    const url = `http://127.0.0.1:${port}`;
    await waitUntilServing(url, child, logFile);
    return { auth, host: `127.0.0.1:${port}`, url, username, password, dir, token, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitUntilServing(url: string, child: ChildProcess, logFile: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}) before serving:\n${logTail(logFile)}`);
    }
    const status = await fetch(`${url}/v2/`).then(
      async (r) => {
        await r.arrayBuffer();
        return r.status;
      },
      () => 0,
    );
    if (status === 200 || status === 401) return;
    if (Date.now() > until) throw new Error(`docker-registry at ${url} did not answer within ${timeoutMs} ms:\n${logTail(logFile)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** fetch against a registry or proxy by path ('/v2/...'). */
export function registryFetch(target: { url: string }, path: string, init?: RequestInit): Promise<Response> {
  return fetch(target.url + path, init);
}

/** A fault-injecting HTTP proxy in front of a registry (plain HTTP, forwards everything incl. auth headers). */
export interface FaultProxy {
  host: string;
  url: string;
  /** Queue faults; each applies once (or `times` times) to the next request that matches, after `skip` of them. */
  fail(fault: Fault): void;
  /** Requests seen (method, path+query, status returned; 0 when the connection was cut before a response). */
  log: Array<{ method: string; path: string; status: number }>;
  stop(): Promise<void>;
}

/** Which requests a fault applies to: method, a pattern on path+query, and how many matching ones pass first. */
interface FaultTarget {
  match?: RegExp;
  method?: string;
  skip?: number;
}

export type Fault = FaultTarget &
  /** Answer `status` without forwarding. */
  ({ kind: 'status'; status: number; times?: number }
  /**
   * Forward, then cut the client's connection after `afterBytes` bytes of the request body (if it has one) or else
   * of the response body; a shorter body passes whole.
   */
  | { kind: 'drop'; afterBytes: number }
  /** Forward, flipping the bits of the response body's byte at `offset` (default 0). */
  | { kind: 'corrupt'; offset?: number });

// Per connection, not per message: the proxy sets its own.
const HOP_BY_HOP = ['connection', 'keep-alive'];
function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = { ...headers };
  for (const h of HOP_BY_HOP) delete out[h];
  return out;
}

/**
 * Starts a proxy in front of `target`. It forwards the client's Host header unchanged, so the registry writes
 * upload Locations that point at the proxy; the token realm needs no rewriting, clients reach it directly.
 */
export async function startFaultProxy(target: TestRegistry): Promise<FaultProxy> {
  const queue: Array<Fault & { left: number }> = [];
  const log: FaultProxy['log'] = [];
  const agent = new Agent({ keepAlive: true });
  const [targetHost, targetPort] = target.host.split(':');

  const takeFault = (method: string, path: string): Fault | undefined => {
    const i = queue.findIndex((f) => (!f.method || f.method.toUpperCase() === method) && (!f.match || f.match.test(path)));
    if (i < 0) return undefined;
    const fault = queue[i]!;
    if (fault.skip) {
      fault.skip--;
      return undefined;
    }
    if (--fault.left === 0) queue.splice(i, 1);
    return fault;
  };

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const entry = { method, path, status: 0 };
    log.push(entry);
    const fault = takeFault(method, path);

    if (fault?.kind === 'status') {
      // Read the request first so the client is not cut off while still sending.
      req.resume();
      req.once('end', () => {
        entry.status = fault.status;
        res.writeHead(fault.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected fault', detail: null }] }));
      });
      return;
    }

    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const upstream = request(
      { host: targetHost, port: Number(targetPort), method, path, headers: withoutHopByHop(req.headers), agent },
      (up) => {
        entry.status = up.statusCode ?? 502;
        res.writeHead(entry.status, withoutHopByHop(up.headers));
        let seen = 0;
        up.on('data', (chunk: Buffer) => {
          if (fault?.kind === 'drop' && !hasBody && seen + chunk.length >= fault.afterBytes) {
            up.removeAllListeners('data');
            up.pause();
            // Cut only once the partial body has been handed to the socket, so the client really gets it.
            res.write(chunk.subarray(0, fault.afterBytes - seen), () => {
              res.destroy();
              up.destroy();
            });
            return;
          }
          if (fault?.kind === 'corrupt') {
            const at = (fault.offset ?? 0) - seen;
            if (at >= 0 && at < chunk.length) {
              chunk = Buffer.from(chunk);
              chunk[at] = chunk[at]! ^ 0xff;
            }
          }
          seen += chunk.length;
          res.write(chunk);
        });
        up.on('end', () => res.end());
        up.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => {
      if (res.destroyed) return;
      if (res.headersSent) res.destroy();
      else {
        entry.status = 502;
        res.writeHead(502).end();
      }
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });

    if (fault?.kind === 'drop' && hasBody) {
      let sent = 0;
      req.on('data', (chunk: Buffer) => {
        if (sent + chunk.length >= fault.afterBytes) {
          upstream.write(chunk.subarray(0, fault.afterBytes - sent));
          req.removeAllListeners('data');
          res.destroy();
          upstream.destroy();
          return;
        }
        sent += chunk.length;
        upstream.write(chunk);
      });
      req.on('end', () => upstream.end());
    } else {
      req.pipe(upstream);
    }
  });

  const port = await listen(server);
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    fail: (fault) => queue.push({ ...fault, left: fault.kind === 'status' ? (fault.times ?? 1) : 1 }),
    log,
    stop: async () => {
      await close(server);
      agent.destroy();
    },
  };
}
