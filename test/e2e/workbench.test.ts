/**
 * The extension in a real VS Code workbench (code-server) in real Chromium, installed from its VSIX as users get
 * it and driven as a person would, against real podman + CRIU. Screenshots of every step go to .test-artifacts/e2e/.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe } from 'node:test';
import type { Workbench } from '../vscode/harness/browser.js';
import {
  ensureStack,
  hostCriuPattern,
  podman,
  readCounter,
  removeContainers,
  removeImages,
  startCounter,
  STORE_DIR,
  TEST_LABEL,
  uniqueName,
  waitForCounter,
} from '../support/stack.js';
import { projectRoot } from '../support/paths.js';
import { artifactsDir, openWorkbench, pickInQuickInput as pickIn, quickInput as quickInputOf, stepsOf, treeRow, type E2eWorkbench } from './support.js';

const run = promisify(execFile);

describe('Checkpoint Studio in a real workbench', { concurrency: false, timeout: 600_000 }, () => {
  const counter = uniqueName('e2e');
  const image = `localhost/${counter}:ckpt`;
  const restored = `${counter}-restored`;
  const hostile = `localhost/${counter}-hostile:1`;
  const tcp = `${counter}-tcp`;
  let session: E2eWorkbench | undefined;
  let wb: Workbench;

  before(async () => {
    await ensureStack();
    await startCounter(counter);
    await waitForCounter(counter, 20);
    // This suite runs the extension as users get it: packaged, and installed into code-server.
    session = await openWorkbench('ckpt-e2e-', artifactsDir(), { installed: true });
    wb = session.wb;
  });

  after(async () => {
    await session?.close();
    await removeContainers(counter, restored, tcp);
    await removeImages(image, hostile);
  });

  const step = stepsOf(() => session);
  const row = (text: string) => treeRow(wb, text);
  const quickInput = () => quickInputOf(wb);
  const pickInQuickInput = (text: string) => pickIn(wb, text);

  step('runs the extension installed from its VSIX, not from this checkout', async () => {
    const { publisher, name, version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as Record<string, string>;
    const installed = join(session!.runDir, 'extensions', `${publisher}.${name}-${version}`);
    assert.ok(existsSync(join(installed, 'dist', 'extension.js')), `not installed in ${installed}`);
    assert.ok(!existsSync(join(installed, 'src')), 'the package holds no sources');
    assert.ok(!readdirSync(join(installed, 'dist')).some((f) => f.endsWith('.map')), 'the package holds no source maps');
  });

  step('opens the Checkpoints view and shows the running container', async () => {
    await wb.page.locator('.activitybar [aria-label^="Checkpoints"]').first().click();
    await row(counter).waitFor({ timeout: 30_000 });
    assert.match(await row(counter).innerText(), /running/);
    await wb.screenshot('01-containers-view');
  });

  step('creates a checkpoint image from the palette', async () => {
    await wb.runCommand('Checkpoint: Create Checkpoint Image…');
    await pickInQuickInput(counter);
    // The image name box comes prefilled with store:<container>-checkpoint:<time> (checkpoint.destination's default);
    // this test names a podman image instead.
    await wb.page.locator('.quick-input-widget').getByText(`Image name for the checkpoint of ${counter}`).waitFor();
    assert.match(await quickInput().inputValue(), new RegExp(`^store:${counter}-checkpoint:\\d{8}-\\d{6}$`));
    await quickInput().fill(image);
    await wb.screenshot('02-create-image-name');
    await quickInput().press('Enter');
    await wb.page.locator('.quick-input-widget').getByText('Leave running').waitFor();
    await quickInput().press('Enter');
    await wb.notification(`Checkpointed ${counter} into ${image}`).waitFor({ timeout: 45_000 });
    await row(image).waitFor();
    await wb.screenshot('03-checkpoint-image-listed');
    assert.match(await row(counter).first().innerText(), /checkpointed/);
  });

  step('inspects the image: the webview shows the CRIU version and the container name', async () => {
    // From the palette: a click on the tree row can land while a refresh redraws it.
    await wb.runCommand('Checkpoint: Inspect Checkpoint Image');
    await pickInQuickInput(image);
    const view = wb.webview();
    await view.locator('h1').getByText(image).waitFor({ timeout: 60_000 });
    const criuRow = view.locator('tr', { has: view.locator('th', { hasText: /^CRIU$/ }) });
    assert.match(await criuRow.innerText(), new RegExp(`${hostCriuPattern()}\\s+${hostCriuPattern()}`));
    const nameRow = view.locator('tr', { has: view.locator('th', { hasText: /^Name$/ }) });
    assert.match(await nameRow.innerText(), new RegExp(counter));
    await wb.screenshot('04-inspect-webview');
    await view.getByRole('button', { name: 'Copy as JSON' }).click();
    await wb.notification('Copied the checkpoint image as JSON').waitFor({ timeout: 15_000 });
  });

  step('restores the image and the restored counter goes on', async () => {
    const frozenAt = Number(await podman('logs', '--tail', '1', counter));
    await wb.runCommand('Checkpoint: Restore from Checkpoint Image…');
    await pickInQuickInput(image);
    await wb.page.locator('.quick-input-widget').getByText('still exists').waitFor();
    assert.equal(await quickInput().inputValue(), restored);
    await quickInput().press('Enter');
    await wb.page.locator('.quick-input-widget').getByText('New IP address').waitFor();
    await quickInput().press('Enter');
    await wb.notification(`Restored ${restored}`).waitFor({ timeout: 45_000 });
    await row(restored).waitFor();
    assert.match(await row(restored).innerText(), /restored/);
    const first = await readCounter(restored);
    assert.ok(first >= frozenAt, `restored counter ${first} restarted below ${frozenAt}`);
    await waitForCounter(restored, first + 5);
    await wb.screenshot('05-restored-running');
  });

  step('explains a CRIU failure and opens the log with its tail', async () => {
    // An established loopback TCP connection: CRIU refuses to dump it without the TCP option.
    await podman('run', '-d', '--name', tcp, '--label', TEST_LABEL, 'localhost/busybox:latest', 'sh', '-c',
      'sleep 1000 | nc -l -p 9000 >/dev/null & sleep 0.3; sleep 1000 | nc 127.0.0.1 9000');
    await row(tcp).waitFor({ timeout: 30_000 });
    await wb.runCommand('Checkpoint: Create Checkpoint Image…');
    await pickInQuickInput(tcp);
    await wb.page.locator('.quick-input-widget').getByText(`Image name for the checkpoint of ${tcp}`).waitFor();
    await quickInput().press('Enter');
    await wb.page.locator('.quick-input-widget').getByText('Leave running').waitFor();
    await quickInput().press('Enter');
    const toast = wb.notification('CRIU failed: inet: Connected TCP socket');
    await toast.waitFor({ timeout: 45_000 });
    assert.match(await toast.innerText(), /TCP option/);
    await wb.screenshot('06-criu-failure');
    await toast.getByRole('button', { name: 'Open CRIU Log' }).click();
    await wb.page.locator('.tab', { hasText: 'dump.log' }).waitFor({ timeout: 15_000 });
    await wb.page.locator('.editor-instance .view-lines').getByText('Dumping FAILED').waitFor({ timeout: 15_000 });
    await wb.screenshot('07-criu-log');
    assert.match(await row(tcp).innerText(), /running/, 'the container survives the failed checkpoint');
  });

  step('shows hostile annotations as text and runs nothing', async () => {
    const buildah = ['--root', join(STORE_DIR, 'root'), '--runroot', join(STORE_DIR, 'run')];
    const { stdout } = await run('buildah', [...buildah, 'from', image]);
    const ctr = stdout.trim();
    const evil = '<img src=x onerror="document.body.dataset.pwned=1">';
    const evil2 = '</script><script>document.body.dataset.pwned=2</script>';
    await run('buildah', [...buildah, 'config', '--annotation', `io.podman.annotations.checkpoint.name=${evil}`,
      '--annotation', `io.podman.annotations.checkpoint.rawImageName=${evil2}`, ctr]);
    await run('buildah', [...buildah, 'commit', '-q', '--format', 'oci', ctr, hostile]);
    await run('buildah', [...buildah, 'rm', ctr]);

    await wb.runCommand('View: Close All Editors');
    await wb.runCommand('Checkpoint: Refresh');
    await row(hostile).waitFor({ timeout: 30_000 });
    await row(hostile).click();
    const view = wb.webview();
    await view.locator('h1').getByText(hostile).waitFor({ timeout: 60_000 });
    await view.getByText(evil, { exact: true }).waitFor();
    await view.getByText(evil2, { exact: true }).waitFor();
    assert.equal(await view.locator('img').count(), 0, 'an <img> from an annotation was rendered');
    assert.equal(await view.locator('body').getAttribute('data-pwned'), null, 'a script from an annotation ran');
    await wb.screenshot('08-hostile-annotations-as-text');
  });

  step('says what to do when podman is missing', async () => {
    await wb.runCommand('View: Close All Editors');
    // As a user would: the Settings editor, search, type a path that does not exist.
    await wb.runCommand('Preferences: Open Remote Settings');
    await wb.page.locator('.settings-editor .suggest-input-container textarea, .settings-editor .search-container input').first()
      .fill('checkpointStudio.podmanPath');
    // The podman path is a machine setting: it lives on the Remote tab in a remote window.
    await wb.page.locator('.settings-editor .settings-tabs-widget .action-label', { hasText: 'Remote' }).click();
    const input = wb.page.locator('.settings-editor .setting-item-contents', { hasText: 'Podman Path' }).locator('input');
    await input.fill('/nonexistent/podman');
    await input.press('Tab');
    await wb.page.getByText('Podman was not found').waitFor({ timeout: 30_000 });
    await wb.screenshot('09-podman-missing');
  });
});
