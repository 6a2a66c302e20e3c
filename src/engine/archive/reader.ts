/**
 * What a checkpoint archive holds, in one streaming pass: who made it (checkpointctl's rule), the container,
 * and the sizes checkpointctl shows. Podman, CRI-O and containerd archives share the layout (anchors 1.3, 2.2, 2.5).
 */
import { EngineError } from '../errors.js';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { ArchiveEntry } from '../annotations.js';
import { asObject, str, stringMap, time, type Json } from '../podman/json.js';
import type { Compression } from './compression.js';
import { openEntries, type TarEntry, type TarEntryOptions } from './entries.js';

export type CheckpointEngine = 'podman' | 'cri-o' | 'containerd';

export interface CheckpointArchiveSummary {
  engine: CheckpointEngine;
  compression: Compression;
  containerName: string;
  containerId: string;
  /** The base image as named when the container was created, and its ID. */
  imageName?: string;
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
  entryCount: number;
}

export interface ReadArchiveOptions extends TarEntryOptions {
  /** Largest config.dump / spec.dump read; default 16 MiB (podman's are some 20 KiB). */
  maxMetadataBytes?: number;
}

const INVENTORY = `${ArchiveEntry.CheckpointDir}/inventory.img`;

/** Reads a checkpoint archive (a path or a stream, any compression) and sums it up. */
export async function readCheckpointArchive(input: string | Readable, options: ReadArchiveOptions = {}): Promise<CheckpointArchiveSummary> {
  const what = typeof input === 'string' ? basename(input) : 'checkpoint archive';
  const maxJson = options.maxMetadataBytes ?? 16 << 20;
  const { compression, entries } = await openEntries(input, what, options);
  const json: Partial<Record<string, Json>> = {};
  const sizes = { checkpoint: 0, memoryPages: 0, rootfsDiff: 0 };
  let entryCount = 0;
  let hasInventory = false;
  let hasPreCheckpoint = false;
  for await (const entry of entries) {
    entryCount++;
    const { path, type, size } = entry;
    if (type !== 'file') continue;
    if (path === ArchiveEntry.ConfigDump || path === ArchiveEntry.SpecDump) json[path] = await readJson(entry, what, maxJson);
    else if (path === ArchiveEntry.RootfsDiffTar) sizes.rootfsDiff = size;
    else if (path.startsWith(`${ArchiveEntry.CheckpointDir}/`)) {
      sizes.checkpoint += size;
      if (path.startsWith(`${ArchiveEntry.CheckpointDir}/pages-`)) sizes.memoryPages += size;
      if (path === INVENTORY) hasInventory = true;
    } else if (path === `${ArchiveEntry.PreCheckpointDir}/inventory.img`) hasPreCheckpoint = true;
  }
  const config = json[ArchiveEntry.ConfigDump];
  const spec = json[ArchiveEntry.SpecDump];
  if (!hasInventory || !config || !spec) {
    const missing = [!config && ArchiveEntry.ConfigDump, !spec && ArchiveEntry.SpecDump, !hasInventory && INVENTORY].filter(Boolean);
    throw new EngineError('NOT_A_CHECKPOINT_ARCHIVE', `${what} is not a complete checkpoint: it has no ${missing.join(', ')}`, {
      hint: hasPreCheckpoint
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
    imageId: str(config.rootfsImageID) || str(config.rootfsImageRef) || undefined,
    runtime: str(config.runtime) || undefined,
    created: time(config.createdTime),
    checkpointed: time(config.checkpointedTime),
    pod: engine !== 'podman' && podName ? { name: podName, namespace: podNamespace ?? '' } : undefined,
    sizes,
    specAnnotations: annotations,
    entryCount,
  };
}

async function readJson(entry: TarEntry, what: string, max: number): Promise<Json> {
  if (entry.size > max) {
    throw new EngineError('ARCHIVE_LIMIT_EXCEEDED', `${what}: ${entry.path} is ${entry.size} bytes, more than the ${max} a checkpoint's metadata may take`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of entry.body) chunks.push(chunk);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (cause) {
    throw new EngineError('NOT_A_CHECKPOINT_ARCHIVE', `${what}: ${entry.path} is not valid JSON`, { cause, hint: 'the archive is damaged or was not made by a container engine' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EngineError('NOT_A_CHECKPOINT_ARCHIVE', `${what}: ${entry.path} is not a JSON object`);
  }
  return value as Json;
}
