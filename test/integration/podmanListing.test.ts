/**
 * Checkpoint images listed from containers/storage's own files (storageImages.ts) are what podman says of them:
 * the same images with the same fields as `podman images` + one `podman image inspect`, on the overlay and vfs
 * drivers (private stores of this file's own) and for a checkpoint image podman itself made (the tests' store).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { isolatedStoreArgs, type CheckpointImage } from '../../src/engine/index.js';
import { buildFromArchive } from '../../src/engine/image/buildFromArchive.js';
import { openLayout } from '../../src/engine/layout/index.js';
import { CheckpointImageLister, inspectCheckpointImages } from '../../src/engine/podman/checkpointImages.js';
import { PodmanExec, type PodmanOptions } from '../../src/engine/podman/exec.js';
import { checkpointEntries, tarOf } from '../unit/archive/fixtures.js';
import { PODMAN, podmanArgs, removeContainers, removeImages, startCounter, testPodman, testResources, uniqueName, waitForCounter } from '../support/stack.js';

const run = promisify(execFile);
const TIMEOUT = { timeout: 300_000 };

const byId = (images: CheckpointImage[]) => [...images].sort((a, b) => a.id.localeCompare(b.id));

/** A lister that records whether it had to ask podman instead of reading the files. */
function lister(options: PodmanOptions): { lister: CheckpointImageLister; fellBack: string[] } {
  const fellBack: string[] = [];
  const logger = { debug() {}, warn() {}, info: (m: string) => void (/through podman/.test(m) && fellBack.push(m)) };
  return { lister: new CheckpointImageLister(new PodmanExec({ ...options, logger })), fellBack };
}

async function podmanIn(globalArgs: string[], ...args: string[]): Promise<string> {
  try {
    return (await run(PODMAN, [...globalArgs, ...args], { maxBuffer: 64 << 20 })).stdout.trim();
  } catch (err) {
    throw new Error(`podman ${args.join(' ')}: ${(err as { stderr?: string }).stderr ?? err}`);
  }
}

describe('checkpoint images read from containers/storage', () => {
  const r = testResources();

  for (const driver of ['overlay', 'vfs']) {
    it(`${driver}: the same images and fields as podman image inspect (several names, dangling, index, plain images left out)`, TIMEOUT, async () => {
      // Lower case: podman names an image pulled from a layout after the layout's path. Short: podman refuses a
      // runroot path longer than 50 characters.
      const root = join(tmpdir(), `ckpt-ls-${process.pid}-${driver}`);
      mkdirSync(root);
      const globalArgs = [...isolatedStoreArgs(join(root, 'podman')), '--storage-driver', driver];
      try {
        const layoutDir = join(root, 'layout');
        const layout = await openLayout(layoutDir, { create: true });
        const host = await testPodman().hostFactsForBuild();
        const build = (tag: string, options: { index?: boolean; annotations?: Record<string, string> } = {}) =>
          buildFromArchive(layout, Readable.from([tarOf(checkpointEntries([{ name: 'tag', body: tag }]))]), tag, { host, compression: 'none', ...options });
        await build('one');
        await build('two', { index: true });
        await build('three', { annotations: { 'org.example.note': 'naïve "quoted" ☃', 'org.example.empty': '' } });
        await layout.close();
        const pull = async (tag: string) => (await podmanIn(globalArgs, 'pull', '-q', `oci:${layoutDir}:${tag}`)).split('\n').pop()!;
        const one = await pull('one');
        await podmanIn(globalArgs, 'tag', one, 'localhost/listing/one:1', 'example.com:5000/team/one:v2');
        await podmanIn(globalArgs, 'tag', await pull('two'), 'localhost/listing/two:latest');
        const three = await pull('three');
        await podmanIn(globalArgs, 'untag', three);
        // A plain image (no checkpoint annotations) is in the store and left out.
        writeFileSync(join(root, 'plain.tar'), tarOf([{ name: 'hello', body: 'hi' }]));
        await podmanIn(globalArgs, 'import', '-q', join(root, 'plain.tar'), 'localhost/listing/plain:1');

        const options = { podmanPath: PODMAN, globalArgs };
        const fast = lister(options);
        const first = await fast.lister.list();
        const second = await fast.lister.list();
        const podmans = await inspectCheckpointImages(new PodmanExec(options));
        assert.deepEqual(fast.fellBack, [], 'the files were read, podman was not asked for the images');
        assert.equal(podmans.length, 3);
        assert.deepEqual(byId(first), byId(podmans));
        assert.deepEqual(byId(second), byId(podmans));
        // Podman 5 also keeps the name it gave the pull (docker.io/library/one:latest), and orders names its own way.
        for (const name of ['localhost/listing/one:1', 'example.com:5000/team/one:v2']) assert.ok(first.find((i) => i.id === one)?.names.includes(name), name);
        assert.deepEqual(first.find((i) => i.id === three)?.names, []);
        assert.ok(first.every((i, n) => n === 0 || (first[n - 1]!.created?.getTime() ?? 0) >= (i.created?.getTime() ?? 0)), 'newest first');
      } finally {
        // No container ran there, so nothing is mounted; podman 5's vfs layers may be read-only to rm -rf alone.
        await podmanIn(globalArgs, 'rmi', '-a', '-f').catch(() => undefined);
        rmSync(root, { recursive: true, force: true });
      }
    });
  }

  it('a checkpoint image podman made (container checkpoint --create-image) is listed as podman inspects it', TIMEOUT, async () => {
    const name = uniqueName('listing');
    const image = `localhost/${name}:ckpt`;
    r.containers.push(name);
    r.images.push(image);
    await startCounter(name);
    await waitForCounter(name, 3);
    await testPodman().checkpoint(name, { kind: 'image', name: image });
    await removeContainers(name);
    const [podmans] = await inspectCheckpointImages(new PodmanExec({ podmanPath: PODMAN, globalArgs: podmanArgs })).then((all) => all.filter((i) => i.names.includes(image)));
    assert.ok(podmans, 'podman lists the image it made');
    // The tests' store is shared: another run adding or removing an image meanwhile makes the reader defer to podman.
    for (let attempt = 0; ; attempt++) {
      const fast = lister({ podmanPath: PODMAN, globalArgs: podmanArgs });
      const listed = (await fast.lister.list()).find((i) => i.id === podmans.id);
      if (fast.fellBack.length && attempt < 3) continue;
      assert.deepEqual(fast.fellBack, []);
      assert.deepEqual(listed, podmans);
      break;
    }
    await removeImages(image);
  });
});
