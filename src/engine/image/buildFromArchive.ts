import { Readable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { editMetadata, repack, type MetadataEdit } from '../archive/repack.js';
import { compressor } from '../archive/compression.js';
import { openEntries, type ArchiveLimits } from '../archive/entries.js';
import { cancelledBy } from '../archive/errors.js';
import { ArchiveSummaryBuilder, isMetadata, type CheckpointArchiveSummary } from '../archive/reader.js';
import type { Layout } from '../layout/api.js';
import type { Descriptor } from '../oci/types.js';
import type { HostFacts } from '../podman/hostFacts.js';
import { checkpointAnnotations } from './checkpointAnnotations.js';
import { checkpointIndex, checkpointManifest, type JsonBlob } from './checkpointManifest.js';
import { gzipCompressor, layerStream, type Compressor, type LayerCompression, type LayerDigests } from './layer.js';

export interface BuildOptions extends ArchiveLimits {
  /** Layer compression; gzip (podman's push default) unless said otherwise. */
  compression?: LayerCompression;
  /** This host's facts for the annotations the archive does not record (versions, kernel, arch). */
  host: HostFacts;
  /** The user's own annotations, e.g. a description for teammates. */
  annotations?: Record<string, string>;
  /** Also tag a one-entry OCI index carrying org.criu.checkpoint.* (what containerd reads). */
  index?: boolean;
  signal?: AbortSignal;
  /** Bytes of the archive read so far. */
  onProgress?: (bytesRead: number) => void;
  /** Changes config.dump / spec.dump on the way in. */
  editMetadata?: MetadataEdit;
}

export interface BuildResult {
  /** What was tagged: the manifest, or the index when one was asked for. */
  descriptor: Descriptor;
  layer: LayerDigests;
  archive: CheckpointArchiveSummary;
  annotations: Record<string, string>;
}

const COMPRESSORS: Record<LayerCompression, Compressor | undefined> = {
  gzip: gzipCompressor,
  zstd: () => compressor('zstd') as ReturnType<Compressor>,
  none: undefined,
};

/**
 * A checkpoint archive (podman, CRI-O or containerd; any compression) to a checkpoint image in the store, in
 * one streaming pass: every entry is checked and re-packed at the layer root while the tar is hashed
 * (diff_id), compressed, hashed again (digest) and written. The tag comes last, so a failure leaves no image.
 */
export async function buildFromArchive(
  layout: Layout,
  input: string | Readable,
  tag: string,
  options: BuildOptions,
): Promise<BuildResult> {
  const what = typeof input === 'string' ? input : 'checkpoint archive';
  const { signal } = options;
  const compression = options.compression ?? 'gzip';
  const { compression: inputCompression, entries } = await openEntries(input, what, { ...options, onProgress: options.onProgress });
  const summary = new ArchiveSummaryBuilder(what);
  const tar = tarPack();
  // tar-stream's Pack is a streamx Readable; its typings do not say so.
  const layerOut = layerStream(tar as unknown as Readable, COMPRESSORS[compression], signal);
  const feed = (async () => {
    try {
      for await (const entry of entries) {
        const metadata = isMetadata(entry) ? editMetadata(entry.path, await summary.readMetadata(entry), options.editMetadata, what) : undefined;
        await summary.add(entry, metadata);
        await repack(tar, entry, metadata);
      }
      tar.finalize();
    } catch (err) {
      tar.destroy(err as Error);
      throw err;
    }
  })();
  // Cancelled, the stream stages fail with a bare AbortError, which may come first: said as a cancellation.
  const [, raw, written] = await Promise.all([feed, layerOut.tar, layout.writeBlob(layerOut.blob, { signal })]).catch((err: unknown) => {
    throw cancelledBy(`building an image from ${what}`, signal) ?? err;
  });
  const archive = summary.finish(inputCompression);
  const layer: LayerDigests = { diffId: (raw ?? written).digest, uncompressedSize: (raw ?? written).size, digest: written.digest, size: written.size };

  const annotations = checkpointAnnotations(
    {
      engine: archive.engine,
      containerName: archive.containerName,
      rawImageName: archive.rawImageName,
      rootfsImageName: archive.imageName,
      rootfsImageID: archive.imageId,
      runtimeName: archive.runtime,
      podName: archive.pod?.name,
      podNamespace: archive.pod?.namespace,
    },
    options.host,
    options.annotations,
  );
  const { config, manifest } = checkpointManifest({ layer, compression, architecture: options.host.arch, annotations });
  const blobs: JsonBlob[] = [config, manifest];
  const top = options.index ? checkpointIndex(manifest, annotations, options.host.arch) : manifest;
  if (options.index) blobs.push(top);
  for (const b of blobs) await layout.writeBlob(b.bytes, { expected: b.descriptor, signal });
  await layout.tag(tag, top.descriptor, { signal });
  return { descriptor: top.descriptor, layer, archive, annotations };
}
