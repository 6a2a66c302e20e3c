import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { openLayout } from '../../../src/engine/layout/index.js';
import { MediaType, OciAnnotation, parseIndex, sha256Digest, type Digest } from '../../../src/engine/oci/index.js';
import { code, scratchStore, writeImage } from './support.js';

function blobFiles(root: string): string[] {
  return readdirSync(join(root, 'blobs', 'sha256'));
}

describe('layout store: blobs', () => {
  it('creates a layout that is private to its owner, and opens it again', async () => {
    const store = await scratchStore();
    assert.deepEqual(JSON.parse(readFileSync(join(store.path, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    assert.deepEqual(parseIndex(readFileSync(join(store.path, 'index.json'))).manifests, []);
    assert.equal(statSync(join(store.path, 'blobs', 'sha256')).mode & 0o777, 0o700);
    assert.deepEqual(await (await openLayout(store.path, { create: true })).tags(), []);
    assert.deepEqual(await (await openLayout(store.path)).tags(), []);
  });

  it('refuses a folder that is not a layout', async () => {
    const store = await scratchStore();
    const other = join(store.path, '..', 'plain');
    mkdirSync(other);
    await assert.rejects(openLayout(other), (err) => code(err) === 'INVALID_LAYOUT');
    writeFileSync(join(other, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await assert.rejects(openLayout(other), /version "2.0.0"/);
  });

  it('writes a stream, reports progress, and reads it back checked', async () => {
    const store = await scratchStore();
    const progress: number[] = [];
    const { digest, size } = await store.writeBlob(Readable.from([Buffer.from('abc'), Buffer.from('def')]), { onProgress: (n) => progress.push(n) });
    assert.equal(digest, sha256Digest('abcdef'));
    assert.equal(size, 6);
    assert.deepEqual(progress, [3, 6]);
    assert.equal(statSync(join(store.path, 'blobs', 'sha256', digest.slice(7))).mode & 0o777, 0o600);
    assert.equal(await text(await store.openBlob(digest, { size: 6 })), 'abcdef');
    assert.equal((await store.readBlob(digest)).toString(), 'abcdef');
    assert.equal(await store.hasBlob(digest, 6), true);
    assert.equal(await store.hasBlob(digest, 7), false);
  });

  it('refuses content that does not match what was expected, leaving nothing behind', async () => {
    const store = await scratchStore();
    const expected = { digest: sha256Digest('good'), size: 4 };
    await assert.rejects(store.writeBlob(Buffer.from('evil'), { expected }), (err) => code(err) === 'DIGEST_MISMATCH');
    await assert.rejects(store.writeBlob(Buffer.from('goodness'), { expected }), (err) => code(err) === 'DIGEST_MISMATCH');
    assert.deepEqual(blobFiles(store.path), []);
  });

  it('skips a blob already present with the expected digest and size', async () => {
    const store = await scratchStore();
    const first = await store.writeBlob(Buffer.from('same'));
    const source = Readable.from((async function* () {
      yield Buffer.from('never read');
    })());
    const again = await store.writeBlob(source, { expected: first });
    assert.deepEqual(again, first);
    assert.equal(source.destroyed, true);
  });

  it('stops on abort with CANCELLED and removes its temp file', async () => {
    const store = await scratchStore();
    const controller = new AbortController();
    async function* slow() {
      yield Buffer.alloc(1024);
      controller.abort();
      await new Promise((r) => setTimeout(r, 50));
      yield Buffer.alloc(1024);
    }
    await assert.rejects(store.writeBlob(slow(), { signal: controller.signal }), (err) => code(err) === 'CANCELLED');
    assert.deepEqual(blobFiles(store.path), []);
    await assert.rejects(store.openBlob(sha256Digest('x'), { signal: controller.signal }), (err) => code(err) === 'CANCELLED');
  });

  it('stops a read half way on abort with CANCELLED', async () => {
    const store = await scratchStore();
    const { digest } = await store.writeBlob(Buffer.alloc(4 << 20));
    const controller = new AbortController();
    const stream = await store.openBlob(digest, { signal: controller.signal });
    stream.once('data', () => controller.abort());
    await assert.rejects(text(stream), (err) => code(err) === 'CANCELLED');
  });

  it('reports a missing blob as BLOB_NOT_FOUND', async () => {
    const store = await scratchStore();
    await assert.rejects(store.openBlob(sha256Digest('absent')), (err) => code(err) === 'BLOB_NOT_FOUND');
    await assert.rejects(store.readBlob(sha256Digest('absent')), (err) => code(err) === 'BLOB_NOT_FOUND');
  });
});

describe('layout store: tags', () => {
  it('tags, lists, resolves, replaces and untags', async () => {
    const store = await scratchStore();
    const one = await writeImage(store, ['layer one'], { 'io.podman.annotations.checkpoint.name': 'web' });
    const two = await writeImage(store, ['layer two']);
    await store.tag('web:1', one);
    await store.tag('localhost/team/web:2', two);
    assert.deepEqual((await store.tags()).map((t) => t.name), ['web:1', 'localhost/team/web:2']);
    const resolved = await store.resolve('web:1');
    assert.equal(resolved.digest, one.digest);
    assert.equal(resolved.annotations?.[OciAnnotation.RefName], 'web:1');
    await store.tag('web:1', two);
    assert.equal((await store.resolve('web:1')).digest, two.digest);
    assert.equal((await store.tags()).length, 2, 'replacing a tag leaves one entry for it');
    assert.equal(await store.untag('web:1'), true);
    assert.equal(await store.untag('web:1'), false);
    await assert.rejects(store.resolve('web:1'), (err) => code(err) === 'IMAGE_NOT_FOUND');
    assert.equal(await store.removeManifest(two.digest), 1);
    assert.deepEqual(await store.tags(), []);
  });

  it('refuses tags outside the reference grammar', async () => {
    const store = await scratchStore();
    const image = await writeImage(store, ['x']);
    for (const bad of ['', '../x', 'a b', 'a\nb', '-a', 'a/', 'x'.repeat(256)]) {
      await assert.rejects(store.tag(bad, image), (err) => code(err) === 'INVALID_ARGUMENT', bad);
    }
  });

  it('will not tag an image whose blobs are not all in, and leaves index.json untouched', async () => {
    const store = await scratchStore();
    const image = await writeImage(store, ['a', 'b']);
    const before = readFileSync(join(store.path, 'index.json'));
    const manifest = JSON.parse((await store.readBlob(image.digest)).toString()) as { layers: Array<{ digest: Digest }> };
    rmSync(join(store.path, 'blobs', 'sha256', manifest.layers[1]!.digest.slice(7)));
    await assert.rejects(store.tag('half', image), (err) => code(err) === 'BLOB_NOT_FOUND' && /cannot tag half/.test((err as Error).message));
    await assert.rejects(store.tag('nothing', { mediaType: MediaType.OciManifest, digest: sha256Digest('none'), size: 4 }), (err) => code(err) === 'BLOB_NOT_FOUND');
    assert.deepEqual(readFileSync(join(store.path, 'index.json')), before);
    assert.equal(existsSync(join(store.path, '.ckpt-lock')), false, 'the lock is released after a failure');
  });
});
