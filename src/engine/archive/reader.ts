/**
 * What a checkpoint archive holds, in one streaming pass: who made it (checkpointctl's rule), the container,
 * and the sizes checkpointctl shows. Podman, CRI-O and containerd archives share the layout (anchors 1.3, 2.2, 2.5).
 */
import { createReadStream } from 'node:fs';
import { cancelled, EngineError } from '../errors.js';
import { walkFolder } from './walkFolder.js';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { ArchiveEntry } from '../annotations.js';
import { asArray, asObject, str, stringMap, time, type Json } from '../podman/json.js';
import type { Compression } from './compression.js';
import { openEntries, type TarEntry, type TarEntryOptions } from './entries.js';
import { missingConfinement, sanitizeFindings, sharesHostNetwork, unsafeMounts } from './sanitize.js';
import { CheckpointCriuImages, isCheckedCriuImage } from '../criu/checkpointImages.js';
import { MAX_CRIU_IMAGE_BYTES } from '../criu/imageFile.js';

export type CheckpointEngine = 'podman' | 'cri-o' | 'containerd';

export interface CheckpointArchiveSummary {
  engine: CheckpointEngine;
  compression: Compression;
  containerName: string;
  containerId: string;
  /** The base image as named when the container was created, and its ID. */
  imageName?: string;
  /** The base image as the user typed it (podman's RawImageName, CRI-O's rootfsImage). */
  rawImageName?: string;
  imageId?: string;
  /** The OCI runtime (runc, crun) or, for CRI-O, the runtime handler. */
  runtime?: string;
  created?: Date;
  /** Written by CRI-O and containerd; podman keeps it elsewhere. */
  checkpointed?: Date;
  /** Kubernetes pod of a CRI-O or containerd container. */
  pod?: { name: string; namespace: string };
  sizes: {
    /** Regular files under checkpoint/ together. */
    checkpoint: number;
    /** checkpoint/pages-* (the process memory). */
    memoryPages: number;
    /** rootfs-diff.tar (files the container changed); 0 when absent. */
    rootfsDiff: number;
  };
  /** spec.dump's annotations (io.container.manager, io.kubernetes.*). */
  specAnnotations: Record<string, string>;
  /** The container's labels (podman's config.dump), e.g. devcontainer.local_folder. */
  labels: Record<string, string>;
  /** Established TCP connections CRIU saved (one checkpoint/tcp-stream-<inode>.img each). */
  tcpConnections: number;
  mounts: CheckpointMounts;
  entryCount: number;
  /**
   * What a restore takes out of config.dump and spec.dump (hooks, privileges, host namespaces, devices…), in
   * words; hooks that only this host's hooks.d would trigger are added at restore time.
   */
  removedOnRestore: string[];
  /**
   * Why a restore is refused whatever the user says: confinement the checkpoint ran without, which a restore
   * cannot give back (podman's spec.dump only), what its CRIU images would grant (capabilities, no seccomp,
   * the host's namespaces, host mounts; podman only), and mounts other than bind mounts and a container's own.
   */
  refusedOnRestore: string[];
  /** It ran in the host's network namespace: restored only there, and only by the user's explicit choice. */
  sharesHostNetwork: boolean;
}

/**
 * The mounts a restore recreates. Bind mounts are every host path the checkpoint binds in, except the files
 * podman makes per container: a stranger's image can name any host path here, so nothing else is left out.
 */
export interface CheckpointMounts {
  bind: Array<{ source: string; destination: string; readOnly: boolean }>;
  volumes: Array<{ name: string; destination: string }>;
}

export interface ReadArchiveOptions extends TarEntryOptions {
  /** Largest config.dump / spec.dump read; default 16 MiB (podman's are some 20 KiB). */
  maxMetadataBytes?: number;
}

const INVENTORY = `${ArchiveEntry.CheckpointDir}/inventory.img`;

/** Reads a checkpoint archive (a path or a stream, any compression) and sums it up. */
export async function readCheckpointArchive(input: string | Readable, options: ReadArchiveOptions = {}): Promise<CheckpointArchiveSummary> {
  const what = typeof input === 'string' ? basename(input) : 'checkpoint archive';
  const { compression, entries } = await openEntries(input, what, options);
  const summary = new ArchiveSummaryBuilder(what, options.maxMetadataBytes);
  for await (const entry of entries) {
    await summary.add(entry, isMetadata(entry) ? await summary.readMetadata(entry) : undefined);
  }
  return summary.finish(compression);
}

/**
 * The same summary of a checkpoint folder (an extracted archive, or a checkpoint image's mounted layer): only
 * config.dump and spec.dump are read; every other file counts by its size, so a memory dump of gigabytes is
 * not read at all.
 */
export async function readCheckpointFolder(dir: string, options: Pick<ReadArchiveOptions, 'maxMetadataBytes' | 'signal'> = {}): Promise<CheckpointArchiveSummary> {
  const summary = new ArchiveSummaryBuilder(dir, options.maxMetadataBytes);
  for await (const entry of folderEntries(dir, options.signal)) await summary.add(entry, isMetadata(entry) ? await summary.readMetadata(entry) : undefined);
  return summary.finish('none');
}

/** A folder's files as the entries of an archive of it, in name order; a file's body is read only when iterated. */
export async function* folderEntries(dir: string, signal?: AbortSignal): AsyncGenerator<TarEntry> {
  for await (const { path, rel, stat } of walkFolder(dir)) {
    if (signal?.aborted) throw cancelled(`reading ${dir}`, signal);
    const type = stat.isDirectory() ? 'directory' : stat.isSymbolicLink() ? 'symlink' : 'file';
    yield { path: rel, type, size: type === 'file' ? stat.size : 0, body: type === 'file' ? fileBody(path) : emptyBody() };
  }
}

async function* fileBody(path: string): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(path)) yield chunk as Buffer;
}

async function* emptyBody(): AsyncGenerator<Buffer> {}

/** The whole body of config.dump or spec.dump, refused past `maxBytes` before it is read. */
export async function readMetadataBody(entry: TarEntry, what: string, maxBytes = 16 << 20): Promise<Buffer> {
  if (entry.size > maxBytes) {
    throw new EngineError('ARCHIVE_LIMIT_EXCEEDED', `${what}: ${entry.path} is ${entry.size} bytes, more than the ${maxBytes} a checkpoint's metadata may take`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of entry.body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** config.dump and spec.dump: small JSON the summary parses, so callers buffer their bodies. */
export function isMetadata(entry: TarEntry): boolean {
  return entry.type === 'file' && (entry.path === ArchiveEntry.ConfigDump || entry.path === ArchiveEntry.SpecDump);
}

/**
 * Sums up a checkpoint archive entry by entry, so a caller that also copies the entries (the image builder)
 * learns the same in the same pass. Bodies are only read for metadata, through readMetadata.
 */
export class ArchiveSummaryBuilder {
  readonly #json: Partial<Record<string, Json>> = {};
  readonly #sizes = { checkpoint: 0, memoryPages: 0, rootfsDiff: 0 };
  #entryCount = 0;
  #tcpConnections = 0;
  #hasInventory = false;
  #hasPreCheckpoint = false;
  readonly #criu = new CheckpointCriuImages();

  constructor(
    private readonly what: string,
    private readonly maxMetadataBytes = 16 << 20,
  ) {}

  /** The whole body of a metadata entry, size-capped. */
  readMetadata(entry: TarEntry): Promise<Buffer> {
    return readMetadataBody(entry, this.what, this.maxMetadataBytes);
  }

  async add(entry: TarEntry, metadata?: Buffer): Promise<void> {
    this.#entryCount++;
    const { path, type, size } = entry;
    if (type !== 'file') return;
    const sizes = this.#sizes;
    if (metadata && isMetadata(entry)) this.#json[path] = parseJson(metadata, path, this.what);
    else if (path === ArchiveEntry.RootfsDiffTar) sizes.rootfsDiff = size;
    else if (path.startsWith(`${ArchiveEntry.CheckpointDir}/`)) {
      sizes.checkpoint += size;
      if (path.startsWith(`${ArchiveEntry.CheckpointDir}/pages-`)) sizes.memoryPages += size;
      if (path === INVENTORY) this.#hasInventory = true;
      if (/^checkpoint\/tcp-stream-[0-9a-f]+\.img$/.test(path)) this.#tcpConnections++;
      if (isCheckedCriuImage(path)) {
        // A few KiB each, read here; a caller that copies the entry on gets the same bytes.
        const bytes = await readMetadataBody(entry, this.what, MAX_CRIU_IMAGE_BYTES);
        entry.body = (async function* () {
          yield bytes;
        })();
        this.#criu.add(path, bytes, this.what);
      }
    } else if (path === `${ArchiveEntry.PreCheckpointDir}/inventory.img`) this.#hasPreCheckpoint = true;
  }

  finish(compression: Compression): CheckpointArchiveSummary {
    const what = this.what;
    const config = this.#json[ArchiveEntry.ConfigDump];
    const spec = this.#json[ArchiveEntry.SpecDump];
    if (!this.#hasInventory || !config || !spec) {
      const missing = [!config && ArchiveEntry.ConfigDump, !spec && ArchiveEntry.SpecDump, !this.#hasInventory && INVENTORY].filter(Boolean);
      throw new EngineError('NOT_A_CHECKPOINT_ARCHIVE', `${what} is not a complete checkpoint: it has no ${missing.join(', ')}`, {
        hint: this.#hasPreCheckpoint
          ? 'this is a pre-checkpoint only; export the final checkpoint (`podman container checkpoint --with-previous --export`)'
          : 'choose an archive made by `podman container checkpoint --export`, CRI-O or containerd',
      });
    }
    const annotations = stringMap(asObject(spec.annotations));
    const manager = annotations['io.container.manager'];
    const engine: CheckpointEngine = manager === 'libpod' ? 'podman' : manager === 'cri-o' ? 'cri-o' : 'containerd';
    const podName = annotations[engine === 'cri-o' ? 'io.kubernetes.pod.name' : 'io.kubernetes.cri.sandbox-name'];
    const podNamespace = annotations[engine === 'cri-o' ? 'io.kubernetes.pod.namespace' : 'io.kubernetes.cri.sandbox-namespace'];
    return {
      engine,
      compression,
      containerName: str(config.name) || annotations['io.kubernetes.cri.container-name'] || '',
      containerId: str(config.id),
      // libpod says rootfsImageID; checkpointctl's ContainerConfig (CRI-O, containerd) says rootfsImageRef.
      imageName: str(config.rootfsImageName) || undefined,
      rawImageName: str(config.RawImageName) || str(config.rootfsImage) || undefined,
      imageId: str(config.rootfsImageID) || str(config.rootfsImageRef) || undefined,
      runtime: str(config.runtime) || undefined,
      created: time(config.createdTime),
      checkpointed: time(config.checkpointedTime),
      pod: engine !== 'podman' && podName ? { name: podName, namespace: podNamespace ?? '' } : undefined,
      sizes: this.#sizes,
      specAnnotations: annotations,
      labels: stringMap(asObject(config.labels)),
      tcpConnections: this.#tcpConnections,
      mounts: mountsOf(config, spec),
      entryCount: this.#entryCount,
      removedOnRestore: sanitizeFindings(config, spec),
      // CRI-O and containerd write their own spec, with Kubernetes' defaults (seccomp often unconfined).
      // CRIU's images may say the same of a mount as the spec does: each said once.
      refusedOnRestore: [...new Set([...(engine === 'podman' ? [...missingConfinement(spec), ...this.#criu.findings()] : []), ...unsafeMounts(config, spec)])],
      sharesHostNetwork: sharesHostNetwork(config, spec) || this.#criu.sharesHostNetwork(),
    };
  }
}

/** Files podman makes for each container and mounts itself: not the user's, when they come from its userdata. */
const PODMAN_MANAGED = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/run/.containerenv', '/dev/shm']);

function mountsOf(config: Json, spec: Json): CheckpointMounts {
  const volumes = asArray(config.namedVolumes)
    .map((v) => asObject(v))
    .map((v) => ({ name: str(v.volumeName), destination: str(v.dest) }))
    .filter((v) => v.name && v.destination);
  // Both copies of the spec count: a restore may follow either, and a hostile image may make them differ.
  const all = [...asArray(spec.mounts), ...asArray(asObject(config.spec).mounts)].map((m) => asObject(m)).filter((m) => str(m.type) === 'bind' || asArray(m.options).includes('bind') || asArray(m.options).includes('rbind'));
  const bind: CheckpointMounts['bind'] = [];
  for (const m of all) {
    const source = str(m.source);
    const destination = str(m.destination);
    if (PODMAN_MANAGED.has(destination) && /\/userdata\/[^/]+$/.test(source)) continue;
    const volume = volumes.find((v) => v.destination === destination);
    if (volume && source.endsWith(`/volumes/${volume.name}/_data`)) continue;
    if (bind.some((b) => b.source === source && b.destination === destination)) continue;
    bind.push({ source, destination, readOnly: asArray(m.options).includes('ro') });
  }
  return { bind, volumes };
}

export function parseJson(bytes: Buffer, path: string, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new EngineError('NOT_A_CHECKPOINT_ARCHIVE', `${what}: ${path} is not valid JSON`, { cause, hint: 'the archive is damaged or was not made by a container engine' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EngineError('NOT_A_CHECKPOINT_ARCHIVE', `${what}: ${path} is not a JSON object`);
  }
  return value as Json;
}
