/** Helpers for the layout store tests: scratch stores, small images, and pids of processes that have ended. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openLayout, type Layout } from '../../../src/engine/layout/index.js';
import { canonicalJson, MediaType, sha256Digest, type Descriptor, type Manifest } from '../../../src/engine/oci/index.js';

/** A new empty store in a temp folder, removed after the test file. */
export async function scratchStore(): Promise<Layout> {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-layout-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return openLayout(join(dir, 'store'), { create: true });
}

/** Writes config, layers and manifest, and returns the manifest's descriptor (untagged). */
export async function writeImage(store: Layout, layers: Array<string | Buffer>, annotations?: Record<string, string>): Promise<Descriptor> {
  const layerDescs: Descriptor[] = [];
  for (const layer of layers) {
    const { digest, size } = await store.writeBlob(Buffer.from(layer));
    layerDescs.push({ mediaType: MediaType.OciLayer, digest, size });
  }
  const config = canonicalJson({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: layerDescs.map((l) => l.digest) },
  });
  const configDesc = { mediaType: MediaType.OciConfig, ...(await store.writeBlob(config)) };
  const manifest: Manifest = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDesc, layers: layerDescs, annotations };
  const bytes = canonicalJson(manifest);
  const written = await store.writeBlob(bytes, { expected: { digest: sha256Digest(bytes), size: bytes.length } });
  return { mediaType: MediaType.OciManifest, ...written };
}

export function code(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

/** The pid of a process that has already exited (pids are not reused that fast on Linux). */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}
