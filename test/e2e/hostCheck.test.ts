/**
 * Check This Host and a stalled CRIU in the real workbench, as a person sees them: the check's result, and a
 * checkpoint whose CRIU freezes (fault injected, test/support/criuFault.ts) failing in seconds with the stall
 * error while the container runs on. Screenshots go to .test-artifacts/e2e/host-check/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { Workbench } from '../vscode/harness/browser.js';
import { startStallableCounter, type CriuFault } from '../support/criuFault.js';
import { ensureStack, hostCriuPattern, podman, readCounter, removeContainers, removeImages, uniqueName, waitForCounter } from '../support/stack.js';
import { artifactsDir, createImageFromPalette, openWorkbench, stepsOf, treeRow, type E2eWorkbench } from './support.js';

describe('Check This Host and a stalled CRIU in a real workbench', { concurrency: false, timeout: 300_000 }, () => {
  const counter = uniqueName('e2e-stall');
  const image = `localhost/${counter}:stalled`;
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-e2e-stall-'));
  let fault: CriuFault;
  let session: E2eWorkbench | undefined;
  let wb: Workbench;

  before(async () => {
    await ensureStack();
    fault = await startStallableCounter(counter, dir);
    session = await openWorkbench('ckpt-e2e-host-', artifactsDir('host-check'), { settings: { 'checkpointStudio.criu.stallTimeoutSeconds': 5 } });
    wb = session.wb;
  });

  after(async () => {
    await session?.close();
    await removeContainers(counter);
    await removeImages(image);
    rmSync(dir, { recursive: true, force: true });
  });

  const step = stepsOf(() => session, 90_000);

  step('Check This Host proves the host and says which CRIU', async () => {
    await wb.page.locator('.activitybar [aria-label^="Checkpoints"]').first().click();
    await treeRow(wb, counter).waitFor({ timeout: 30_000 });
    await wb.runCommand('Checkpoint: Check This Host');
    const toast = wb.notification('This host can checkpoint and restore containers');
    await toast.waitFor({ timeout: 60_000 });
    assert.match(await toast.innerText(), new RegExp(`CRIU ${hostCriuPattern()}, kernel `));
    await wb.screenshot('01-host-check-passed');
  });

  step('a checkpoint whose CRIU freezes fails in seconds with the stall error; the container runs on', async () => {
    fault.stopAt('post-dump');
    await createImageFromPalette(wb, counter, image);
    const toast = wb.notification('made no progress');
    await toast.waitFor({ timeout: 45_000 });
    assert.equal(fault.armed(), false, 'CRIU never reached post-dump: the fault was not injected');
    assert.match(await toast.innerText(), new RegExp(`CRIU ${hostCriuPattern()} made no progress for \\d+ s on kernel`));
    assert.match(await toast.innerText(), /left running as it was/);
    await toast.getByRole('button', { name: 'Check This Host' }).waitFor();
    await wb.screenshot('02-criu-stalled');
    assert.match(await treeRow(wb, counter).innerText(), /running/);
    const now = await readCounter(counter);
    await waitForCounter(counter, now + 5);
    assert.equal(await podman('images', '-q', image), '', 'a half-made checkpoint image was kept');
  });
});
