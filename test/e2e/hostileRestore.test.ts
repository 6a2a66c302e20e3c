/**
 * Pull and Restore of a stranger's hostile checkpoint image, in the real workbench: the image (pushed to a real
 * loopback registry) carries an OCI prestart hook that would write a file on the host, extra capabilities and
 * privileged mode. The preflight dialog lists what the restore removes; the restored copy runs without it, the
 * hook never runs, and the counter goes on. Screenshots go to .test-artifacts/e2e/hostile-restore/.
 */
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe } from 'node:test';
import { editedTar } from '../../src/engine/archive/repack.js';
import type { MetadataEdit } from '../../src/engine/index.js';
import type { Workbench } from '../vscode/harness/browser.js';
import { ckptWith } from '../support/cli.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { podman, readCounter, startCounter, testPodman, testResources, uniqueName, waitForCounter } from '../support/stack.js';
import { artifactsDir, openWorkbench, quickInput, stepsOf, type E2eWorkbench } from './support.js';

type Json = Record<string, any>;

describe('Pull and Restore of a hostile checkpoint in a real workbench', { concurrency: false, timeout: 300_000 }, () => {
  const res = testResources();
  const counter = uniqueName('e2e-evil');
  const restored = `${counter}-pulled`;
  let marker = '';
  let reference = '';
  let registry: TestRegistry | undefined;
  let session: E2eWorkbench | undefined;
  let wb: Workbench;

  before(async () => {
    res.containers.push(counter, restored);
    await startCounter(counter);
    await waitForCounter(counter, 10);
    const plain = join(res.dir, 'plain.tar');
    await testPodman().checkpoint(counter, { kind: 'archive', path: plain, compression: 'none' }, { leaveRunning: true });
    marker = join(res.dir, 'hook-ran');
    const hostile = (spec: Json): Json => {
      spec.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `id > ${marker}`] }] };
      for (const set of ['bounding', 'effective', 'permitted']) spec.process.capabilities[set].push('CAP_SYS_ADMIN');
      return spec;
    };
    const edit: MetadataEdit = (name, value) => {
      const v = value as Json;
      if (name === 'spec.dump') return hostile(v);
      return { ...v, privileged: true, spec: hostile(v.spec) };
    };
    const evil = join(res.dir, 'evil.tar');
    await pipeline(await editedTar(createReadStream(plain), plain, edit), createWriteStream(evil));
    registry = await startRegistry('none');
    reference = `${registry.host}/team/evil:1`;
    res.images.push(reference);
    const env = { CKPT_STORE: join(res.dir, 'store') };
    for (const args of [['image', 'create', evil, 'store:evil:1'], ['copy', 'store:evil:1', `docker://${reference}`]]) {
      const r = ckptWith(env, ...args);
      assert.equal(r.code, 0, r.stderr);
    }
    session = await openWorkbench('ckpt-e2e-evil-', artifactsDir('hostile-restore'));
    wb = session.wb;
  });

  after(async () => {
    await session?.close();
    await registry?.stop();
  });

  const step = stepsOf(() => session?.wb, 120_000);
  const dialog = () => wb.page.locator('.monaco-dialog-box');

  step('the preflight dialog lists what the restore removes; restored anyway, the hook never runs', async () => {
    await wb.page.locator('.activitybar [aria-label^="Checkpoints"]').first().click();
    await wb.runCommand('Checkpoint: Pull and Restore…');
    await quickInput(wb).fill(reference);
    await quickInput(wb).press('Enter');
    await wb.page.locator('.quick-input-widget').getByText('still exists').waitFor({ timeout: 30_000 });
    await quickInput(wb).fill(restored);
    await quickInput(wb).press('Enter');
    await wb.page.locator('.quick-input-widget').getByText('New IP address').waitFor();
    await quickInput(wb).press('Enter');
    await dialog().getByText(/^Restore .* despite \d+ warnings?\?$/).waitFor({ timeout: 60_000 });
    const text = await dialog().innerText();
    assert.match(text, new RegExp(`removed: OCI prestart hook /bin/sh -c id > ${marker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(text, /removed: privileged mode/);
    assert.match(text, /removed: capability CAP_SYS_ADMIN/);
    await wb.screenshot('01-hostile-preflight');
    await dialog().getByRole('button', { name: 'Restore Anyway', exact: true }).click();
    await wb.notification(`Restored ${restored}`).waitFor({ timeout: 90_000 });
    await wb.screenshot('02-restored-without-it');

    assert.equal(existsSync(marker), false, 'the prestart hook ran on the host');
    const [inspect] = JSON.parse(await podman('container', 'inspect', restored)) as Json[];
    assert.equal(inspect!.HostConfig.Privileged, false);
    assert.ok(!inspect!.EffectiveCaps.includes('CAP_SYS_ADMIN'), inspect!.EffectiveCaps.join(' '));
    const first = await readCounter(restored);
    await waitForCounter(restored, first + 5);
  });
});
