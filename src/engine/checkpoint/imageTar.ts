/**
 * The checkpoint layer inside an image tar: an OCI layout in a tar (`oci-archive:`, skopeo's and podman's
 * `--format oci-archive`) or a `docker save`/`podman save` tar (`docker-archive:`). One pass reads the small
 * documents that say which entry is the layer; the layer is then streamed out of the tar, never unpacked.
 */
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { EngineError } from '../errors.js';
import { openEntries } from '../archive/entries.js';
import { readMetadataBody } from '../archive/reader.js';
import { parseDigest, digestHex } from '../oci/digest.js';
import { hashingStream } from '../oci/hasher.js';
import { isIndexType } from '../oci/mediaTypes.js';
import { parseIndex, parseManifest } from '../oci/parse.js';
import { piped } from './piped.js';

/** Small documents (index, manifests, configs) read in the first pass: each and all together capped. */
const MAX_DOCUMENT_BYTES = 4 << 20;
const MAX_DOCUMENTS_BYTES = 32 << 20;

export interface ImageTarLayer {
  /** The layer's bytes, streamed out of the tar (a second pass over it). */
  open: () => Promise<Readable>;
  /** The manifest's annotations; a docker-archive has none. */
  annotations?: Record<string, string>;
}

export async function imageTarLayer(path: string, kind: 'oci-archive' | 'docker-archive', options: { signal?: AbortSignal }): Promise<ImageTarLayer> {
  const what = `${kind}:${path}`;
  const documents = new Map<string, Buffer>();
  let total = 0;
  for await (const entry of (await openEntries(path, what, options)).entries) {
    if (entry.type !== 'file' || entry.size > MAX_DOCUMENT_BYTES || total + entry.size > MAX_DOCUMENTS_BYTES) continue;
    total += entry.size;
    documents.set(entry.path, await readMetadataBody(entry, what, MAX_DOCUMENT_BYTES));
  }
  const found = kind === 'oci-archive' ? ociLayer(documents, what) : dockerLayer(documents, what);
  return {
    annotations: found.annotations,
    open: async () => {
      const { entries } = await openEntries(path, what, options);
      async function* layer(): AsyncGenerator<Buffer> {
        for await (const entry of entries) {
          if (entry.path !== found.entry) continue;
          yield* entry.body;
          return;
        }
        throw new EngineError('INVALID_IMAGE', `${what} has no ${found.entry}, the layer its manifest names`);
      }
      const stream = Readable.from(layer(), { objectMode: false });
      if (!found.digest) return stream;
      return piped(stream, hashingStream({ expected: { digest: found.digest }, what: `the layer of ${what}` }));
    },
  };
}

function ociLayer(documents: Map<string, Buffer>, what: string): { entry: string; digest: ReturnType<typeof parseDigest>; annotations: Record<string, string> } {
  const blob = (digest: string, kind: string) => {
    const bytes = documents.get(`blobs/sha256/${digestHex(parseDigest(digest, `${what}: the ${kind}'s digest`))}`);
    if (!bytes) throw new EngineError('INVALID_IMAGE', `${what} has no ${kind} ${digest} (or it is larger than ${MAX_DOCUMENT_BYTES} bytes)`);
    return bytes;
  };
  const indexBytes = documents.get('index.json');
  if (!indexBytes) throw new EngineError('INVALID_IMAGE', `${what} has no index.json: it is not an OCI image layout in a tar`, { hint: 'for a `docker save` tar, use docker-archive:FILE' });
  let top = only(parseIndex(indexBytes, { what: `${what}: index.json` }).manifests, what);
  // A checkpoint index (containerd's form) holds the one manifest.
  if (isIndexType(top.mediaType)) top = only(parseIndex(blob(top.digest, 'index'), { mediaType: top.mediaType, what: `${what}: index ${top.digest}` }).manifests, what);
  const manifest = parseManifest(blob(top.digest, 'manifest'), { mediaType: top.mediaType, what: `${what}: manifest ${top.digest}` });
  const layer = only(manifest.layers, what, 'layers');
  return { entry: `blobs/sha256/${digestHex(layer.digest)}`, digest: layer.digest, annotations: { ...manifest.annotations } };
}

function dockerLayer(documents: Map<string, Buffer>, what: string): { entry: string; digest?: undefined; annotations?: undefined } {
  const bytes = documents.get('manifest.json');
  if (!bytes) throw new EngineError('INVALID_IMAGE', `${what} has no manifest.json: it is not a \`docker save\` tar`, { hint: 'for an OCI layout in a tar, use oci-archive:FILE' });
  let list: unknown;
  try {
    list = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new EngineError('INVALID_IMAGE', `${what}: manifest.json is not valid JSON`, { cause });
  }
  if (!Array.isArray(list)) throw new EngineError('INVALID_IMAGE', `${what}: manifest.json is not a list of images`);
  const image: unknown = only(list, what);
  const layers = typeof image === 'object' && image !== null ? (image as { Layers?: unknown }).Layers : undefined;
  if (!Array.isArray(layers) || !layers.every((l) => typeof l === 'string')) throw new EngineError('INVALID_IMAGE', `${what}: manifest.json lists no layer paths`);
  const entry = posix.normalize(only(layers as string[], what, 'layers')).replace(/^(\.\/)+/, '');
  return { entry };
}

function only<T>(list: T[], what: string, items = 'images'): T {
  if (list.length !== 1) {
    throw new EngineError('INVALID_IMAGE', `${what} holds ${list.length} ${items}; a checkpoint image ${items === 'layers' ? 'has one layer' : 'is one image'}`, {
      hint: 'save the checkpoint image alone: `podman save --format oci-archive -o FILE IMAGE`',
    });
  }
  return list[0]!;
}
