/**
 * The containers/storage reader on stores made here: what it reads, and every case it leaves to podman rather
 * than guess (the integration test proves its answers equal podman's on real stores).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PodmanAnnotation } from '../../src/engine/index.js';
import { readStorageImages, type StoreFacts } from '../../src/engine/podman/storageImages.js';

const hex = (c: string) => c.repeat(64);
const CONFIG = `sha256:${hex('c')}`;
const OCI = 'application/vnd.oci.image.manifest.v1+json';

interface Fixture {
  images?: object[];
  layers?: object[];
  manifest?: object;
  config?: object;
}

const base = mkdtempSync(join(tmpdir(), 'ckpt-storage-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

/** A store of one image (ID aaa…) unless the fixture says otherwise; returns its facts. */
function store(f: Fixture = {}, facts: Partial<StoreFacts> = {}): StoreFacts {
  const root = join(base, String(n++));
  const images = join(root, 'overlay-images');
  const layers = join(root, 'overlay-layers');
  mkdirSync(join(images, hex('a')), { recursive: true });
  mkdirSync(layers);
  const records = f.images ?? [{
    id: hex('a'), digest: `sha256:${hex('d')}`, names: ['localhost/web:1', `localhost/web@sha256:${hex('d')}`], layer: 'top',
    'big-data-names': ['manifest', CONFIG], 'big-data-sizes': { manifest: 100, [CONFIG]: 20 },
  }];
  writeFileSync(join(images, 'images.json'), JSON.stringify(records));
  writeFileSync(join(images, 'images.lock'), 'token-1');
  writeFileSync(join(layers, 'layers.json'), JSON.stringify(f.layers ?? [
    { id: 'top', parent: 'bottom', 'diff-digest': `sha256:${hex('1')}`, 'diff-size': 1000 },
    { id: 'bottom', 'diff-digest': `sha256:${hex('2')}`, 'diff-size': 5 },
  ]));
  writeFileSync(join(layers, 'layers.lock'), 'token-2');
  const manifest = f.manifest ?? { schemaVersion: 2, mediaType: OCI, config: { digest: CONFIG }, annotations: { [PodmanAnnotation.RuntimeName]: 'runc', note: 'x' } };
  writeFileSync(join(images, hex('a'), 'manifest'), JSON.stringify(manifest));
  writeFileSync(join(images, hex('a'), `=${Buffer.from(CONFIG).toString('base64')}`), JSON.stringify(f.config ?? { created: '2026-01-02T03:04:05.123456789Z' }));
  return { graphRoot: root, driver: 'overlay', imageCount: records.length, graphOptions: {}, ...facts };
}

async function unsure(facts: StoreFacts, why: RegExp): Promise<void> {
  const read = await readStorageImages(facts);
  assert.ok('unsure' in read, `expected the reader to defer to podman, got ${JSON.stringify(read)}`);
  assert.match(read.unsure, why);
}

describe("reading checkpoint images from containers/storage's files", () => {
  it('reads names (tags only), digest, size (layers down the chain + big data), creation time and annotations', async () => {
    const read = await readStorageImages(store());
    assert.ok('images' in read);
    assert.deepEqual(read.images, [{
      id: hex('a'), names: ['localhost/web:1'], digest: `sha256:${hex('d')}`, size: 1000 + 5 + 100 + 20,
      created: new Date('2026-01-02T03:04:05.123Z'), annotations: { [PodmanAnnotation.RuntimeName]: 'runc', note: 'x' },
    }]);
  });

  it('leaves out images that are no checkpoint: Docker manifests, indexes, no annotations', async () => {
    for (const manifest of [
      { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { digest: CONFIG }, annotations: { [PodmanAnnotation.RuntimeName]: 'runc' } },
      { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [], annotations: { [PodmanAnnotation.RuntimeName]: 'runc' } },
      { schemaVersion: 2, mediaType: OCI, config: { digest: CONFIG } },
    ]) {
      assert.deepEqual(await readStorageImages(store({ manifest })), { images: [] });
    }
  });

  it('defers to podman for what it does not know or cannot be sure of', async () => {
    await unsure(store({}, { driver: 'btrfs' }), /btrfs storage driver/);
    await unsure(store({}, { graphOptions: { 'overlay.imagestore': '/ro' } }), /additional image stores/);
    await unsure(store({}, { imageCount: 2 }), /podman counts 2/);
    await unsure(store({}, { graphRoot: 'relative' }), /no graph root/);
    await unsure(store({ manifest: { schemaVersion: 2, config: { digest: CONFIG }, annotations: { [PodmanAnnotation.RuntimeName]: 'runc' } } }), /no media type/);
    await unsure(store({ manifest: { schemaVersion: 2, mediaType: OCI, config: { digest: CONFIG }, annotations: { [PodmanAnnotation.RuntimeName]: 1 } } }), /not a string/);
    await unsure(store({ config: { created: 'yesterday' } }), /creation time/);
    await unsure(store({ layers: [{ id: 'top', 'diff-size': 3 }] }), /no recorded size/);
    await unsure(store({ layers: [] }), /not in layers.json/);
    const record = { id: hex('a'), layer: 'top', 'big-data-names': ['manifest', CONFIG], 'big-data-sizes': { manifest: 1, [CONFIG]: 1 } };
    await unsure(store({ images: [{ ...record, names: [`localhost/web:1@sha256:${hex('d')}`] }] }), /does not parse/);
    await unsure(store({ images: [{ ...record, names: ['localhost/Upper:1'] }] }), /does not parse/);
    await unsure(store({ images: [{ ...record, 'big-data-sizes': {} }] }), /no recorded size/);
    await unsure(store({ images: [{ ...record, 'big-data-names': [CONFIG] }] }), /has no manifest/);
  });

  it('refuses IDs that are not hex (no path out of the store), linked files and files gone', async () => {
    const escape = store({ images: [{ id: '../../../etc', 'big-data-names': ['manifest'] }] });
    await unsure(escape, /not 64 hex digits/);
    const linked = store();
    const manifest = join(linked.graphRoot, 'overlay-images', hex('a'), 'manifest');
    rmSync(manifest);
    await unsure(linked, /ENOENT|no such file/);
    symlinkSync('/etc/passwd', manifest);
    await unsure(linked, /symbolic link/);
    await unsure(store({}, { graphRoot: join(base, 'nowhere') }), /ENOENT|no such file/);
  });
});
