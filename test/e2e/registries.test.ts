/**
 * Sharing a checkpoint through a registry, in the real workbench (code-server) in real Chromium, as a person
 * does it: add a registry, push a checkpoint image to it, find the tag with its annotations in the Registries
 * view, inspect it, then pull and restore it. Real podman + CRIU, a real registry (distribution) on loopback.
 * Screenshots of every step go to .test-artifacts/e2e/registries/.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Workbench } from '../vscode/harness/browser.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { ALNUM, fake, fakes, secretHolderRun } from '../support/fakeSecrets.js';
import { BASE_IMAGE, hostCriuPattern, podman, readCounter, startCounter, TEST_LABEL, testPodman, testResources, uniqueName, waitForCounter } from '../support/stack.js';
import { artifactsDir, openWorkbench, pickInQuickInput, quickInput, shownNotification, stepsOf, type E2eWorkbench } from './support.js';

/** A little more than the 100 ms after which a context menu's items take clicks (menu.ts, BaseMenuActionViewItem). */
const MENU_ARMS_MS = 250;

describe('Registries in a real workbench', { concurrency: false, timeout: 600_000 }, () => {
  const res = testResources();
  const counter = uniqueName('e2e-reg');
  const image = `localhost/${counter}:ckpt`;
  const restored = `${counter}-pulled`;
  const repository = 'team/counter';
  const tag = 'shared-1';
  let registry: TestRegistry | undefined;
  let session: E2eWorkbench | undefined;
  let wb: Workbench;
  let frozenAt = 0;
  /** HOST:PORT/team/counter:shared-1, known once the registry runs. */
  let reference = '';

  before(async () => {
    res.containers.push(counter, restored);
    res.images.push(image);
    await startCounter(counter);
    await waitForCounter(counter, 20);
    // The checkpoint image itself is workbench.test.ts's subject (made there from the palette): here, podman's.
    await testPodman().checkpoint(counter, { kind: 'image', name: image });
    frozenAt = Number(await podman('logs', '--tail', '1', counter));
    registry = await startRegistry('none');
    reference = `${registry.host}/${repository}:${tag}`;
    // Pull and Restore names the pulled image in podman as its reference.
    res.images.push(reference);
    session = await openWorkbench('ckpt-e2e-reg-', artifactsDir('registries'));
    wb = session.wb;
  });

  after(async () => {
    await session?.close();
    await registry?.stop();
  });

  const step = stepsOf(() => session, 90_000);
  const host = () => registry!.host;

  /** The view pane (Containers, Checkpoint Images, Registries) under its header title. */
  const pane = (title: string) =>
    wb.page.locator('.pane', { has: wb.page.locator('.pane-header h3.title', { hasText: new RegExp(`^${title}$`, 'i') }) });
  /** The row of a view whose label is exactly `label` (the same name shows in other rows and views too). */
  const viewRow = (view: string, label: string) =>
    pane(view).locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: new RegExp(`^${escape(label)}$`) }) });
  const registriesRow = (label: string) => viewRow('Registries', label);
  const quickInputTitled = (text: string) => wb.page.locator('.quick-input-widget').getByText(text);
  const shown = (text: string) => shownNotification(wb, text);

  /**
   * A screenshot of the progress notification `running` while the work runs. Fast work may end (the toast
   * `finished` shows) before it has slid in: then there is nothing to catch, and no screenshot.
   */
  async function screenshotProgress(running: string, finished: string, name: string): Promise<void> {
    const seen = await Promise.race([
      shown(running).waitFor({ timeout: 90_000 }).then(() => true),
      wb.notification(finished).waitFor({ timeout: 90_000 }).then(() => false),
    ]);
    if (seen) await wb.screenshot(name);
  }

  step('adds the registry from the palette; the Registries view lists it', async () => {
    await wb.page.locator('.activitybar [aria-label^="Checkpoints"]').first().click();
    await viewRow('Containers', counter).waitFor({ timeout: 30_000 });
    await pane('Registries').getByText('Share checkpoint images through an OCI registry').waitFor();
    await wb.runCommand('Checkpoint: Add Registry…');
    await quickInputTitled('Registry host[:port]').waitFor();
    await quickInput(wb).fill(`${host()}/v2`);
    await quickInputTitled('Enter only the host and port, without a path').waitFor();
    await quickInput(wb).fill(host());
    await quickInputTitled('Enter only the host and port, without a path').waitFor({ state: 'hidden' });
    await wb.screenshot('01-add-registry-host');
    await quickInput(wb).press('Enter');
    // A loopback registry is plain HTTP without asking: the next question is whose credentials.
    await wb.page.locator('.quick-input-widget').getByPlaceholder(`Credentials for ${host()}`).waitFor();
    await wb.screenshot('02-add-registry-credentials');
    await pickInQuickInput(wb, 'Use my podman/docker login');
    const row = registriesRow(host());
    await row.waitFor({ timeout: 15_000 });
    assert.match(await row.innerText(), /insecure \(HTTP\)/);
    // Nothing pushed yet: the registry's catalog is empty.
    await pane('Registries').getByText('No repositories yet').waitFor({ timeout: 15_000 });
    await wb.screenshot('03-registry-added');
  });

  step('pushes the checkpoint image after the first-push warning', async () => {
    await wb.runCommand('Checkpoint: Push Checkpoint Image…');
    await pickInQuickInput(wb, image);
    await wb.page.locator('.quick-input-widget').getByPlaceholder('Pick a registry').waitFor();
    await pickInQuickInput(wb, host());
    await quickInputTitled(`Repository in ${host()}`).waitFor();
    // Prefilled from the checkpointed container's name.
    assert.equal(await quickInput(wb).inputValue(), counter);
    await quickInput(wb).fill(repository);
    await quickInput(wb).press('Enter');
    await quickInputTitled(`Tag in ${host()}/${repository}`).waitFor();
    // Prefilled from the image's own tag.
    assert.equal(await quickInput(wb).inputValue(), 'ckpt');
    await quickInput(wb).fill(tag);
    await wb.screenshot('04-push-tag');
    await quickInput(wb).press('Enter');

    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.getByText(`Push a checkpoint to ${host()}?`).waitFor();
    assert.match(await dialog.innerText(), /secrets, tokens and keys/);
    // The push scanned the image first: the counter holds none.
    assert.match(await dialog.innerText(), /found no secrets/);
    await wb.screenshot('05-push-warning');
    await dialog.getByRole('button', { name: 'Push', exact: true }).click();

    await screenshotProgress(`Pushing ${image} to ${reference}`, `Pushed ${image} to ${reference}.`, '06-push-progress');
    const done = shown(`Pushed ${image} to ${reference}.`);
    await done.waitFor({ timeout: 45_000 });
    await done.getByRole('button', { name: 'Copy Reference' }).waitFor();
    await wb.screenshot('07-pushed');
  });

  step('shows the pushed tag as a checkpoint image and inspects it from the Registries view', async () => {
    const repoRow = registriesRow(repository);
    await repoRow.waitFor({ timeout: 15_000 });
    await repoRow.click();
    const tagRow = registriesRow(tag);
    await tagRow.waitFor({ timeout: 15_000 });
    // The description comes from the manifest's annotations: the checkpointed container's name first.
    assert.match(await tagRow.locator('.label-description').innerText(), new RegExp(`^${counter} · `));
    // Hovering shows the inline actions and, in the tooltip, the annotations read from the manifest.
    await tagRow.hover();
    await tagRow.getByRole('button', { name: 'Pull and Restore…' }).waitFor();
    const tooltip = wb.page.locator('.monaco-hover', { hasText: `Container: ${counter}` });
    await tooltip.waitFor({ timeout: 15_000 });
    assert.match(await tooltip.innerText(), new RegExp(`CRIU: ${hostCriuPattern()}`));
    await wb.screenshot('08-registry-tag');

    // A click on a checkpoint tag inspects it.
    await tagRow.click();
    const view = wb.webview();
    await view.locator('h1').getByText(reference, { exact: true }).waitFor({ timeout: 60_000 });
    const criuRow = view.locator('tr', { has: view.locator('th', { hasText: /^CRIU$/ }) });
    assert.match(await criuRow.innerText(), new RegExp(`${hostCriuPattern()}\\s+${hostCriuPattern()}`));
    const nameRow = view.locator('tr', { has: view.locator('th', { hasText: /^Name$/ }) });
    assert.match(await nameRow.innerText(), new RegExp(counter));
    await wb.screenshot('09-inspect-registry-tag');
  });

  step('pulls and restores the tag under a new name; the restored counter goes on', async () => {
    await wb.runCommand('View: Close All Editors');
    const tagRow = registriesRow(tag);
    await tagRow.click({ button: 'right' });
    const item = wb.page.getByRole('menuitem', { name: 'Pull and Restore…' });
    await item.waitFor();
    // VS Code's menu items listen for the mouse only 100 ms after they render (so the mouse-up of the right click
    // that opened the menu picks nothing); there is no state to wait for, and no person clicks faster.
    await wb.page.waitForTimeout(MENU_ARMS_MS);
    await item.click();
    // The original container still exists (checkpointed, stopped), so the restored one needs another name.
    await quickInputTitled(`"${counter}" still exists`).waitFor();
    await quickInput(wb).fill(restored);
    await wb.screenshot('10-restore-name');
    await quickInput(wb).press('Enter');
    await quickInputTitled('New IP address').waitFor();
    await quickInput(wb).press('Enter');
    const done = `Restored ${restored} from ${reference}; it is running.`;
    await screenshotProgress(`Restoring ${reference}`, done, '11-restore-progress');
    await wb.notification(done).waitFor({ timeout: 90_000 });

    const row = viewRow('Containers', restored);
    await row.waitFor({ timeout: 15_000 });
    assert.match(await row.innerText(), /restored/);
    assert.equal(await podman('inspect', '--format', '{{.State.Status}}', restored), 'running');
    // The layer was read from the registry into an archive for the restore: podman keeps no copy of the image.
    await assert.rejects(podman('image', 'exists', reference));
    const first = await readCounter(restored);
    assert.ok(first >= frozenAt, `restored counter ${first} restarted below ${frozenAt}`);
    await waitForCounter(restored, first + 5);
    await wb.screenshot('12-restored-from-registry');
  });

  step('a push of a checkpoint holding secrets lists them in the dialog; Cancel pushes nothing', async () => {
    const holder = uniqueName('e2e-secrets');
    const secretImage = `localhost/${holder}:ckpt`;
    res.containers.push(holder);
    res.images.push(secretImage);
    const token = fakes.github();
    const password = fake(ALNUM, 20);
    await podman('run', ...secretHolderRun(holder, TEST_LABEL, BASE_IMAGE, { token, password }));
    for (let tries = 0; (await podman('exec', holder, 'cat', '/tmp/ready').catch(() => '')) !== 'ready'; tries++) {
      assert.ok(tries < 100, `${holder} did not plant its secrets`);
      await wb.page.waitForTimeout(100);
    }
    await testPodman().checkpoint(holder, { kind: 'image', name: secretImage });
    // Listed (podman's event seen) before the push's picker lists the images.
    await viewRow('Checkpoint Images', secretImage).waitFor({ timeout: 30_000 });

    await wb.runCommand('View: Close All Editors');
    await wb.runCommand('Checkpoint: Push Checkpoint Image…');
    await pickInQuickInput(wb, secretImage);
    await wb.page.locator('.quick-input-widget').getByPlaceholder('Pick a registry').waitFor();
    await pickInQuickInput(wb, host());
    await quickInputTitled(`Repository in ${host()}`).waitFor();
    await quickInput(wb).fill('team/secrets');
    await quickInput(wb).press('Enter');
    await quickInputTitled(`Tag in ${host()}/team/secrets`).waitFor();
    await quickInput(wb).press('Enter');

    // The registry was warned about before: this dialog is the scan's, and it names what it found.
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.getByText(`${secretImage} holds`).waitFor({ timeout: 60_000 });
    const text = await dialog.innerText();
    assert.match(text, /1 GitHub token/);
    assert.match(text, /GitHub token ghp_… \(40 chars\) in the memory of process 1 \(sh\)/);
    assert.match(text, /API_PASSWORD=\S+… \(20 chars\) in the environment of processes 1, \d+/);
    assert.ok(!text.includes(token) && !text.includes(password), 'the dialog shows a secret');
    await wb.screenshot('13-push-secrets');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const tags = await fetch(`http://${host()}/v2/team/secrets/tags/list`);
    assert.equal(tags.status, 404, 'the cancelled push reached the registry');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
