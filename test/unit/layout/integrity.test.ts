import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { openLayout } from '../../../src/engine/layout/index.js';
import { sha256Digest, type Digest } from '../../../src/engine/oci/index.js';
import { code, scratchStore, writeImage } from './support.js';

function blob(root: string, digest: Digest): string {
  return join(root, 'blobs', 'sha256', digest.slice(7));
}

async function layersOf(store: Awaited<ReturnType<typeof scratchStore>>, manifest: Digest): Promise<Digest[]> {
  return (JSON.parse((await store.readBlob(manifest)).toString()) as { layers: Array<{ digest: Digest }> }).layers.map((l) => l.digest);
}

describe('layout store: damage', () => {
  it('a blob whose bytes changed fails at the end of the read, and readBlob refuses it', async () => {
    const store = await scratchStore();
    const { digest } = await store.writeBlob(Buffer.from('original'));
    writeFileSync(blob(store.path, digest), 'tampered');
    await assert.rejects(text(await store.openBlob(digest)), (err) => code(err) === 'DIGEST_MISMATCH');
    await assert.rejects(store.readBlob(digest), (err) => code(err) === 'DIGEST_MISMATCH');
    await assert.rejects(store.openBlob(digest, { size: 3 }), /8 bytes, but its descriptor gives 3/);
  });

  it('refuses a symlink or a FIFO where a blob should be, without following or hanging', async () => {
    const store = await scratchStore();
    const outside = join(store.path, '..', 'secret');
    writeFileSync(outside, 'secret');
    const viaLink = sha256Digest('secret');
    symlinkSync(outside, blob(store.path, viaLink));
    await assert.rejects(store.openBlob(viaLink), (err) => code(err) === 'INVALID_LAYOUT');
    await assert.rejects(store.readBlob(viaLink), (err) => code(err) === 'INVALID_LAYOUT');
    const fifo = sha256Digest('fifo');
    execFileSync('mkfifo', [blob(store.path, fifo)]);
    await assert.rejects(store.openBlob(fifo), /not a regular file/);
  });

  it('refuses a store whose blobs folder is a link', async () => {
    const store = await scratchStore();
    const elsewhere = join(store.path, '..', 'elsewhere');
    mkdirSync(elsewhere);
    rmSync(join(store.path, 'blobs'), { recursive: true });
    symlinkSync(elsewhere, join(store.path, 'blobs'));
    await assert.rejects(openLayout(store.path), (err) => code(err) === 'INVALID_LAYOUT');
  });

  it('verify passes a sound store and reports every problem of a damaged one together', async () => {
    const store = await scratchStore();
    const web = await writeImage(store, ['web layer 1', 'web layer 2']);
    const db = await writeImage(store, ['db layer']);
    await store.tag('web', web);
    await store.tag('db', db);
    const progress: number[] = [];
    const sound = await store.verify({ onProgress: (n) => progress.push(n) });
    assert.deepEqual(sound.problems, []);
    assert.equal(sound.blobs, 7);
    assert.equal(progress.at(-1), sound.bytes);

    const [web1, web2] = await layersOf(store, web.digest);
    const [db1] = await layersOf(store, db.digest);
    writeFileSync(blob(store.path, web1!), 'web layer X'); // same size, other bytes
    rmSync(blob(store.path, web2!)); // missing
    appendFileSync(blob(store.path, db1!), '!'); // longer than its descriptor says
    writeFileSync(join(store.path, 'blobs', 'sha256', 'stray'), '');
    const damaged = await store.verify();
    const messages = damaged.problems.map((p) => p.message).join('\n');
    assert.equal(damaged.problems.length, 4, messages);
    assert.match(messages, new RegExp(`blob ${web1} hashes to`));
    assert.match(messages, new RegExp(`blob ${web2} .* of tag "web" is missing`));
    assert.match(messages, new RegExp(`blob ${db1} hashes to`));
    assert.match(messages, /stray is not named by a sha256 digest/);
  });

  it('verify reports a manifest that is unreadable, and an index.json that is', async () => {
    const store = await scratchStore();
    const image = await writeImage(store, ['x']);
    await store.tag('x', image);
    const bad = { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...(await store.writeBlob(Buffer.from('{"layers":"no"}'))) };
    await assert.rejects(store.tag('bad', bad), (err) => code(err) === 'INVALID_IMAGE');
    // Tagging refuses an unreadable manifest, so plant the entry as another tool might have.
    const index = JSON.parse(readFileSync(join(store.path, 'index.json'), 'utf8'));
    index.manifests.push(bad);
    writeFileSync(join(store.path, 'index.json'), JSON.stringify(index));
    assert.match((await store.verify()).problems.map((p) => p.message).join('\n'), /layers is "no", not an array/);
    renameSync(join(store.path, 'index.json'), join(store.path, 'gone.json'));
    assert.match((await store.verify()).problems[0]?.message ?? '', /index\.json/);
  });
});
