/**
 * Inside a checkpoint, in the real workbench (code-server) in real Chromium, as a person looks: the reference
 * container of issue 12 (support/richCheckpoint) checkpointed into a podman image, expanded in the Checkpoint
 * Images view (processes with their command line on hover, open files, sockets, mounts), then the inspect page's
 * tabs, with a search of the processes' memory; and a checkpoint whose process name and open file are markup,
 * shown as text. Screenshots of every step go to .test-artifacts/e2e/contents/.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Workbench } from '../vscode/harness/browser.js';
import { richCheckpoint, type RichCheckpoint } from '../support/richCheckpoint.js';
import { BASE_IMAGE, podman, TEST_LABEL, testResources, uniqueName } from '../support/stack.js';
import { artifactsDir, openWorkbench, pickInQuickInput, stepsOf, type E2eWorkbench } from './support.js';

describe('Inside a checkpoint in a real workbench', { concurrency: false, timeout: 600_000 }, () => {
  const res = testResources();
  const image = `localhost/${uniqueName('e2e-contents')}:ckpt`;
  const hostile = uniqueName('e2e-contents-hostile');
  const hostileImage = `localhost/${hostile}:ckpt`;
  // The shell renames itself (comm) and holds open a file whose name is markup.
  const hostileComm = '<i>x</i>';
  const hostileFile = '/tmp/<img src=x onerror=alert(1)>';
  let rich: RichCheckpoint;
  let session: E2eWorkbench | undefined;
  let wb: Workbench;

  before(async () => {
    res.images.push(image, hostileImage);
    rich = await richCheckpoint(res.dir, { onStarted: (name) => res.containers.push(name) });
    await podman('container', 'checkpoint', '--leave-running', '--create-image', image, rich.container);
    res.containers.push(hostile);
    await podman('run', '-d', '--name', hostile, '--label', TEST_LABEL, BASE_IMAGE, 'sh', '-c',
      `printf '${hostileComm}' > /proc/$$/comm; exec 5>'${hostileFile}'; sleep 100000 & wait`);
    await podman('container', 'checkpoint', '--create-image', hostileImage, hostile);
    session = await openWorkbench('ckpt-e2e-contents-', artifactsDir('contents'));
    wb = session.wb;
  });
  after(async () => {
    await session?.close();
  });

  const step = stepsOf(() => session, 90_000);
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  /** The tree row whose label is exactly `label`. */
  const row = (label: string) => wb.page.locator('.pane-body .monaco-list-row', { has: wb.page.locator('.label-name', { hasText: new RegExp(`^${escape(label)}$`) }) });
  /** Drags the side bar's edge by `pixels`. */
  const widenSideBar = async (pixels: number) => {
    const side = (await wb.page.locator('.part.sidebar').boundingBox())!;
    await wb.page.mouse.move(side.x + side.width + 1, side.y + side.height / 2);
    await wb.page.mouse.down();
    await wb.page.mouse.move(side.x + side.width + 1 + pixels, side.y + side.height / 2, { steps: 5 });
    await wb.page.mouse.up();
  };
  const paneHeader = (title: string) => wb.page.locator('.pane-header', { has: wb.page.locator('h3.title', { hasText: new RegExp(`^${title}$`, 'i') }) });

  step('expands the checkpoint image into its processes, with the command line on hover', async () => {
    await wb.page.locator('.activitybar [aria-label^="Checkpoints"]').first().click();
    await row(image).waitFor({ timeout: 60_000 });
    // Room for the tree: the other two views folded away, the side bar widened by its sash.
    for (const title of ['Containers', 'Registries']) await paneHeader(title).click();
    await widenSideBar(300);
    // The twistie: a click on the label inspects the image.
    await row(image).locator('.monaco-tl-twistie').click();
    await row('Processes').waitFor({ timeout: 60_000 });
    for (const section of ['Open Files', 'Sockets', 'Mounts']) await row(section).waitFor();
    await row('Processes').click();
    await row('1 sh').waitFor();
    const sleeps = wb.page.locator('.pane-body .monaco-list-row', { hasText: rich.planted.cmdlines.subshellChild });
    await sleeps.first().waitFor();
    await wb.screenshot('01-tree-processes');
    const hover = wb.page.locator('.monaco-hover', { hasText: 'Command line: sh -c' });
    // A refresh of the view (podman events from any container) redraws the rows and takes the hover away: hover again.
    for (let tries = 1; ; tries++) {
      await wb.page.mouse.move(0, 0);
      await row('1 sh').hover();
      const shown = await hover.waitFor({ timeout: 5_000 }).then(() => true, () => false);
      if (shown) break;
      assert.ok(tries < 4, 'no tooltip on the process after 4 hovers');
    }
    assert.match(await hover.innerText(), /Credentials: uid 0 gid 0/);
    await wb.screenshot('02-tree-process-hover');
  });

  step('lists the open files, the sockets and the mounts', async () => {
    await wb.page.keyboard.press('Escape');
    await row('Processes').click();
    await row('Open Files').click();
    await row(`${rich.planted.heldFd} → ${rich.planted.heldFile}`).waitFor({ timeout: 15_000 });
    await wb.screenshot('03-tree-files');
    await row('Open Files').click();
    await row('Sockets').click();
    await wb.page.locator('.pane-body .monaco-list-row', { hasText: rich.planted.unixSocket }).first().waitFor();
    await wb.page.locator('.pane-body .monaco-list-row', { hasText: `:${rich.planted.httpPort} ` }).first().waitFor();
    await wb.screenshot('04-tree-sockets');
    await row('Sockets').click();
    await row('Mounts').click();
    await row('/proc').waitFor();
    await wb.screenshot('05-tree-mounts');
  });

  step('the inspect page: Overview, then the Processes tab with the command line and environment', async () => {
    // The room goes back to the page.
    await widenSideBar(-300);
    await wb.runCommand('Checkpoint: Inspect Checkpoint Image');
    await pickInQuickInput(wb, image);
    const view = wb.webview();
    await view.locator('h1').getByText(image).waitFor({ timeout: 60_000 });
    // The Checkpoint group is there once the contents are read.
    await view.locator('h2', { hasText: /^Checkpoint$/ }).waitFor({ timeout: 60_000 });
    await wb.notification('Reading the checkpoint').waitFor({ state: 'hidden', timeout: 60_000 });
    await wb.screenshot('06-tab-overview');
    await view.getByRole('tab', { name: 'Processes' }).click();
    const shell = view.locator('summary[data-pid="1"]');
    await shell.click();
    const details = view.locator('details.process[open]').first();
    assert.match(await details.innerText(), new RegExp(escape(`${rich.planted.env.name}=${rich.planted.env.value}`)));
    assert.match(await details.innerText(), /Command line\s+sh -c '/);
    await wb.screenshot('07-tab-processes');
  });

  step('Files & Sockets, Memory with a search by address, and Changes', async () => {
    const view = wb.webview();
    await view.getByRole('tab', { name: 'Files & Sockets' }).click();
    await view.locator('#files td', { hasText: rich.planted.heldFile }).first().waitFor();
    await view.locator('#sockets td', { hasText: rich.planted.unixSocket }).first().waitFor();
    await view.locator('#mounts td', { hasText: /^\/proc$/ }).first().waitFor();
    await wb.screenshot('08-tab-files-sockets');

    await view.getByRole('tab', { name: 'Memory' }).click();
    await view.locator('#memory tbody tr').first().waitFor();
    await view.locator('#search-text').fill(rich.planted.memoryString);
    await view.locator('#search-go').click();
    await view.locator('#search-count').waitFor({ timeout: 60_000 });
    const hits = view.locator('#matches tbody tr', { hasText: rich.planted.memoryString });
    await hits.first().waitFor();
    assert.match(await hits.first().innerText(), /^1\s+0x[0-9a-f]+\s/);
    await wb.notification('Searching the memory').waitFor({ state: 'hidden', timeout: 60_000 });
    await wb.screenshot('09-tab-memory-search');

    await view.getByRole('tab', { name: 'Changes' }).click();
    await view.locator('#changes td', { hasText: 'index.html' }).first().waitFor();
    await wb.screenshot('10-tab-changes');
  });

  step('a process name and a file name that are markup show as text, in the tree and in the page', async () => {
    await row(image).locator('.monaco-tl-twistie').click();
    await row(hostileImage).locator('.monaco-tl-twistie').click();
    await row('Processes').click();
    await row(`1 ${hostileComm}`).waitFor({ timeout: 60_000 });
    await wb.runCommand('Checkpoint: Inspect Checkpoint Image');
    await pickInQuickInput(wb, hostileImage);
    const view = wb.webview();
    await view.locator('h1').getByText(hostileImage).waitFor({ timeout: 60_000 });
    await view.getByRole('tab', { name: 'Processes' }).click();
    const shell = view.locator('summary[data-pid="1"]');
    await shell.waitFor({ timeout: 60_000 });
    assert.match(await shell.innerText(), new RegExp(escape(`1 ${hostileComm}`)));
    assert.equal(await view.locator('summary i').count(), 0, 'the name became an element');
    await wb.screenshot('11-hostile-processes');
    await view.getByRole('tab', { name: 'Files & Sockets' }).click();
    await view.locator('#files td', { hasText: hostileFile }).first().waitFor();
    assert.equal(await view.locator('img').count(), 0, 'the file name became an element');
    await wb.screenshot('12-hostile-files');
  });
});
