/**
 * A dev container checkpoint restored into a teammate's clone of the workspace, in the real workbench
 * (code-server) in real Chromium, as a person does it: the warning before a checkpoint that leaves a process
 * started with exec out, the preflight dialog before the restore (the workspace mount moved to this folder),
 * the notification with the ways into the container, a terminal inside it, and the refusal of an image that
 * asks to bind-mount the host's /etc. Real podman + CRIU and the
 * devcontainers CLI. Screenshots of every step go to .test-artifacts/e2e/devcontainer/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { Workbench } from '../vscode/harness/browser.js';
import { devcontainer, ensureDevImage, git, makeRepository } from '../support/devcontainer.js';
import { BASE_IMAGE, podman, readCounter, TEST_LABEL, testPodman, testResources, uniqueName, waitForCounter } from '../support/stack.js';
import { artifactsDir, createImageFromPalette, openWorkbench, pickInQuickInput, quickInput, shownNotification, stepsOf, treeRow, type E2eWorkbench } from './support.js';

describe('Restore as Dev Container in a real workbench', { concurrency: false, timeout: 600_000 }, () => {
  const res = testResources();
  const image = `localhost/${uniqueName('e2e-devc')}:ckpt`;
  const hostile = uniqueName('e2e-hostile');
  const hostileImage = `localhost/${hostile}:ckpt`;
  let alice = '';
  let bob = '';
  /** alice's dev container: its podman name, as the views show it. */
  let original = '';
  let restored = '';
  let frozenAt = 0;
  let session: E2eWorkbench | undefined;
  let wb: Workbench;

  before(async () => {
    res.images.push(image, hostileImage);
    res.containers.push(hostile, `${hostile}-restored`);
    await podman('run', '-d', '--name', hostile, '--label', TEST_LABEL, '-v', '/etc:/host-etc:ro', BASE_IMAGE, 'sleep', '1000');
    await testPodman().checkpoint(hostile, { kind: 'image', name: hostileImage });
    await ensureDevImage();
    alice = makeRepository(join(res.dir, 'alice', 'shop'));
    const up = JSON.parse(await devcontainer('up', '--workspace-folder', alice)) as { containerId: string };
    res.containers.push(up.containerId);
    original = await podman('inspect', '--format', '{{.Name}}', up.containerId);
    await waitForCounter(original, 20);
    // A terminal or debugger attached with exec: what the checkpoint leaves out, and the dialog says so.
    await podman('exec', '-d', original, 'sleep', '1000');
    bob = join(res.dir, 'bob', 'shop');
    git(res.dir, 'clone', '-q', alice, bob);
    // The DOM renderer puts the terminal's text in the page, where the test can read it.
    session = await openWorkbench('ckpt-e2e-devc-', artifactsDir('devcontainer'), { folder: bob, settings: { 'terminal.integrated.gpuAcceleration': 'off' } });
    wb = session.wb;
  });

  after(async () => {
    await session?.close();
    // The restored container is found by the label the restore gave it (its name is chosen by the command).
    const mine = await podman('ps', '-a', '-q', '--filter', `label=devcontainer.local_folder=${bob}`).catch(() => '');
    for (const id of mine.split('\n').filter(Boolean)) await podman('rm', '-f', '-t', '0', id);
  });

  const step = stepsOf(() => session, 120_000);
  const dialog = () => wb.page.locator('.monaco-dialog-box');

  step("opens on bob's clone and lists alice's dev container", async () => {
    await wb.page.locator('.activitybar [aria-label^="Checkpoints"]').first().click();
    const row = treeRow(wb, original);
    await row.waitFor({ timeout: 30_000 });
    assert.match(await row.innerText(), /dev container: shop/);
    await wb.screenshot('01-dev-container-listed');
  });

  step('warns that the process started with exec is not in the checkpoint, then checkpoints anyway', async () => {
    await createImageFromPalette(wb, original, image);
    await dialog().getByText(`1 process in ${original} will not be in the checkpoint`).waitFor({ timeout: 30_000 });
    assert.match(await dialog().innerText(), /\d+\s+sleep 1000/);
    await wb.screenshot('02-exec-process-warning');
    await dialog().getByRole('button', { name: 'Checkpoint Anyway', exact: true }).click();
    await wb.notification(`Checkpointed ${original} into ${image}`).waitFor({ timeout: 90_000 });
    frozenAt = Number(await podman('logs', '--tail', '1', original));
  });

  step("shows the preflight (the workspace mount moved to this folder) and restores as this folder's dev container", async () => {
    await wb.runCommand('Checkpoint: Restore as Dev Container for This Workspace');
    await pickInQuickInput(wb, image);
    await dialog().getByText(`Restore ${image} as the dev container of shop?`).waitFor({ timeout: 60_000 });
    assert.match(await dialog().innerText(), new RegExp(`host path ${bob} \\(recorded as ${alice}\\) is mounted at /workspaces/shop \\(read-write\\), inside the workspace`));
    await wb.screenshot('03-preflight-dialog');
    await dialog().getByRole('button', { name: 'Restore Anyway', exact: true }).click();

    const done = shownNotification(wb, `as the dev container of ${bob}; it is running.`);
    await done.waitFor({ timeout: 90_000 });
    restored = /Restored (\S+) from/.exec(await done.innerText())![1]!;
    await done.getByRole('button', { name: 'Open Terminal' }).waitFor();
    await done.getByRole('button', { name: 'Show Logs' }).waitFor();
    await wb.screenshot('04-restored-notification');
    const first = await readCounter(restored);
    assert.ok(first >= frozenAt, `the restored counter ${first} restarted below ${frozenAt}`);
    await waitForCounter(restored, first + 5);
    assert.equal(await podman('inspect', '--format', '{{index .Config.Labels "devcontainer.local_folder"}}', restored), bob);
  });

  step('Open Terminal gives a shell inside the restored container', async () => {
    await shownNotification(wb, `as the dev container of ${bob}`).getByRole('button', { name: 'Open Terminal' }).click();
    const terminal = wb.page.locator('.terminal-wrapper.active .xterm');
    await terminal.waitFor({ timeout: 30_000 });
    // The shell is up once podman lists it in the container (outside the checkpointed tree: it came with exec).
    const shellStarted = async () => (await testPodman().processesOutsideCheckpoint(restored)).some((p) => p.command === 'sh');
    for (const end = Date.now() + 30_000; !(await shellStarted()); await new Promise((r) => setTimeout(r, 200))) {
      assert.ok(Date.now() < end, 'no shell in the restored container');
    }
    await terminal.click();
    await wb.page.keyboard.type('cat /workspaces/shop/README; echo count=$(cat /tmp/count)');
    await wb.page.keyboard.press('Enter');
    await terminal.locator('.xterm-rows').getByText(/^count=\d+/).first().waitFor({ timeout: 15_000 });
    assert.match(await terminal.locator('.xterm-rows').innerText(), /the shop service/);
    await wb.screenshot('05-terminal-in-container');
  });

  step("refuses an image that asks to bind-mount the host's /etc: an error dialog, no Restore Anyway", async () => {
    await wb.runCommand('Checkpoint: Restore from Checkpoint Image…');
    await pickInQuickInput(wb, hostileImage);
    await wb.page.locator('.quick-input-widget').getByText('still exists').waitFor();
    await quickInput(wb).press('Enter');
    await wb.page.locator('.quick-input-widget').getByText('New IP address').waitFor();
    await quickInput(wb).press('Enter');
    await dialog().getByText(`Cannot restore ${hostileImage}: the preflight found 1 problem`).waitFor({ timeout: 60_000 });
    assert.match(await dialog().innerText(), /the checkpoint asks to bind-mount the host's \/etc at \/host-etc \(read-only\)/);
    assert.equal(await dialog().getByRole('button', { name: 'Restore Anyway' }).count(), 0);
    await wb.screenshot('06-hostile-image-refused');
    await wb.page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'hidden' });
    await assert.rejects(podman('container', 'exists', `${hostile}-restored`), 'the refused restore created a container');
  });
});
