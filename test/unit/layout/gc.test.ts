import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openLayout } from '../../../src/engine/layout/index.js';
import { canonicalJson, MediaType, sha256Digest, type Digest } from '../../../src/engine/oci/index.js';
import { code, deadPid, scratchStore, writeImage } from './support.js';

function blobNames(root: string): string[] {
  return readdirSync(join(root, 'blobs', 'sha256')).sort();
}

function has(root: string, digest: Digest): boolean {
  return existsSync(join(root, 'blobs', 'sha256', digest.slice(7)));
}

describe('layout store: garbage collection', () => {
  it('frees the blobs only an untagged image used, keeps shared ones, and dry-runs first', async () => {
    const store = await scratchStore();
    const web = await writeImage(store, ['shared', 'web only']);
    const db = await writeImage(store, ['shared', 'db only']);
    await store.tag('web', web);
    await store.tag('db', db);
    assert.deepEqual((await store.gc()).removed, []);

    await store.untag('web');
    const before = blobNames(store.path);
    const dry = await store.gc({ dryRun: true });
    assert.deepEqual(blobNames(store.path), before, 'a dry run deletes nothing');
    const real = await store.gc();
    assert.deepEqual(real.removed.map((b) => b.digest).sort(), dry.removed.map((b) => b.digest).sort());
    // The web manifest, its config and its own layer; the shared layer stays.
    assert.equal(real.removed.length, 3);
    assert.ok(real.removed.some((b) => b.digest === web.digest));
    assert.ok(real.removed.some((b) => b.digest === sha256Digest('web only')));
    assert.ok(has(store.path, sha256Digest('shared')));
    assert.equal(real.bytesFreed, real.removed.reduce((n, b) => n + b.size, 0));
    assert.deepEqual((await store.verify()).problems, []);
  });

  it('keeps what an index reaches through a nested index', async () => {
    const store = await scratchStore();
    const image = await writeImage(store, ['nested']);
    const inner = canonicalJson({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [image] });
    const innerDesc = { mediaType: MediaType.OciIndex, ...(await store.writeBlob(inner)) };
    const outer = canonicalJson({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [innerDesc] });
    await store.tag('multi', { mediaType: MediaType.OciIndex, ...(await store.writeBlob(outer)) });
    await store.close();
    assert.deepEqual((await store.gc()).removed, []);
    assert.ok(has(store.path, sha256Digest('nested')));
  });

  it('leaves blobs a live writer has not tagged yet, from any handle, until that writer gives them up', async () => {
    const store = await scratchStore();
    const pending = await writeImage(store, ['in flight']);
    const other = await openLayout(store.path);
    assert.deepEqual((await other.gc()).removed, []);
    assert.ok(has(store.path, pending.digest));
    await store.close();
    assert.equal((await other.gc()).removed.length, 3);
    assert.deepEqual(readdirSync(join(store.path, '.ckpt-leases')), []);
  });

  it('cleans temp files and leases of dead writers, not those of live ones', async () => {
    const store = await scratchStore();
    const orphan = await store.writeBlob(Buffer.from('orphan'));
    await store.close();
    const dead = deadPid();
    const leases = join(store.path, '.ckpt-leases');
    mkdirSync(leases, { recursive: true });
    writeFileSync(join(leases, `${dead}-0123456789abcdef`), `${orphan.digest}\n`);
    const blobs = join(store.path, 'blobs', 'sha256');
    writeFileSync(join(blobs, `.ckpt-${dead}-0123456789abcdef.tmp`), 'half a layer');
    writeFileSync(join(store.path, `.ckpt-${dead}-0123456789abcdef.tmp`), '{"half an index');
    writeFileSync(join(blobs, `.ckpt-${process.pid}-0123456789abcdef.tmp`), 'being written');
    const report = await store.gc();
    assert.deepEqual(report.removed.map((b) => b.digest), [orphan.digest]);
    assert.equal(report.tempFiles, 2);
    assert.equal(report.bytesFreed, 'orphan'.length + 'half a layer'.length + '{"half an index'.length);
    assert.deepEqual(blobNames(store.path), [`.ckpt-${process.pid}-0123456789abcdef.tmp`]);
    assert.deepEqual(readdirSync(leases), []);
  });

  it('goes on past a missing manifest but stops, deleting nothing, at a damaged one', async () => {
    const store = await scratchStore();
    const image = await writeImage(store, ['kept']);
    await store.tag('ok', image);
    const junk = await store.writeBlob(Buffer.from('unreferenced'));
    await store.close();
    const index = JSON.parse(readFileSync(join(store.path, 'index.json'), 'utf8')) as { manifests: unknown[] };
    index.manifests.push({ mediaType: MediaType.OciManifest, digest: sha256Digest('gone'), size: 4 });
    writeFileSync(join(store.path, 'index.json'), JSON.stringify(index));
    assert.deepEqual((await store.gc()).removed.map((b) => b.digest), [junk.digest]);

    writeFileSync(join(store.path, 'blobs', 'sha256', image.digest.slice(7)), '{}');
    const again = await store.writeBlob(Buffer.from('unreferenced'));
    await store.close();
    await assert.rejects(store.gc(), (err) => code(err) === 'INVALID_LAYOUT' && /nothing deleted/.test((err as Error).message));
    assert.ok(has(store.path, again.digest));
  });
});
