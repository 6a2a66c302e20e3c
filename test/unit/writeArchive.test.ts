/** A checkpoint image written out as a checkpoint archive: the layer's tar, recompressed, and nothing else. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { detectCompression, type Compression } from '../../src/engine/archive/index.js';
import { openTar } from '../../src/engine/archive/compression.js';
import { writeArchive } from '../../src/engine/copy/writeArchive.js';
import { blobPath } from '../../src/engine/layout/blobs.js';
import { parseDigest } from '../../src/engine/oci/digest.js';
import { PodmanAnnotation } from '../../src/engine/annotations.js';
import { checkpointEntries, tarOf } from './archive/fixtures.js';
import { code, scratchStore, writeImage } from './layout/support.js';

const CHECKPOINT = { [PodmanAnnotation.Name]: 'web', [PodmanAnnotation.RuntimeName]: 'runc' };
const layer = tarOf(checkpointEntries());

async function checkpointImage(tag: string, annotations: Record<string, string> | undefined = CHECKPOINT, layers: Buffer[] = [layer]) {
  const store = await scratchStore();
  await store.tag(tag, await writeImage(store, layers, annotations));
  return store;
}

describe('writeArchive', () => {
  for (const compression of ['zstd', 'gzip', 'none'] as Compression[]) {
    it(`writes the layer's tar as a ${compression} archive, readable by the owner only`, async () => {
      const store = await checkpointImage('web');
      const file = join(dirname(store.path), `web.${compression}`);
      writeFileSync(file, 'an older export, replaced whole');
      await writeArchive(store, 'web', file, { compression });
      assert.equal(detectCompression(readFileSync(file).subarray(0, 512)), compression);
      const { tar } = await openTar(file, file);
      assert.equal(await text(tar), layer.toString());
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(dirname(file)).filter((n) => n.endsWith('.tmp')), []);
    });
  }

  it('refuses an image that is not a checkpoint image and writes nothing', async () => {
    const store = await checkpointImage('plain', {});
    const file = join(dirname(store.path), 'plain.tar.zst');
    await assert.rejects(writeArchive(store, 'plain', file), (err) => code(err) === 'NOT_A_CHECKPOINT_IMAGE');
    assert.deepEqual(readdirSync(dirname(file)), ['store']);
  });

  it('refuses a checkpoint image of more than one layer', async () => {
    const store = await checkpointImage('two', CHECKPOINT, [layer, layer]);
    await assert.rejects(writeArchive(store, 'two', join(dirname(store.path), 'two.tar')), (err) => code(err) === 'INVALID_IMAGE');
  });

  it('a layer that does not match its digest fails the write and leaves no file', async () => {
    const store = await checkpointImage('bad');
    const [blob] = readdirSync(join(store.path, 'blobs/sha256')).filter((n) => statSync(join(store.path, 'blobs/sha256', n)).size === layer.length);
    const tampered = Buffer.from(layer);
    tampered[600] ^= 1;
    writeFileSync(blobPath(store.path, parseDigest(`sha256:${blob}`)), tampered);
    const file = join(dirname(store.path), 'bad.tar.zst');
    await assert.rejects(writeArchive(store, 'bad', file), (err) => code(err) === 'DIGEST_MISMATCH');
    assert.deepEqual(readdirSync(dirname(file)), ['store']);
  });

  it('cancelled, it leaves no file', async () => {
    const store = await checkpointImage('web');
    const file = join(dirname(store.path), 'cancelled.tar.zst');
    await assert.rejects(writeArchive(store, 'web', file, { signal: AbortSignal.abort() }), (err) => code(err) === 'CANCELLED');
    assert.deepEqual(readdirSync(dirname(file)), ['store']);
  });
});
