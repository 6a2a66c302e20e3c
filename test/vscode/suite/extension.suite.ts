/// <reference types="mocha" />
/**
 * Runs inside the real VS Code extension host (code-server here, desktop VS Code elsewhere) against real
 * podman + CRIU: the store comes from the workbench's checkpointStudio.podmanGlobalArgs setting.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointStudioApi } from '../../../src/extension/extension.js';
import { isEngineError, readCheckpointArchive, type CheckpointResult, type HostCheckReport } from '../../../src/engine/index.js';
import type { RestoreOutcome } from '../../../src/extension/commands/restoreWithPreflight.js';
import type { InspectPanel } from '../../../src/extension/webview/InspectPanel.js';
import { formatCheckStep } from '../../../src/shared/format.js';
import { COUNTER_SCRIPT, counterValue } from '../../support/counter.js';
import { activateExtension, EXTENSION_ID, hostCriuText, imageNodes, podman, until } from './host.js';

const run = Date.now().toString(36);
const counter = `inhost-${run}`;
const image = `localhost/inhost-${run}:ckpt`;
const copy = `${counter}-copy`;
const devContainer = `inhost-dev-${run}`;
const hostNet = `inhost-hostnet-${run}`;
const hostNetImage = `localhost/inhost-hostnet-${run}:ckpt`;
let archive = '';

suite('Checkpoint Studio in the extension host', function () {
  this.timeout(120_000);
  let api: CheckpointStudioApi;

  suiteSetup(async () => {
    api = await activateExtension();
    // Loaded before the container exists, so only podman's events can bring it into the view.
    await api.services.refresh.now();
    assert.ok(!api.services.model.containers.some((c) => c.name === counter));
    podman('run', '-d', '--name', counter, '--label', `io.checkpoint-studio.test=${process.pid}`, 'localhost/busybox:latest',
      'sh', '-c', COUNTER_SCRIPT);
  });

  suiteTeardown(() => {
    for (const c of [counter, copy, devContainer, hostNet, `${hostNet}-refused`, `${hostNet}-copy`]) podman('rm', '-f', '-t', '0', '--ignore', c);
    podman('rmi', '-f', '--ignore', image, hostNetImage);
  });

  test('activates and registers every command the manifest declares', async () => {
    console.log(`activate() took ${api.activatedInMs} ms`);
    assert.ok(api.activatedInMs < 2000, `activation took ${api.activatedInMs} ms`);
    const manifest = JSON.parse(readFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'package.json'), 'utf8'));
    const declared: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(declared.length >= 7);
    for (const id of declared) assert.ok(registered.has(id), `${id} is declared but not registered`);
  });

  test('the Containers view follows podman events and shows the running container', async () => {
    // No explicit refresh: the container was started outside the extension, so only podman's events bring it in.
    const node = await until('the counter in the Containers view', () =>
      api.views.containers.getChildren().find((n) => n.container?.name === counter));
    assert.equal(node.container?.state, 'running');
    assert.match(String(node.description), /^running · localhost\/busybox:latest/);
    assert.equal(node.contextValue, 'container.running');
    assert.ok(api.services.model.host?.criu, 'host facts with CRIU were loaded');
  });

  test('dev containers are marked with their workspace folder', async () => {
    podman('create', '--name', devContainer, '--label', `io.checkpoint-studio.test=${process.pid}`,
      '--label', 'devcontainer.local_folder=/home/dev/projects/shop', '--label',
      'devcontainer.config_file=/home/dev/projects/shop/.devcontainer/devcontainer.json', 'localhost/busybox:latest', 'true');
    const node = await until('the dev container in the view', () =>
      api.views.containers.getChildren().find((n) => n.container?.name === devContainer));
    assert.match(String(node.description), /dev container: shop$/);
    assert.equal(node.contextValue, 'container.created.devcontainer');
    assert.match((node.tooltip as vscode.MarkdownString).value, /\/home\/dev\/projects\/shop/);
  });

  test('Create Checkpoint Image makes an image that appears under its container', async () => {
    await until('the counter to count', () => counterValue(podman('exec', counter, 'cat', '/tmp/count')) > 20);
    const result = (await vscode.commands.executeCommand('checkpointStudio.createCheckpointImage', {
      container: counter,
      imageName: image,
    })) as CheckpointResult | undefined;
    assert.ok(result?.image, 'the command reported no image (see the Checkpoint Studio log)');
    const podmanLocation = (await api.views.images.getChildren()).find((l) => l.label === 'Podman');
    assert.ok(podmanLocation, 'no Podman location in Checkpoint Images');
    const group = (await api.views.images.getChildren(podmanLocation)).find((g) => g.label === counter);
    assert.ok(group, 'no group for the container in Checkpoint Images');
    const children = await api.views.images.getChildren(group);
    assert.ok(children.some((n) => n.label === image), 'the image is not listed under its container');
    const node = api.views.containers.getChildren().find((n) => n.container?.name === counter);
    assert.equal(node?.container?.state, 'checkpointed');
  });

  test('Inspect opens a webview with the recorded CRIU version beside this host', async () => {
    const panel = (await vscode.commands.executeCommand('checkpointStudio.inspectCheckpointImage', image)) as InspectPanel | undefined;
    assert.ok(panel, 'no inspect panel');
    const versions = panel.model.groups.find((g) => g.title === 'Versions');
    const criu = versions?.fields.find((f) => f.label === 'CRIU');
    assert.equal(criu?.value, hostCriuText());
    assert.equal(criu?.hostValue, hostCriuText());
    assert.equal(criu?.verdict, 'same');
    const name = panel.model.groups.find((g) => g.title === 'Container')?.fields.find((f) => f.label === 'Name');
    assert.equal(name?.value, counter);
    assert.equal(panel.model.worst, 'same');
  });

  test('Restore brings a copy back that goes on counting', async () => {
    const frozenAt = Number(podman('logs', '--tail', '1', counter));
    const outcome = (await vscode.commands.executeCommand('checkpointStudio.restoreFromCheckpointImage', {
      image,
      name: copy,
    })) as RestoreOutcome | undefined;
    assert.deepEqual(outcome?.report.findings, [], 'the preflight of a plain counter found something');
    assert.equal(outcome?.result?.container.state, 'running');
    const first = counterValue(podman('exec', copy, 'cat', '/tmp/count'));
    assert.ok(first >= frozenAt, `restored counter ${first} restarted below ${frozenAt}`);
    await until('the copy to count on', () => counterValue(podman('exec', copy, 'cat', '/tmp/count')) > first + 5);
    const node = api.views.containers.getChildren().find((n) => n.container?.name === copy);
    assert.match(String(node?.description), /^restored/);
  });

  test("a checkpoint of the host's network: a restore without dialogs is refused unless hostNetwork says so, then the copy shares it and counts", async () => {
    podman('run', '-d', '--name', hostNet, '--network', 'host', '--label', `io.checkpoint-studio.test=${process.pid}`, 'localhost/busybox:latest', 'sh', '-c', COUNTER_SCRIPT);
    await until('the host-network counter to count', () => counterValue(podman('logs', '--tail', '1', hostNet)) > 3);
    podman('container', 'checkpoint', '--leave-running', '--create-image', hostNetImage, hostNet);
    const refused = (await vscode.commands.executeCommand('checkpointStudio.restoreFromCheckpointImage', {
      image: hostNetImage,
      name: `${hostNet}-refused`,
      confirm: false,
    })) as RestoreOutcome | undefined;
    assert.equal(refused?.result, undefined, 'restored into the host network without being asked to');
    assert.ok(refused?.report.findings.some((f) => f.severity === 'error' && f.check === 'network'), JSON.stringify(refused?.report.findings));
    assert.equal(podman('ps', '-a', '-q', '--filter', `name=^${hostNet}-refused$`), '');
    const chosen = (await vscode.commands.executeCommand('checkpointStudio.restoreFromCheckpointImage', {
      image: hostNetImage,
      name: `${hostNet}-copy`,
      confirm: false,
      hostNetwork: true,
    })) as RestoreOutcome | undefined;
    assert.equal(chosen?.result?.container.state, 'running');
    assert.ok(chosen?.report.findings.some((f) => f.severity === 'warning' && /shares the host's network namespace, as you chose/.test(f.message)));
    const pid = podman('inspect', '-f', '{{.State.Pid}}', `${hostNet}-copy`);
    assert.equal(readlinkSync(`/proc/${pid}/ns/net`), readlinkSync('/proc/self/ns/net'));
    const first = counterValue(podman('exec', `${hostNet}-copy`, 'cat', '/tmp/count'));
    await until('the host-network copy to count on', () => counterValue(podman('exec', `${hostNet}-copy`, 'cat', '/tmp/count')) > first + 3);
  });

  test('Export to Archive writes a zstd archive of the running copy and leaves it running', async () => {
    const path = join(tmpdir(), `${copy}.tar.zst`);
    const result = (await vscode.commands.executeCommand('checkpointStudio.exportToArchive', {
      container: copy,
      path,
      leaveRunning: true,
    })) as CheckpointResult | undefined;
    assert.equal(result?.archive?.path, path);
    assert.equal(readFileSync(path).readUInt32LE(0), 0xfd2fb528, 'not zstd (the default compression)');
    archive = path;
    assert.equal(api.services.model.containers.find((c) => c.name === copy)?.state, 'running');
  });

  test('Import Archive and Save to Embedded Store fill the embedded store; inspect, restore and remove work there', async () => {
    const imported = await vscode.commands.executeCommand('checkpointStudio.importArchive', { path: archive, tag: `imported-${run}` });
    assert.equal(imported, `imported-${run}`);
    rmSync(archive);
    await vscode.commands.executeCommand('checkpointStudio.saveToStore', { image, tag: `saved-${run}` });
    const store = (await api.views.images.getChildren()).find((l) => l.label === 'Embedded Store');
    assert.ok(store, 'no Embedded Store location in Checkpoint Images');
    const names = (await imageNodes(api, store)).map((n) => String(n.label));
    assert.ok(names.includes(`imported-${run}`) && names.includes(`saved-${run}`), `store lists ${names.join(', ')}`);

    // Back out as an archive that podman itself can restore from.
    const exported = join(tmpdir(), `exported-${run}.tar.gz`);
    assert.equal(await vscode.commands.executeCommand('checkpointStudio.exportImageToArchive', { image: `store:saved-${run}`, path: exported, compression: 'gzip' }), exported);
    const summary = await readCheckpointArchive(exported);
    assert.equal(summary.compression, 'gzip');
    assert.equal(summary.containerName, counter);
    rmSync(exported);

    const panel = (await vscode.commands.executeCommand('checkpointStudio.inspectCheckpointImage', `store:imported-${run}`)) as InspectPanel | undefined;
    assert.equal(panel?.model.groups.find((g) => g.title === 'Container')?.fields.find((f) => f.label === 'Name')?.value, copy);

    // Restoring from the store reads the image into an archive: podman keeps no copy of it.
    const again = `${copy}-from-store`;
    const restored = (await vscode.commands.executeCommand('checkpointStudio.restoreFromCheckpointImage', {
      image: `store:saved-${run}`,
      name: again,
    })) as RestoreOutcome | undefined;
    assert.equal(restored?.result?.container.state, 'running');
    assert.equal(podman('images', '-q', `localhost/saved-${run}`), '', 'the store image was copied into podman');
    podman('rm', '-f', '-t', '0', again);

    for (const tag of [`imported-${run}`, `saved-${run}`]) {
      await vscode.commands.executeCommand('checkpointStudio.removeCheckpointImage', { image: `store:${tag}`, confirm: false });
    }
    assert.equal(api.services.model.storeImages.length, 0);
  });

  test('Create Checkpoint Image with a store:TAG name checkpoints straight into the embedded store; the restore from there counts on', async () => {
    const tag = `direct-${run}`;
    const before = counterValue(podman('exec', copy, 'cat', '/tmp/count'));
    const result = (await vscode.commands.executeCommand('checkpointStudio.createCheckpointImage', {
      container: copy,
      imageName: `store:${tag}`,
      leaveRunning: true,
    })) as CheckpointResult | undefined;
    assert.deepEqual(result?.image?.names, [tag]);
    assert.ok(api.services.model.storeImages.some((i) => i.names.includes(tag)), 'the image is not in the embedded store');
    assert.equal(podman('images', '-q', `localhost/${tag}`), '', 'podman got an image too');
    const direct = `${copy}-direct`;
    const restored = (await vscode.commands.executeCommand('checkpointStudio.restoreFromCheckpointImage', { image: `store:${tag}`, name: direct })) as RestoreOutcome | undefined;
    assert.equal(restored?.result?.container.state, 'running');
    const first = counterValue(podman('exec', direct, 'cat', '/tmp/count'));
    assert.ok(first >= before, `the copy restarted: ${first} < ${before}`);
    await until('the copy from the store to count on', () => counterValue(podman('exec', direct, 'cat', '/tmp/count')) > first + 3);
    podman('rm', '-f', '-t', '0', direct);
    await vscode.commands.executeCommand('checkpointStudio.removeCheckpointImage', { image: `store:${tag}`, confirm: false });
  });

  test('Remove Checkpoint Image removes it from storage and the view', async () => {
    await vscode.commands.executeCommand('checkpointStudio.removeCheckpointImage', { image, confirm: false });
    assert.ok(!api.services.model.images.some((i) => i.names.includes(image)));
    assert.throws(() => podman('image', 'exists', image));
  });

  test('Check This Host proves the host with a real checkpoint and restore, every step timed in the log', async () => {
    const report = (await vscode.commands.executeCommand('checkpointStudio.checkHost')) as HostCheckReport | undefined;
    assert.ok(report?.ok, `the host check failed: ${JSON.stringify(report?.steps.find((s) => !s.ok))}`);
    const facts = await api.services.podman().hostFacts();
    assert.equal(report.criu, facts.criu?.text, 'the check and the host facts name different CRIUs');
    assert.equal(report.criu, hostCriuText());
    assert.ok(report.steps.length >= 7, `only ${report.steps.length} steps`);
    for (const s of report.steps) assert.ok(s.ok && Number.isFinite(s.ms) && s.ms >= 0, `step without a time: ${JSON.stringify(s)}`);
    assert.ok(report.steps.some((s) => /copy goes on/.test(s.title)));
    const log = await until('every step in the log', () => {
      const text = readFileSync(api.logFile.fsPath, 'utf8');
      return text.includes('This host can checkpoint and restore containers') ? text : undefined;
    });
    for (const s of report.steps) assert.ok(log.includes(formatCheckStep(s).trim()), `"${s.title}" and its time are not in the log`);
    assert.equal(api.services.model.hostCheckFailure, undefined);
    assert.ok(!api.views.containers.getChildren().some((n) => n.container === undefined), 'a passed check left a failure row');
  });

  test('a host check whose CRIU hangs fails after the stall timeout, heads the Containers view, and a passing check clears it', async () => {
    // A CRIU that gives its version, then reads podman's request on the socket it is handed (`criu swrk <fd>`) and
    // never answers: a real hang, which ends by itself when the watchdog stops podman.
    const fake = mkdtempSync(join(tmpdir(), 'ckpt-hanging-criu-'));
    writeFileSync(join(fake, 'criu'), '#!/bin/sh\n[ "$1" = --version ] && { echo "Version: 9.9.9"; exit 0; }\nexec cat <&"$2" >/dev/null\n', { mode: 0o755 });
    const settings = vscode.workspace.getConfiguration('checkpointStudio');
    const env = settings.get<Record<string, string>>('podmanEnvironment') ?? {};
    const stall = settings.inspect<number>('criu.stallTimeoutSeconds')?.globalValue;
    await settings.update('podmanEnvironment', { ...env, PATH: `${fake}:${env.PATH ?? process.env.PATH}` }, vscode.ConfigurationTarget.Global);
    await settings.update('criu.stallTimeoutSeconds', 2, vscode.ConfigurationTarget.Global);
    try {
      const started = Date.now();
      const report = (await vscode.commands.executeCommand('checkpointStudio.checkHost')) as HostCheckReport | undefined;
      assert.equal(report?.ok, false);
      const failed = report.steps.find((s) => !s.ok)!;
      assert.match(failed.title, /^checkpoint into an image/);
      // Stopped after the setting's 2 s, not the default 60 s.
      assert.ok(isEngineError(failed.error, 'CRIU_STALLED'), `not a stall: ${String(failed.error)}`);
      assert.match(failed.detail ?? '', /made no progress .*for 2 s/);
      assert.ok(Date.now() - started < 30_000, `the check took ${Date.now() - started} ms`);
      assert.equal(api.services.model.hostCheckFailure?.step, failed.title, 'no failure recorded for the context key and the view');
      const [first] = api.views.containers.getChildren();
      assert.equal(first?.container, undefined, 'the failure does not head the Containers view');
      assert.equal(first?.label, `Host check failed: ${failed.title}`);
      assert.equal(first?.description, 'click to check again');
      assert.equal((first?.iconPath as vscode.ThemeIcon | undefined)?.id, 'warning');
      assert.equal(first?.command?.command, 'checkpointStudio.checkHost');
    } finally {
      await settings.update('criu.stallTimeoutSeconds', stall, vscode.ConfigurationTarget.Global);
      await settings.update('podmanEnvironment', env, vscode.ConfigurationTarget.Global);
      rmSync(fake, { recursive: true, force: true });
    }
    const again = (await vscode.commands.executeCommand('checkpointStudio.checkHost')) as HostCheckReport | undefined;
    assert.equal(again?.ok, true);
    await api.services.refresh.now();
    assert.equal(api.services.model.host?.criu?.text, hostCriuText(), 'facts read with the hanging CRIU outlived its settings');
    assert.equal(api.services.model.hostCheckFailure, undefined);
    assert.ok(!api.views.containers.getChildren().some((n) => n.container === undefined), 'the failure row stayed after a passing check');
  });

  test('a failing command reports instead of throwing, and leaves the container alone', async () => {
    const result = await vscode.commands.executeCommand('checkpointStudio.createCheckpointImage', {
      container: counter,
      imageName: `${image}-again`,
    });
    assert.equal(result, undefined, 'checkpointing a checkpointed container must fail');
    assert.equal(api.services.model.containers.find((c) => c.name === counter)?.state, 'checkpointed');
  });
});
