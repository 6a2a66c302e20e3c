/**
 * The distribution-spec calls the engine makes (reference-anchors §6.1): blobs (HEAD, mount, monolithic and
 * chunked uploads that resume, GET), manifests, tags, the catalog and deletes. Memory stays bounded: blob
 * bodies stream from and to their source, never through a buffer of their size.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { cancelled, EngineError, isEngineError } from '../errors.js';
import { sha256Digest } from '../oci/digest.js';
import { MediaType } from '../oci/mediaTypes.js';
import { drain, isRefusedDestination, readAll, Transport, type Response, type TransportOptions } from './transport.js';

/** What a manifest GET accepts: OCI first; Docker types only to refuse them with a clear message. */
export const MANIFEST_ACCEPT = [MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList].join(', ');

export interface BlobUploadOptions {
  signal?: AbortSignal;
  /** Bytes of this blob the registry has acknowledged or received so far. */
  onProgress?: (bytes: number) => void;
  /** Blobs larger than this go up in PATCH chunks of this size, so a dropped connection costs one chunk. */
  chunkSize?: number;
  /** Whole-upload tries (a chunked upload resumes where the registry says it is). */
  attempts?: number;
}

export interface ManifestResponse {
  bytes: Buffer;
  mediaType: string;
  /** sha256 of the bytes, checked against the digest asked for and the registry's Docker-Content-Digest. */
  digest: string;
}

// One request per blob up to here: distribution syncs and saves its hash state at the end of every PATCH, so
// chunks cost time (measured: 10 chunks of 32 MiB made a 296 MiB push 1.1x skopeo's one request). Larger
// blobs go in chunks, so a dropped connection costs one chunk, not the whole blob.
const DEFAULT_CHUNK = 512 << 20;

/** A client for one registry (host[:port]) with the caller's credentials and settings. */
export function createRegistryClient(options: TransportOptions): RegistryClient {
  return new RegistryClient(new Transport(options));
}

export class RegistryClient {
  /** Repositories of this registry known to hold a blob (pushed or pulled here): where a push can mount it from. */
  readonly #seen = new Map<string, Set<string>>();

  constructor(readonly transport: Transport) {}

  remember(digest: string, repository: string): void {
    const set = this.#seen.get(digest) ?? new Set<string>();
    set.add(repository);
    this.#seen.set(digest, set);
  }

  repositoriesWith(digest: string): string[] {
    return [...(this.#seen.get(digest) ?? [])];
  }

  get registry(): string {
    return this.transport.registry;
  }

  async hasBlob(repository: string, digest: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.transport.request({
      method: 'HEAD', url: `/v2/${repository}/blobs/${digest}`, scopes: [pull(repository)], repository, expect: [200, 404], signal,
      what: `checking for blob ${short(digest)}`,
    });
    await drain(res.body);
    return res.status === 200;
  }

  /** Cross-repository mount: true when the registry linked the blob from `from` without an upload. */
  async mountBlob(repository: string, digest: string, from: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.transport.request({
      method: 'POST', url: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
      scopes: [pushPull(repository), pull(from)], repository, expect: [201, 202], signal, what: `mounting blob ${short(digest)} from ${from}`,
    });
    await drain(res.body);
    if (res.status === 202) await this.#cancelUpload(repository, location(res), signal);
    return res.status === 201;
  }

  /**
   * Uploads a blob from `open` (called again to resume or retry). Small blobs go up in one PUT after the POST;
   * large ones in PATCH chunks. After a failure the registry is asked how much it has, and the upload goes on
   * from there; a registry that lost the upload gets a new one.
   */
  async uploadBlob(repository: string, digest: string, size: number, open: () => Promise<Readable>, options: BlobUploadOptions = {}): Promise<void> {
    const { signal } = options;
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
    const attempts = options.attempts ?? 5;
    const source = new BlobCursor(open);
    const what = `pushing blob ${short(digest)} to ${repository}`;
    let upload: string | undefined;
    let offset = 0;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          if (!upload) {
            const started = await this.#request({ method: 'POST', url: `/v2/${repository}/blobs/uploads/`, repository, expect: [202], signal, what, push: true });
            await drain(started.body);
            upload = location(started);
            offset = 0;
          }
          if (size <= chunkSize) {
            await this.#finish(repository, upload, digest, source.slice(0, size, options.onProgress), size, signal, what);
            return;
          }
          while (offset < size) {
            const end = Math.min(offset + chunkSize, size) - 1;
            const res = await this.#request({
              method: 'PATCH', url: upload, repository, expect: [202], signal, what, push: true, retry: false,
              headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${end}` },
              body: source.slice(offset, end + 1, options.onProgress), contentLength: end + 1 - offset,
            });
            await drain(res.body);
            upload = location(res);
            offset = receivedUpTo(res) ?? end + 1;
          }
          await this.#finish(repository, upload, digest, undefined, 0, signal, what);
          return;
        } catch (err) {
          if (signal?.aborted) throw cancelled(what, signal);
          if (attempt >= attempts || !worthRetrying(err)) throw err;
          await sleep(300 * 2 ** (attempt - 1), undefined, { signal }).catch(() => {
            throw cancelled(what, signal);
          });
          // Where did the registry get to? Unknown uploads (expired, never started) start again, and so does
          // one whose content the registry refused at the end (a resume point it misreported).
          const refused = isEngineError(err) && /DIGEST_INVALID/.test(err.message);
          const status = upload && !refused ? await this.#uploadStatus(repository, upload, signal).catch(() => undefined) : undefined;
          if (status === undefined || size <= chunkSize) {
            if (upload) await this.#cancelUpload(repository, upload, signal);
            upload = undefined;
          } else {
            upload = status.location;
            offset = status.offset;
          }
        }
      }
    } finally {
      source.close();
    }
  }

  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string, signal?: AbortSignal): Promise<string> {
    const res = await this.#request({
      method: 'PUT', url: `/v2/${repository}/manifests/${reference}`, repository, expect: [201, 200], signal, push: true,
      headers: { 'content-type': mediaType }, body: bytes, what: `pushing the manifest ${reference} to ${repository}`,
    });
    await drain(res.body);
    return sha256Digest(bytes);
  }

  /** A manifest or index by tag or digest, its bytes checked against the digest asked for. */
  async getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<ManifestResponse> {
    const res = await this.#request({
      method: 'GET', url: `/v2/${repository}/manifests/${reference}`, repository, expect: [200], signal,
      headers: { accept: MANIFEST_ACCEPT }, what: `reading the manifest ${reference} of ${repository}`,
    });
    const bytes = await readAll(res.body, 4 << 20, `manifest ${reference} of ${this.registry}/${repository}`);
    const digest = sha256Digest(bytes);
    const claimed = header(res, 'docker-content-digest');
    if ((reference.startsWith('sha256:') && reference !== digest) || (claimed?.startsWith('sha256:') && claimed !== digest)) {
      throw new EngineError('DIGEST_MISMATCH', `${this.registry}/${repository}: the manifest ${reference} does not hash to ${reference.startsWith('sha256:') ? reference : claimed}`, {
        hint: 'something between here and the registry changed it; try again, and tell the registry\'s owner if it persists',
      });
    }
    const mediaType = (header(res, 'content-type') ?? '').split(';')[0]!.trim();
    return { bytes, mediaType, digest };
  }

  /** The blob's bytes as they come; the caller verifies them (the layout's writeBlob does). */
  async openBlob(repository: string, digest: string, signal?: AbortSignal): Promise<Readable> {
    const res = await this.#request({ method: 'GET', url: `/v2/${repository}/blobs/${digest}`, repository, expect: [200], signal, what: `pulling blob ${short(digest)} from ${repository}` });
    return res.body;
  }

  /** Every tag of a repository, following `Link` pages. */
  async tags(repository: string, signal?: AbortSignal): Promise<string[]> {
    return this.#pages(`/v2/${repository}/tags/list`, repository, [pull(repository)], 'tags', signal, `listing the tags of ${repository}`);
  }

  /** Every repository, when the registry lets this user list them (`/v2/_catalog`). */
  async catalog(signal?: AbortSignal): Promise<string[]> {
    return this.#pages('/v2/_catalog', undefined, ['registry:catalog:*'], 'repositories', signal, 'listing the repositories');
  }

  /** Deletes a manifest by digest: every tag pointing at it goes with it (distribution has no tag-only delete). */
  async deleteManifest(repository: string, digest: string, signal?: AbortSignal): Promise<void> {
    const res = await this.transport.request({
      method: 'DELETE', url: `/v2/${repository}/manifests/${digest}`, scopes: [`repository:${repository}:delete`, pushPull(repository)], repository,
      expect: [202, 200, 204], signal, what: `deleting ${short(digest)} from ${repository}`,
    });
    await drain(res.body);
  }

  async #pages(first: string, repository: string | undefined, scopes: string[], key: 'tags' | 'repositories', signal: AbortSignal | undefined, what: string): Promise<string[]> {
    const all: string[] = [];
    let url: string | undefined = first;
    for (let page = 0; url && page < 1000; page++) {
      const res = await this.transport.request({ method: 'GET', url, scopes, repository, expect: [200], signal, what });
      const json = (await this.transport.json(res)) as Record<string, unknown>;
      const list = json[key];
      if (list !== null && list !== undefined && !Array.isArray(list)) throw new EngineError('REGISTRY_FAILED', `${this.registry}: ${what}: "${key}" is not a list`);
      for (const item of list ?? []) if (typeof item === 'string') all.push(item);
      url = nextPage(header(res, 'link'));
    }
    return all;
  }

  #request(req: Omit<Parameters<Transport['request']>[0], 'scopes'> & { repository: string; push?: boolean }): Promise<Response> {
    const { push, ...rest } = req;
    return this.transport.request({ ...rest, scopes: [push ? pushPull(req.repository) : pull(req.repository)] });
  }

  async #finish(repository: string, upload: string, digest: string, body: (() => Promise<Readable>) | undefined, length: number, signal: AbortSignal | undefined, what: string): Promise<void> {
    const url = new URL(upload, this.transport.origin);
    url.searchParams.set('digest', digest);
    const res = await this.#request({
      method: 'PUT', url: url.toString(), repository, expect: [201, 204], signal, what, push: true, retry: false,
      headers: { 'content-type': 'application/octet-stream' }, body, contentLength: length,
    });
    await drain(res.body);
  }

  async #uploadStatus(repository: string, upload: string, signal: AbortSignal | undefined): Promise<{ location: string; offset: number } | undefined> {
    const res = await this.#request({ method: 'GET', url: upload, repository, expect: [204, 404], signal, what: 'asking how much of an upload arrived', push: true });
    await drain(res.body);
    if (res.status === 404) return undefined;
    // distribution answers an empty upload with `0-0`, which would otherwise mean one byte: resuming after
    // it would skip the blob's first byte.
    const empty = header(res, 'range') === '0-0';
    return { location: header(res, 'location') ?? upload, offset: empty ? 0 : (receivedUpTo(res) ?? 0) };
  }

  async #cancelUpload(repository: string, upload: string, signal: AbortSignal | undefined): Promise<void> {
    // Best effort: an abandoned upload only costs the registry until its purge.
    await this.#request({ method: 'DELETE', url: upload, repository, expect: [204, 404], signal, what: 'cancelling an upload', push: true, retry: false })
      .then((res) => drain(res.body))
      .catch(() => undefined);
  }
}

/**
 * Reads a blob sequentially for uploads: each slice continues where the last ended; a slice elsewhere (a
 * resumed upload) opens the blob again and skips to it. Each slice is a fresh stream for one request body.
 */
class BlobCursor {
  #iterator: AsyncIterator<Buffer> | undefined;
  #stream: Readable | undefined;
  #position = 0;
  #leftover: Buffer | undefined;

  constructor(private readonly open: () => Promise<Readable>) {}

  slice(start: number, end: number, onProgress?: (bytes: number) => void): () => Promise<Readable> {
    return async () => {
      if (start !== this.#position || !this.#iterator) await this.#seek(start);
      const self = this;
      return Readable.from(
        (async function* () {
          while (self.#position < end) {
            let chunk = self.#leftover;
            self.#leftover = undefined;
            if (!chunk) {
              const next = await self.#iterator!.next();
              if (next.done) throw new EngineError('DIGEST_MISMATCH', `the blob ended at ${self.#position} bytes, before the ${end} expected`);
              chunk = next.value;
            }
            const want = end - self.#position;
            if (chunk.length > want) {
              self.#leftover = chunk.subarray(want);
              chunk = chunk.subarray(0, want);
            }
            self.#position += chunk.length;
            onProgress?.(self.#position);
            yield chunk;
          }
        })(),
        { objectMode: false },
      );
    };
  }

  close(): void {
    this.#stream?.destroy();
  }

  async #seek(offset: number): Promise<void> {
    this.close();
    this.#stream = await this.open();
    this.#iterator = this.#stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.#leftover = undefined;
    this.#position = 0;
    // Skipping by reading keeps the source's own digest check whole (it hashes every byte it gives).
    while (this.#position < offset) {
      const next = await this.#iterator.next();
      if (next.done) throw new EngineError('DIGEST_MISMATCH', `the blob ended at ${this.#position} bytes, before the resume point ${offset}`);
      const chunk = next.value;
      if (this.#position + chunk.length > offset) {
        this.#leftover = chunk.subarray(offset - this.#position);
        this.#position = offset;
      } else this.#position += chunk.length;
    }
  }
}

function pull(repository: string): string {
  return `repository:${repository}:pull`;
}

function pushPull(repository: string): string {
  return `repository:${repository}:pull,push`;
}

function short(digest: string): string {
  return `${digest.slice(0, 19)}…`;
}

function header(res: Response, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * An upload's Location, used as the registry gives it, on any origin: the distribution spec allows uploads to
 * go elsewhere. The transport sends credentials only to the registry's own origin and refuses plain HTTP from
 * an HTTPS registry, so a Location on another host gets the blob and nothing else.
 */
function location(res: Response): string {
  const value = header(res, 'location');
  if (!value) throw new EngineError('REGISTRY_FAILED', `the registry started an upload without saying where (no Location header)`);
  return new URL(value, res.url).toString();
}

/** `Range: 0-N` says the registry holds bytes 0..N: the next byte to send is N+1. */
function receivedUpTo(res: Response): number | undefined {
  const match = /^(?:bytes=)?0-(\d+)$/.exec(header(res, 'range') ?? '');
  return match ? Number(match[1]) + 1 : undefined;
}

/**
 * `Link: </v2/_catalog?last=x&n=100>; rel="next"`. Only its path and query are used, asked of the registry
 * itself: the next page is the same endpoint of the same registry, so an absolute URL on another host (a proxy
 * that wrote its internal name, or a hostile answer) neither receives the listing's credentials nor chooses
 * where the client goes.
 */
function nextPage(link: string | undefined): string | undefined {
  const match = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  if (!match) return undefined;
  const url = new URL(match[1]!, 'http://registry.invalid');
  return `${url.pathname}${url.search}`;
}

function worthRetrying(err: unknown): boolean {
  if (!isEngineError(err)) return true; // a dropped connection mid-body
  if (isRefusedDestination(err)) return false; // the registry would name the same place again
  return err.code === 'REGISTRY_UNREACHABLE' || err.code === 'REGISTRY_FAILED';
}
