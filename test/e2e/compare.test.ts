/**
 * Compare with… in a real workbench (code-server in Chromium) against real podman + CRIU: from the context menu
 * of a checkpoint image, the other image picked in the quick pick, the compare page naming the process the
 * second checkpoint adds and the file that grew. Screenshots go to .test-artifacts/e2e/compare/.
 */
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Workbench } from '../vscode/harness/browser.js';
import { ensureStack, podman, removeContainers, removeImages, TEST_LABEL, uniqueName } from '../support/stack.js';
import { artifactsDir, openWorkbench, quickInput, stepsOf, treeRow, type E2eWorkbench } from './support.js';

/** VS Code's menu items take the mouse only 100 ms after they render (see registries.test.ts). */
const MENU_ARMS_MS = 250;
/** What the shell starts on USR1, between the two checkpoints. */
const ADDED = 'sleep 636363';

describe('Compare with… in a real workbench', { concurrency: false, timeout: 600_000 }, () => {
  const container = uniqueName('e2e-cmp');
  const first = `localhost/${container}:before`;
  const second = `localhost/${container}:after`;
  let session: E2eWorkbench | undefined;
  let wb: Workbench;

  before(async () => {
    await ensureStack();
    const script = [`trap '${ADDED} & touch /tmp/started' USR1`, 'sleep 100000 &', 'echo one > /tmp/ready', 'while :; do wait; done'].join('\n');
    await podman('run', '-d', '--name', container, '--label', TEST_LABEL, 'localhost/busybox:latest', 'sh', '-c', script);
    await until(() => podman('exec', container, 'test', '-s', '/tmp/ready'));
    await podman('container', 'checkpoint', '--leave-running', '--create-image', first, container);
    await podman('exec', container, 'sh', '-c', 'echo two-and-longer >> /tmp/ready');
    await podman('kill', '--signal', 'USR1', container);
    await until(() => podman('exec', container, 'test', '-f', '/tmp/started'));
    await podman('container', 'checkpoint', '--leave-running', '--create-image', second, container);
    session = await openWorkbench('ckpt-e2e-compare-', artifactsDir('compare'));
    wb = session.wb;
  });

  after(async () => {
    await session?.close();
    await removeContainers(container);
    await removeImages(first, second);
  });

  const step = stepsOf(() => session);

  step('Compare with… on an image asks for the other and shows the process the second one adds and the grown file', async () => {
    await wb.page.locator('.activitybar [aria-label^="Checkpoints"]').first().click();
    const row = treeRow(wb, first);
    await row.waitFor({ timeout: 30_000 });
    await row.click({ button: 'right' });
    const item = wb.page.getByRole('menuitem', { name: 'Compare with…' });
    await item.waitFor();
    await wb.page.waitForTimeout(MENU_ARMS_MS);
    await item.click();
    await wb.page.locator('.quick-input-widget').getByText(`Compare ${first} with…`).waitFor();
    await quickInput(wb).fill(':after');
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: second }).first().waitFor();
    await wb.screenshot('01-compare-pick');
    await quickInput(wb).press('Enter');

    const view = wb.webview();
    await view.locator('h1').getByText('Compare checkpoints').waitFor({ timeout: 90_000 });
    const processes = view.locator('details[data-section="Processes"]');
    await processes.waitFor();
    assert.match(await processes.innerText(), new RegExp(`\\+\\s*\\[\\d+\\] sleep: ${ADDED} \\(parent 1\\)`));
    assert.match(await view.locator('details[data-section="Changed files (rootfs-diff)"]').innerText(), /~\s*\/tmp\/ready: 4 B → 19 B/);
    await wb.screenshot('02-compare-page');
  });
});

/** Waits until `probe` stops throwing (a podman exec whose test fails). */
async function until(probe: () => Promise<unknown>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await probe();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
