/// <reference types="mocha" />
/**
 * The Registries view and its commands inside the real extension host, against real registries (CNCF
 * distribution, one open and one with Basic auth, started by inHost.test.ts) and real podman + CRIU.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { RestoreOutcome } from '../../../src/extension/commands/restoreWithPreflight.js';
import type { CheckpointStudioApi } from '../../../src/extension/extension.js';
import type { RegistryNode, RegistryTagNode } from '../../../src/extension/tree/RegistryNodes.js';
import type { InspectPanel } from '../../../src/extension/webview/InspectPanel.js';
import { parseReference, scanCheckpoint } from '../../../src/engine/index.js';
import { copyContext } from '../../../src/extension/commands/copy.js';
import { pushNotice } from '../../../src/extension/commands/pushNotice.js';
import { COUNTER_SCRIPT, counterValue } from '../../support/counter.js';
import { ALNUM, fake, fakes, secretHolderRun } from '../../support/fakeSecrets.js';
import { activateExtension, hostCriuText, podman, until } from './host.js';

function env(name: string): string {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run this suite through inHost.test.ts`);
  return value;
}

const run = Date.now().toString(36);
const counter = `inhost-reg-${run}`;
const image = `localhost/inhost-reg-${run}:ckpt`;
const restored = `${counter}-pulled`;
const repository = 'team/counter';
const holder = `inhost-secrets-${run}`;
const secretImage = `localhost/inhost-secrets-${run}:ckpt`;

suite('Registries in the extension host', function () {
  this.timeout(180_000);
  const open = env('CKPT_TEST_REGISTRY');
  const basic = env('CKPT_TEST_REGISTRY_BASIC');
  const username = env('CKPT_TEST_REGISTRY_USER');
  const password = env('CKPT_TEST_REGISTRY_PASSWORD');
  const reference = `${open}/${repository}:${run}`;
  let api: CheckpointStudioApi;
  let frozenAt = 0;

  // Nodes are told apart by contextValue: this suite is bundled apart from the extension, so instanceof fails.
  const registryNode = async (host: string) => {
    const node = (await api.views.registries.getChildren()).find((n) => n.contextValue === 'registry' && n.label === host);
    assert.ok(node, `${host} is not in the Registries view`);
    return node as RegistryNode;
  };
  const tagNodes = async (host: string) => {
    const repo = (await api.views.registries.getChildren(await registryNode(host))).find((n) => n.contextValue === 'registryRepository' && n.label === repository);
    return repo ? ((await api.views.registries.getChildren(repo)) as RegistryTagNode[]) : [];
  };
  const tagNode = async (host: string, tag: string) => {
    const node = (await tagNodes(host)).find((n) => n.label === tag);
    assert.ok(node, `${host}/${repository}:${tag} is not in the Registries view`);
    return node;
  };

  suiteSetup(async () => {
    api = await activateExtension();
    podman('run', '-d', '--name', counter, '--label', `io.checkpoint-studio.test=${process.pid}`, 'localhost/busybox:latest', 'sh', '-c', COUNTER_SCRIPT);
    await until('the counter to count', () => counterValue(podman('exec', counter, 'cat', '/tmp/count')) > 20);
    podman('container', 'checkpoint', '--create-image', image, counter);
    frozenAt = Number(podman('logs', '--tail', '1', counter));
  });

  suiteTeardown(async () => {
    for (const host of [open, basic]) await vscode.commands.executeCommand('checkpointStudio.removeRegistry', { registry: host });
    for (const c of [counter, restored, holder]) podman('rm', '-f', '-t', '0', '--ignore', c);
    podman('rmi', '-f', '--ignore', image, reference, secretImage);
  });

  test('Add Registry puts the registry in the view, marked as plain HTTP', async () => {
    assert.equal(await vscode.commands.executeCommand('checkpointStudio.addRegistry', { registry: `http://${open}/` }), open);
    const node = await registryNode(open);
    assert.match(String(node.description), /insecure \(HTTP\)/);
    assert.equal(node.contextValue, 'registry');
  });

  test('Push puts a real checkpoint image in the registry, listed as a checkpoint image', async () => {
    const pushed = await vscode.commands.executeCommand('checkpointStudio.pushCheckpointImage', { image, reference, confirm: false });
    assert.equal(pushed, reference, 'the push failed (see the Checkpoint Studio log)');
    const node = await tagNode(open, run);
    assert.equal(node.contextValue, 'registryTag.checkpoint');
    assert.equal((node.iconPath as vscode.ThemeIcon).id, 'save');
    assert.match(String(node.description), new RegExp(`^${counter} · `));
    assert.ok((node.tooltip as vscode.MarkdownString).value.includes(`CRIU: ${hostCriuText()}`), 'the tag\'s tooltip names the CRIU it was made with');
    assert.equal(node.command?.command, 'checkpointStudio.inspectCheckpointImage');
  });

  test('Push scans the image first: the secrets planted in a checkpoint are listed in the log and the dialog, never their values', async () => {
    const token = fakes.github();
    const secret = fake(ALNUM, 20);
    podman('run', ...secretHolderRun(holder, `io.checkpoint-studio.test=${process.pid}`, 'localhost/busybox:latest', { token, password: secret }));
    await until('the secrets to be planted', () => podman('exec', holder, 'cat', '/tmp/ready') === 'ready');
    podman('container', 'checkpoint', '--create-image', secretImage, holder);
    const target = `${open}/team/secrets:${run}`;
    assert.equal(await vscode.commands.executeCommand('checkpointStudio.pushCheckpointImage', { image: secretImage, reference: target, confirm: false }), target);
    const log = await until('the scan in the log', () => {
      const text = readFileSync(api.logFile.fsPath, 'utf8');
      return text.includes(`Scanned ${secretImage} before pushing to ${target}: `) ? text : undefined;
    });
    assert.match(log, /GitHub token ghp_… \(40 chars\) in the memory of process 1 \(sh\) at 0x[0-9a-f]+/);
    assert.match(log, /API_PASSWORD=\S+… \(20 chars\) in the environment of processes 1, \d+/);
    assert.ok(!log.includes(token) && !log.includes(secret), 'the log holds a secret');
    // What the dialog before a push with confirm says, from the same scan (the e2e test shows the dialog itself).
    const notice = pushNotice(secretImage, open, await scanCheckpoint(copyContext(api.services), parseReference(secretImage)), true);
    assert.match(notice?.message ?? '', new RegExp(`^${secretImage} holds .*1 GitHub token.*\\. Push it to ${open}\\?$`));
    assert.match(notice!.detail, /• GitHub token ghp_… \(40 chars\) in the memory of process 1 \(sh\)/);
    assert.ok(!notice!.detail.includes(token) && !notice!.detail.includes(secret), 'the dialog holds a secret');
    // The counter holds none: its push was logged clean.
    assert.ok(log.includes(`Scanned ${image} before pushing to ${reference}: no secrets found`), 'the counter\'s scan is not in the log');
  });

  test('Inspect from the registry shows the recorded CRIU version beside this host', async () => {
    const node = await tagNode(open, run);
    const panel = (await vscode.commands.executeCommand(node.command!.command, ...(node.command!.arguments ?? []))) as InspectPanel | undefined;
    assert.ok(panel, 'no inspect panel');
    assert.deepEqual(panel.model.image.names, [reference]);
    const criu = panel.model.groups.find((g) => g.title === 'Versions')?.fields.find((f) => f.label === 'CRIU');
    assert.equal(criu?.value, hostCriuText());
    assert.equal(criu?.hostValue, hostCriuText());
    assert.equal(panel.model.groups.find((g) => g.title === 'Container')?.fields.find((f) => f.label === 'Name')?.value, counter);
  });

  test('Copy Reference puts HOST/REPO:TAG on the clipboard', async () => {
    await vscode.commands.executeCommand('checkpointStudio.copyReference', await tagNode(open, run));
    assert.equal(await vscode.env.clipboard.readText(), reference);
  });

  test('Pull into the embedded store, then remove it there', async () => {
    const tag = `pulled-${run}`;
    assert.equal(await vscode.commands.executeCommand('checkpointStudio.pullCheckpointImage', { reference, destination: 'store', tag }), `store:${tag}`);
    assert.ok(api.services.model.storeImages.some((i) => i.names.includes(tag)), 'the pulled image is not in the embedded store');
    await vscode.commands.executeCommand('checkpointStudio.removeCheckpointImage', { image: `store:${tag}`, confirm: false });
  });

  test('Pull and Restore brings the counter back from the registry, and it goes on counting', async () => {
    const outcome = (await vscode.commands.executeCommand('checkpointStudio.pullAndRestore', { reference, name: restored })) as RestoreOutcome | undefined;
    assert.equal(outcome?.result?.container.state, 'running', 'pull and restore failed (see the Checkpoint Studio log)');
    const first = counterValue(podman('exec', restored, 'cat', '/tmp/count'));
    assert.ok(first >= frozenAt, `restored counter ${first} restarted below ${frozenAt}`);
    await until('the restored counter to count on', () => counterValue(podman('exec', restored, 'cat', '/tmp/count')) > first + 5);
    // The layer was read into an archive for the restore: podman keeps no copy of the image.
    assert.throws(() => podman('image', 'exists', reference));
  });

  test('Remove Tag deletes the manifest: gone from the view and from the registry', async () => {
    await vscode.commands.executeCommand('checkpointStudio.removeTag', { reference, confirm: false });
    assert.ok(!(await tagNodes(open)).some((n) => n.label === run), 'the tag is still listed');
    const res = await fetch(`http://${open}/v2/${repository}/manifests/${run}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(res.status, 404);
  });

  test('a Basic-auth registry without credentials offers to sign in', async () => {
    await vscode.commands.executeCommand('checkpointStudio.addRegistry', { registry: basic });
    const children = await api.views.registries.getChildren(await registryNode(basic));
    const denied = children.find((n) => n.contextValue === 'registryMessage.denied');
    assert.ok(denied, `no sign-in node; the view shows ${children.map((n) => n.label).join(', ')}`);
    assert.equal(denied.command?.command, 'checkpointStudio.signInToRegistry');
    assert.equal(await vscode.commands.executeCommand('checkpointStudio.pushCheckpointImage', { image, reference: `${basic}/${repository}:${run}`, confirm: false }), undefined);
  });

  test('with a user name and password (kept in secret storage) the push succeeds', async () => {
    await vscode.commands.executeCommand('checkpointStudio.addRegistry', { registry: basic, username, password });
    const saved = await api.services.registries.savedCredential(basic);
    assert.deepEqual(saved, { kind: 'basic', username, password });
    assert.ok(!JSON.stringify(api.services.registries.list()).includes(password), 'the password is in globalState');
    const pushed = await vscode.commands.executeCommand('checkpointStudio.pushCheckpointImage', { image, reference: `${basic}/${repository}:${run}`, confirm: false });
    assert.equal(pushed, `${basic}/${repository}:${run}`);
    assert.equal((await tagNode(basic, run)).contextValue, 'registryTag.checkpoint');
  });

  test('the log shows each registry request, and never the password', async () => {
    const log = await until('the pushed manifest in the log', () => {
      const text = readFileSync(api.logFile.fsPath, 'utf8');
      return text.includes(`PUT http://${basic}/v2/${repository}/manifests/${run} 201`) ? text : undefined;
    });
    assert.ok(log.includes(`GET http://${open}/v2/_catalog 200`), 'the catalog request is not logged');
    assert.ok(!log.includes(password), 'the password is in the log');
    assert.ok(!log.includes(Buffer.from(`${username}:${password}`).toString('base64')), 'the Basic credentials are in the log');
  });
});
