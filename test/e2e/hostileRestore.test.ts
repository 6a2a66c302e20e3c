/**
 * Pull and Restore of a stranger's hostile checkpoint image, in the real workbench: the image (pushed to a real
 * loopback registry) carries an OCI prestart hook that would write a file on the host, extra capabilities and
 * privileged mode. The preflight dialog lists what the restore removes; the restored copy runs without it, the
 * hook never runs, and the counter goes on. An image reaching for the host's /etc is refused in a dialog; one of
 * the host's network asks before it restores there. Screenshots go to .test-artifacts/e2e/hostile-restore/.
 */
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe } from 'node:test';
import { editedTar } from '../../src/engine/archive/repack.js';
import type { MetadataEdit } from '../../src/engine/index.js';
import type { Workbench } from '../vscode/harness/browser.js';
import { ckptWith } from '../support/cli.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { COUNTER_SCRIPT } from '../support/counter.js';
import { BASE_IMAGE, podman, readCounter, startCounter, TEST_LABEL, testPodman, testResources, uniqueName, waitForCounter } from '../support/stack.js';
import { artifactsDir, openWorkbench, quickInput, stepsOf, type E2eWorkbench } from './support.js';

type Json = Record<string, any>;

describe('Pull and Restore of a hostile checkpoint in a real workbench', { concurrency: false, timeout: 300_000 }, () => {
  const res = testResources();
  const counter = uniqueName('e2e-evil');
  const restored = `${counter}-pulled`;
  const hostNet = uniqueName('e2e-hostnet');
  let marker = '';
  let reference = '';
  let reaching = '';
  let hostNetReference = '';
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
    // One that reaches for the host's /etc, spelled so that only resolving the path shows it.
    const reachEtc: MetadataEdit = (name, value) => {
      const v = value as Json;
      const spec = name === 'spec.dump' ? v : v.spec;
      spec.mounts.push({ destination: '/host-etc', type: 'bind', source: '/etc/../etc', options: ['rbind', 'rw'] });
      return v;
    };
    const reach = join(res.dir, 'reach.tar');
    await pipeline(await editedTar(createReadStream(plain), plain, reachEtc), createWriteStream(reach));
    // A genuine checkpoint of a container in the host's network, which restores only there.
    res.containers.push(hostNet, `${hostNet}-pulled`);
    await podman('run', '-d', '--name', hostNet, '--network', 'host', '--label', TEST_LABEL, BASE_IMAGE, 'sh', '-c', COUNTER_SCRIPT);
    await waitForCounter(hostNet, 5);
    const hostNetArchive = join(res.dir, 'hostnet.tar');
    await testPodman().checkpoint(hostNet, { kind: 'archive', path: hostNetArchive, compression: 'none' }, { leaveRunning: true });
    registry = await startRegistry('none');
    reference = `${registry.host}/team/evil:1`;
    reaching = `${registry.host}/team/evil:etc`;
    hostNetReference = `${registry.host}/team/hostnet:1`;
    res.images.push(reference, reaching, hostNetReference);
    const env = { CKPT_STORE: join(res.dir, 'store') };
    for (const [archive, tag, ref] of [[evil, 'evil:1', reference], [reach, 'evil:etc', reaching], [hostNetArchive, 'hostnet:1', hostNetReference]] as const) {
      for (const args of [['image', 'create', archive, `store:${tag}`], ['copy', `store:${tag}`, `docker://${ref}`]]) {
        const r = ckptWith(env, ...args);
        assert.equal(r.code, 0, r.stderr);
      }
    }
    session = await openWorkbench('ckpt-e2e-evil-', artifactsDir('hostile-restore'));
    wb = session.wb;
  });

  after(async () => {
    await session?.close();
    await registry?.stop();
  });

  const step = stepsOf(() => session, 120_000);
  const dialog = () => wb.page.locator('.monaco-dialog-box');

  /** Pull and Restore of `ref` under `name`, up to the first dialog. */
  async function pullAndRestore(ref: string, name: string) {
    await wb.runCommand('Checkpoint: Pull and Restore…');
    await quickInput(wb).fill(ref);
    await quickInput(wb).press('Enter');
    await wb.page.locator('.quick-input-widget').getByText('still exists').waitFor({ timeout: 30_000 });
    await quickInput(wb).fill(name);
    await quickInput(wb).press('Enter');
    await wb.page.locator('.quick-input-widget').getByText('New IP address').waitFor();
    await quickInput(wb).press('Enter');
  }

  step('the preflight dialog lists what the restore removes; restored anyway, the hook never runs', async () => {
    await wb.page.locator('.activitybar [aria-label^="Checkpoints"]').first().click();
    await pullAndRestore(reference, restored);
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

  step("an image reaching for the host's /etc is refused with the path it resolves to, and nothing is restored", async () => {
    const name = `${counter}-etc`;
    res.containers.push(name);
    await pullAndRestore(reaching, name);
    await dialog().getByText(/^Cannot restore .*: the preflight found 1 problem$/).waitFor({ timeout: 60_000 });
    assert.match(await dialog().innerText(), /refused: the checkpoint asks to bind-mount the host's \/etc\/\.\.\/etc \(resolves to \/etc\) at \/host-etc \(read-write\): it is \/etc/);
    await wb.screenshot('03-refused-host-etc');
    await wb.page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'hidden' });
    assert.equal(await testPodman().container(name), undefined, 'restored anyway');
  });

  step("a checkpoint of the host's network asks first; with Use Host Network it restores there and counts", async () => {
    const name = `${hostNet}-pulled`;
    await pullAndRestore(hostNetReference, name);
    await dialog().getByText(/ran in the host's network namespace, and can only be restored there\.$/).waitFor({ timeout: 60_000 });
    await wb.screenshot('04-host-network-choice');
    await dialog().getByRole('button', { name: 'Use Host Network', exact: true }).click();
    await dialog().getByText(/^Restore .* despite 1 warning\?$/).waitFor({ timeout: 60_000 });
    assert.match(await dialog().innerText(), /the restored container shares the host's network namespace, as you chose/);
    await dialog().getByRole('button', { name: 'Restore Anyway', exact: true }).click();
    await wb.notification(`Restored ${name}`).waitFor({ timeout: 90_000 });
    const pid = (JSON.parse(await podman('container', 'inspect', name)) as Json[])[0]!.State.Pid as number;
    assert.equal(readlinkSync(`/proc/${pid}/ns/net`), readlinkSync('/proc/self/ns/net'));
    await waitForCounter(name, (await readCounter(name)) + 3);
  });
});
