/**
 * The embedded store against the real tools: skopeo reads and copies what it writes, and it reads what skopeo
 * and podman write (`podman save --format oci-dir`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { PodmanAnnotation } from '../../src/engine/index.js';
import { openLayout, type Layout } from '../../src/engine/layout/index.js';
import {
  canonicalJson,
  MediaType,
  OciAnnotation,
  parseImageConfig,
  parseManifest,
  sha256Digest,
  type Descriptor,
  type Manifest,
} from '../../src/engine/oci/index.js';
import { BASE_IMAGE, ensureStack, podman } from '../support/stack.js';

const run = promisify(execFile);
const TIMEOUT = { timeout: 120_000 };

async function skopeo(...args: string[]): Promise<string> {
  try {
    return (await run('skopeo', ['--insecure-policy', ...args], { maxBuffer: 16 << 20 })).stdout;
  } catch (err) {
    throw new Error(`skopeo ${args.join(' ')}: ${(err as { stderr?: string }).stderr ?? err}`);
  }
}

/** A checkpoint-shaped image (one gzip layer with config.dump and spec.dump at its root), written by our store. */
async function writeCheckpointImage(store: Layout): Promise<{ descriptor: Descriptor; manifestBytes: Buffer }> {
  const pack = tar.pack();
  pack.entry({ name: 'config.dump', mode: 0o600 }, '{"name":"web"}');
  pack.entry({ name: 'spec.dump', mode: 0o600 }, '{"ociVersion":"1.0.0"}');
  pack.finalize();
  const layerTar = await buffer(pack);
  const layer = { mediaType: MediaType.OciLayerGzip, ...(await store.writeBlob(gzipSync(layerTar))) };
  const config = canonicalJson({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest(layerTar)] } });
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, ...(await store.writeBlob(config)) },
    layers: [layer],
    annotations: { [PodmanAnnotation.Name]: 'web', [PodmanAnnotation.RuntimeName]: 'runc' },
  };
  const manifestBytes = canonicalJson(manifest);
  return { descriptor: { mediaType: MediaType.OciManifest, ...(await store.writeBlob(manifestBytes)) }, manifestBytes };
}

describe('layout store with skopeo and podman', { concurrency: false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-layout-it-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('skopeo reads an image our store wrote, byte for byte, and copies it to a layout we read back', TIMEOUT, async () => {
    const ours = await openLayout(join(dir, 'ours'), { create: true });
    const { descriptor, manifestBytes } = await writeCheckpointImage(ours);
    await ours.tag('web-checkpoint', descriptor);

    const raw = await skopeo('inspect', '--raw', `oci:${ours.path}:web-checkpoint`);
    assert.equal(raw, manifestBytes.toString());

    const copy = join(dir, 'copy');
    await skopeo('copy', `oci:${ours.path}:web-checkpoint`, `oci:${copy}:web-checkpoint`);
    const theirs = await openLayout(copy);
    const copied = await theirs.resolve('web-checkpoint');
    assert.equal(copied.digest, descriptor.digest, 'the manifest travels unchanged');
    const manifest = parseManifest(await theirs.readBlob(copied.digest), { mediaType: copied.mediaType });
    assert.equal(manifest.annotations?.[PodmanAnnotation.RuntimeName], 'runc');
    assert.deepEqual((await theirs.verify()).problems, []);
  });

  it('skopeo writes into our store beside us, and our gc and verify respect what it wrote', TIMEOUT, async () => {
    const ours = await openLayout(join(dir, 'ours'));
    await skopeo('copy', `oci:${ours.path}:web-checkpoint`, `oci:${ours.path}:web-copy`);
    assert.deepEqual((await ours.tags()).map((t) => t.name).sort(), ['web-checkpoint', 'web-copy']);
    await ours.untag('web-checkpoint');
    assert.deepEqual((await ours.gc()).removed, [], 'web-copy still reaches every blob');
    assert.deepEqual((await ours.verify()).problems, []);
    assert.ok(await skopeo('inspect', '--raw', `oci:${ours.path}:web-copy`));
  });

  describe('with podman', () => {
    before(ensureStack);

    it("reads podman's own OCI layout (podman save --format oci-dir) and copies it in with skopeo", TIMEOUT, async () => {
      const saved = join(dir, 'podman-save');
      await podman('save', '--format', 'oci-dir', '-o', saved, BASE_IMAGE);
      const store = await openLayout(saved);
      const [tag] = await store.tags();
      assert.equal(tag?.name, BASE_IMAGE);
      assert.equal(tag.descriptor.annotations?.[OciAnnotation.RefName], BASE_IMAGE);
      const manifest = parseManifest(await store.readBlob(tag.descriptor.digest), { mediaType: tag.descriptor.mediaType });
      const config = parseImageConfig(await store.readBlob(manifest.config.digest, { size: manifest.config.size }));
      assert.equal(config.rootfs.diff_ids.length, manifest.layers.length);
      assert.deepEqual((await store.verify()).problems, []);

      const ours = await openLayout(join(dir, 'ours'));
      await skopeo('copy', `oci:${saved}:${BASE_IMAGE}`, `oci:${ours.path}:busybox`);
      assert.equal((await ours.resolve('busybox')).digest, tag.descriptor.digest);
      const layer = await buffer(await ours.openBlob(manifest.layers[0]!.digest, { size: manifest.layers[0]!.size }));
      assert.equal(layer.length, manifest.layers[0]!.size);
      assert.deepEqual((await ours.verify()).problems, []);
    });
  });
});
