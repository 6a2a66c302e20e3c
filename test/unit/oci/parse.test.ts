import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalJson,
  childDescriptors,
  Limits,
  MediaType,
  parseImageConfig,
  parseIndex,
  parseManifest,
  sha256Digest,
  type Manifest,
} from '../../../src/engine/oci/index.js';

const config = canonicalJson({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest('layer')] } });
const manifest: Manifest = {
  schemaVersion: 2,
  mediaType: MediaType.OciManifest,
  config: { mediaType: MediaType.OciConfig, digest: sha256Digest(config), size: config.length },
  layers: [{ mediaType: MediaType.OciLayerGzip, digest: sha256Digest('gz'), size: 2 }],
  annotations: { 'io.podman.annotations.checkpoint.name': 'web' },
};

function code(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

/** The manifest with one field replaced, as bytes. */
function tampered(path: string[], value: unknown): Buffer {
  const copy = JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>;
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path.at(-1)!] = value;
  return Buffer.from(JSON.stringify(copy));
}

describe('parseManifest', () => {
  it('reads back what canonicalJson wrote', () => {
    assert.deepEqual(parseManifest(canonicalJson(manifest), { mediaType: MediaType.OciManifest }), manifest);
  });

  it('refuses a Docker v2s2 manifest with a next step', () => {
    assert.throws(() => parseManifest(tampered(['mediaType'], MediaType.DockerManifest)), (err: Error & { hint?: string }) => {
      assert.equal(code(err), 'UNSUPPORTED_MEDIA_TYPE');
      assert.match(err.hint ?? '', /--format oci/);
      return true;
    });
  });

  it('refuses an index given as a manifest, and a type that disagrees with its descriptor', () => {
    const index = canonicalJson({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] });
    assert.throws(() => parseManifest(index), (err) => code(err) === 'UNSUPPORTED_MEDIA_TYPE');
    assert.throws(() => parseManifest(canonicalJson(manifest), { mediaType: MediaType.OciIndex }), /was fetched as/);
  });

  it('refuses a huge manifest before parsing it', () => {
    const huge = Buffer.alloc(Limits.manifestBytes + 1, 0x20);
    assert.throws(() => parseManifest(huge), /more than the 4194304 allowed/);
  });

  const bad: Array<[string, Buffer, RegExp]> = [
    ['invalid JSON', Buffer.from('{"schemaVersion":2,'), /not valid JSON/],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), /not valid JSON/],
    ['an array', Buffer.from('[]'), /not a JSON object/],
    ['schema version 1', tampered(['schemaVersion'], 1), /schemaVersion 1, not 2/],
    ['no layers', tampered(['layers'], undefined), /layers is undefined, not an array/],
    ['a digest that climbs paths', tampered(['layers', '0', 'digest'], 'sha256:../../../etc/passwd'), /layer 1 digest/],
    ['a negative size', tampered(['config', 'size'], -1), /config size/],
    ['a fractional size', tampered(['config', 'size'], 1.5), /config size/],
    ['a size beyond 2^53', tampered(['config', 'size'], 2 ** 60), /config size/],
    ['a size as a string', tampered(['config', 'size'], '12'), /config size/],
    ['a media type with a newline', tampered(['layers', '0', 'mediaType'], 'a/b\nc'), /not a media type/],
    ['a non-string annotation', tampered(['annotations', 'x'], 1), /annotations "x"/],
  ];
  for (const [name, bytes, message] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(() => parseManifest(bytes), (err: Error) => code(err) === 'INVALID_IMAGE' && message.test(err.message));
    });
  }

  it('keeps a __proto__ annotation as a plain key', () => {
    const parsed = parseManifest(Buffer.from(JSON.stringify(manifest).replace('"annotations":{', '"annotations":{"__proto__":"x",')));
    assert.equal(Object.getPrototypeOf(parsed.annotations), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(parsed.annotations, '__proto__')?.value, 'x');
  });
});

describe('parseIndex', () => {
  it("accepts a layout's index.json without a mediaType, and keeps platforms", () => {
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest.config, mediaType: MediaType.OciManifest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }] }));
    const index = parseIndex(bytes);
    assert.equal(index.mediaType, undefined);
    assert.deepEqual(index.manifests[0]?.platform, { os: 'linux', architecture: 'arm64', variant: 'v8' });
  });

  it('refuses a Docker manifest list', () => {
    const list = canonicalJson({ schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [] });
    assert.throws(() => parseIndex(list), (err) => code(err) === 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('parseImageConfig', () => {
  it('reads the fields the engine uses', () => {
    const parsed = parseImageConfig(canonicalJson({ architecture: 'amd64', os: 'linux', config: { Labels: { a: 'b' }, Cmd: null }, rootfs: { type: 'layers', diff_ids: [sha256Digest('x')] }, extra: 1 }));
    assert.deepEqual(parsed, { architecture: 'amd64', os: 'linux', config: { Labels: { a: 'b' } }, rootfs: { type: 'layers', diff_ids: [sha256Digest('x')] } });
  });

  it('refuses a wrong rootfs, a bad diff ID and a non-string label', () => {
    assert.throws(() => parseImageConfig(canonicalJson({ architecture: 'amd64', os: 'linux', rootfs: { type: 'x', diff_ids: [] } })), /rootfs.type/);
    assert.throws(() => parseImageConfig(canonicalJson({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['sha256:x'] } })), /diff ID 1/);
    assert.throws(() => parseImageConfig(canonicalJson({ architecture: 'amd64', os: 'linux', config: { Labels: { a: 1 } }, rootfs: { type: 'layers', diff_ids: [] } })), /Labels "a"/);
  });
});

describe('childDescriptors', () => {
  it('lists config and layers of OCI and Docker manifests, manifests of an index, nothing of a layer', () => {
    const bytes = canonicalJson(manifest);
    assert.deepEqual(childDescriptors(bytes, MediaType.OciManifest), [manifest.config, ...manifest.layers]);
    assert.equal(childDescriptors(bytes, MediaType.DockerManifest).length, 2);
    const index = canonicalJson({ schemaVersion: 2, manifests: [manifest.config] });
    assert.deepEqual(childDescriptors(index, MediaType.OciIndex), [manifest.config]);
    assert.deepEqual(childDescriptors(bytes, MediaType.OciLayer), []);
  });
});
