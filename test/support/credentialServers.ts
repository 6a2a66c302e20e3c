/**
 * Servers for the tests of where registry credentials go: a loopback (or TLS) HTTP server that records every
 * request it receives, headers and body included, and that can stand in front of a real registry (forwarding
 * what it does not answer itself, changing the answers it passes on, doing Basic auth in the registry's place)
 * or act as "another host" a registry sends its clients to. Plus the checks that no credential reached it.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from './paths.js';

const run = promisify(execFile);

/** A request as the server received it. */
export interface Seen {
  method: string;
  /** Path and query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Answer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** An answer a host gives itself. */
export interface Reply {
  status: number;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string;
}

export interface TestHostOptions {
  /** A registry (host:port, plain HTTP) to forward what `answer` leaves alone to; the Host header is kept. */
  upstream?: string;
  /** Answers a request here (without forwarding); undefined forwards it, or 404s when there is no upstream. */
  answer?: (req: Seen) => Reply | undefined;
  /** Changes the upstream's answer before it is passed on (its body is read whole: test images are small). */
  rewrite?: (req: Seen, res: Answer) => void;
  /** The path and query forwarded upstream; default: the request's own. */
  path?: (req: Seen) => string;
  /** Do Basic auth in the registry's place: refuse without these credentials, forward without them. */
  basic?: { username: string; password: string };
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** Address to listen on; default 127.0.0.1. */
  address?: string;
}

export interface TestHost {
  /** 'ADDRESS:PORT' */
  host: string;
  /** 'http(s)://ADDRESS:PORT', its origin. */
  url: string;
  /** Every request received, in order. */
  requests: Seen[];
  stop(): Promise<void>;
}

export async function startTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const requests: Seen[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: Seen = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(seen);
      void respond(seen, options).then(
        (a) => res.writeHead(a.status, a.headers).end(a.body),
        (err: Error) => res.writeHead(502).end(err.message),
      );
    });
  };
  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handle) : createHttpServer(handle);
  const address = options.address ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  const host = `${address}:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: `${options.tls ? 'https' : 'http'}://${host}`,
    requests,
    stop: () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}

async function respond(req: Seen, options: TestHostOptions): Promise<Answer> {
  const own = options.answer?.(req);
  if (own) return { status: own.status, headers: own.headers ?? {}, body: Buffer.from(own.body ?? '') };
  if (!options.upstream) return { status: 404, headers: {}, body: Buffer.alloc(0) };
  const headers = { ...req.headers };
  delete headers.connection;
  if (options.basic) {
    const expected = `Basic ${Buffer.from(`${options.basic.username}:${options.basic.password}`).toString('base64')}`;
    if (headers.authorization !== expected) {
      return { status: 401, headers: { 'www-authenticate': 'Basic realm="front"', 'content-type': 'application/json' }, body: Buffer.from('{"errors":[{"code":"UNAUTHORIZED"}]}') };
    }
    delete headers.authorization;
  }
  // distribution writes Locations with the scheme this says (it cannot see the TLS in front of it).
  if (options.tls) headers['x-forwarded-proto'] = 'https';
  const [hostname, port] = options.upstream.split(':');
  const answer = await new Promise<Answer>((resolve, reject) => {
    const up = request({ host: hostname, port: Number(port), method: req.method, path: options.path?.(req) ?? req.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: { ...res.headers }, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    up.on('error', reject);
    up.end(req.body);
  });
  delete answer.headers.connection;
  delete answer.headers['transfer-encoding'];
  options.rewrite?.(req, answer);
  answer.headers['content-length'] = String(answer.body.length);
  return answer;
}

/** A URL's origin and path on `host` instead: where a front sends a client to the other host. */
export function onHost(host: TestHost, url: string, base: string): string {
  const u = new URL(url, base);
  return `${host.url}${u.pathname}${u.search}`;
}

/**
 * What in these requests looks like a credential: any Authorization header, or a secret (a password, a
 * base64 user:password, a token) anywhere in a path, header or body, or a JWT-shaped string. [] when none.
 */
export function credentialsIn(requests: Seen[], secrets: string[]): string[] {
  const found: string[] = [];
  const wanted = secrets.filter(Boolean).flatMap((s) => [s, encodeURIComponent(s), Buffer.from(s).toString('base64')]);
  for (const r of requests) {
    const where = `${r.method} ${r.path}`;
    if (r.headers.authorization !== undefined) found.push(`${where}: Authorization: ${r.headers.authorization}`);
    const text = [r.path, JSON.stringify(r.headers), r.body.toString('latin1')].join('\n');
    for (const s of wanted) if (text.includes(s)) found.push(`${where}: holds the secret ${s.slice(0, 4)}…`);
    if (/eyJ[\w-]{8,}\.eyJ[\w-]{8,}\./.test(text)) found.push(`${where}: holds a JWT`);
  }
  return found;
}

/** This machine's first non-loopback IPv4 address: a registry name the engine does not treat as loopback. */
export function nonLoopbackAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** A self-signed certificate for an IP address, which also serves as its own CA (NODE_EXTRA_CA_CERTS). */
export async function selfSignedCert(dir: string, ip: string): Promise<{ key: string; cert: string; certFile: string }> {
  const keyFile = join(dir, 'tls-key.pem');
  const certFile = join(dir, 'tls-cert.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${ip}`,
    '-addext', `subjectAltName=IP:${ip}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', keyFile, '-out', certFile,
  ]);
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

/**
 * Runs the built `ckpt` without blocking this process (cli.ts's ckpt() waits synchronously, and the servers
 * here live in the test's own event loop); resolves with its exit code and output.
 */
export function ckptAsync(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot(), 'dist', 'cli.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
