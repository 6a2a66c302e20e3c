/// <reference types="mocha" />
/**
 * A location of many checkpoint images shows its newest page at once and older ones in collapsed pages, each
 * made into tree items only when opened: here 120 images in the window's embedded store.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import * as vscode from 'vscode';
import type { CheckpointStudioApi } from '../../../src/extension/extension.js';
// Types only: this suite is bundled apart from the extension, so its classes are not the extension's (no instanceof).
import type { CheckpointImageNode, ImagePageNode, LocationNode } from '../../../src/extension/tree/CheckpointImageNode.js';
import { IMAGES_PAGE, type ImagesViewNode } from '../../../src/extension/tree/CheckpointImagesProvider.js';
import { checkpointEntries, tarOf } from '../../unit/archive/fixtures.js';
import { activateExtension } from './host.js';

const COUNT = 120;
const run = Date.now().toString(36);

suite('Checkpoint Images view: pages of many images', function () {
  this.timeout(120_000);
  let api: CheckpointStudioApi;
  const tags = Array.from({ length: COUNT }, (_, i) => `paging-${run}-${String(i).padStart(3, '0')}`);

  suiteSetup(async () => {
    api = await activateExtension();
    const host = await api.services.podman().hostFactsForBuild();
    // Built one after another, so the last is the newest and the first page is this suite's newest 50.
    for (const tag of tags) {
      await api.services.store().buildFromArchive(Readable.from([tarOf(checkpointEntries([{ name: 'tag', body: tag }]))]), tag, { host, compression: 'none' });
    }
    await api.services.refresh.now();
  });

  suiteTeardown(async () => {
    for (const tag of tags) await api.services.store().remove(tag);
    await api.services.refresh.now();
  });

  const images = async (groups: ImagesViewNode[]) =>
    (await Promise.all(groups.filter((g) => g.contextValue === 'checkpointImageGroup').map((g) => api.views.images.getChildren(g)))).flat() as CheckpointImageNode[];

  test('the newest page is shown, older images wait in collapsed pages', async () => {
    const location = (await api.views.images.getChildren()).find((n) => n.contextValue === 'location.store') as LocationNode;
    assert.ok(location, 'the embedded store is in the view');
    const total = location.images.length;
    assert.ok(total >= COUNT);
    assert.equal(location.description, `${total} images`);

    const top = await api.views.images.getChildren(location);
    const pages = top.filter((n) => n.contextValue === 'checkpointImagePage') as ImagePageNode[];
    const first = await images(top);
    assert.equal(first.length, IMAGES_PAGE, 'one page of images at first');
    assert.deepEqual(first.map((n) => n.name).sort(), location.images.slice(0, IMAGES_PAGE).map((i) => i.names[0]).sort(), 'the newest ones');
    assert.ok(first.every((n) => tags.includes(n.name!)), "this suite's, built last");
    assert.equal(pages.length, Math.ceil(total / IMAGES_PAGE) - 1);
    assert.ok(pages.every((p) => p.collapsibleState === vscode.TreeItemCollapsibleState.Collapsed));
    assert.equal(pages[0]!.label, `Older images ${IMAGES_PAGE + 1}–${2 * IMAGES_PAGE}`);
    assert.equal(pages[0]!.description, `of ${total}`);

    // Opened one by one, the pages hold every other image once, and the view's IDs stay unique.
    const older = (await Promise.all(pages.map(async (p) => images(await api.views.images.getChildren(p))))).flat();
    const all = [...first, ...older];
    assert.equal(all.length, total);
    assert.ok(tags.every((t) => all.some((n) => n.name === t)));
    const ids = [...all, ...top, ...(await Promise.all(pages.map((p) => api.views.images.getChildren(p)))).flat()].map((n) => n.id);
    assert.equal(new Set(ids).size, ids.length);
  });
});
