/// <reference types="mocha" />
/**
 * Inside a checkpoint, in the real extension host: the reference container of issue 12 (support/richCheckpoint:
 * a shell with children and a grandchild, httpd listening, a file held open, syslogd on /dev/log, a known
 * environment variable) checkpointed for real into a podman image, the embedded store and a registry tag, each
 * expanded in its view into Processes, Open Files, Sockets and Mounts, and shown in the inspect page's tabs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointStudioApi } from '../../../src/extension/extension.js';
import type { ImagesViewNode } from '../../../src/extension/tree/CheckpointImagesProvider.js';
import type { RegistriesViewNode } from '../../../src/extension/tree/RegistriesProvider.js';
import type { InspectPanel } from '../../../src/extension/webview/InspectPanel.js';
import { richCheckpoint, type RichCheckpoint } from '../../support/richCheckpoint.js';
import { activateExtension, imageNodes, podman, until } from './host.js';

const run = Date.now().toString(36);
const image = `localhost/inhost-contents-${run}:ckpt`;
const storeTag = `contents-${run}`;
const repository = 'team/contents';

suite('Inside a checkpoint in the extension host', function () {
  this.timeout(180_000);
  const registry = process.env.CKPT_TEST_REGISTRY;
  const reference = `${registry}/${repository}:${run}`;
  const scratch = mkdtempSync(join(tmpdir(), 'ckpt-inhost-contents-'));
  const containers: string[] = [];
  let api: CheckpointStudioApi;
  let rich: RichCheckpoint;

  const label = (n: vscode.TreeItem) => String(typeof n.label === 'object' ? n.label.label : n.label);
  const tooltip = (n: vscode.TreeItem) => String(n.tooltip);
  /** The named node among `nodes`; fails naming what is there. */
  const named = <N extends vscode.TreeItem>(nodes: N[], pattern: RegExp, what: string): N => {
    const node = nodes.find((n) => pattern.test(label(n)));
    assert.ok(node, `no ${what} (${pattern}) among: ${nodes.map(label).join(' | ')}`);
    return node;
  };
  const imageChildren = (node: ImagesViewNode) => api.views.images.getChildren(node);
  const registryChildren = (node?: RegistriesViewNode) => api.views.registries.getChildren(node);

  /** The section nodes of an image node show the reference container, whatever view it is in. */
  async function assertContents<N extends vscode.TreeItem>(children: (n: N) => Promise<N[]>, imageNode: N): Promise<void> {
    const { planted } = rich;
    const all = await children(imageNode);
    const section = (name: string) => children(named(all, new RegExp(`^${name}$`), `${name} section`));
    /** Every process node, depth first. */
    const processNodes = async (roots: N[]): Promise<N[]> => {
      const out: N[] = [];
      for (const n of roots) out.push(n, ...(await processNodes(await children(n))));
      return out;
    };
    assert.deepEqual(all.map(label), ['Processes', 'Open Files', 'Sockets', 'Mounts']);

    const roots = await section('Processes');
    assert.deepEqual(roots.map(label), ['1 sh'], 'the shell is the one root');
    assert.match(tooltip(roots[0]!), /^Command line: sh -c '/m);
    assert.match(tooltip(roots[0]!), /^Credentials: uid 0 gid 0/m);
    assert.match(tooltip(roots[0]!), /^State: alive$/m);
    const tree = await processNodes(roots);
    const byCmdline = (cmdline: string) => {
      const node = tree.find((n) => tooltip(n).includes(`Command line: ${cmdline}\n`));
      assert.ok(node, `no process runs ${cmdline}: ${tree.map((n) => `${label(n)} ${n.description}`).join(' | ')}`);
      return node;
    };
    const shellChildren = (await children(roots[0]!)).map(label);
    for (const role of ['httpd', 'syslogd', 'holder'] as const) {
      const node = byCmdline(planted.cmdlines[role]);
      assert.ok(shellChildren.includes(label(node)), `${role} is a child of the shell: ${shellChildren.join(', ')}`);
    }
    const subshell = tree.find((n) => /^\d+ sh$/.test(label(n)) && label(n) !== '1 sh');
    assert.ok(subshell, 'the subshell is in the tree');
    assert.deepEqual((await children(subshell)).map((n) => tooltip(n).split('\n')[1]), [`Command line: ${planted.cmdlines.subshellChild}`], "the subshell's child is nested under it");

    const filesOf = await section('Open Files');
    const holderPid = label(byCmdline(planted.cmdlines.holder)).split(' ')[0];
    const holderFiles = await children(named(filesOf, new RegExp(`^${holderPid} sleep$`), 'the holder'));
    const held = named(holderFiles, new RegExp(`^${planted.heldFd} → ${planted.heldFile}$`), 'the held file');
    assert.match(String(held.description), /^pos \d+/);

    const sockets = (await section('Sockets')).map((n) => `${label(n)} @ ${n.description}`);
    assert.ok(sockets.some((s) => s.startsWith(`UNIX dgram`) && s.includes(` ${planted.unixSocket} @ `) && / syslogd · fd \d+$/.test(s)), sockets.join('\n'));
    assert.ok(sockets.some((s) => new RegExp(`^TCP \\(listen\\) \\S+:${planted.httpPort} -> .* httpd · fd \\d+$`).test(s)), sockets.join('\n'));

    const mounts = await section('Mounts');
    assert.match(String(named(mounts, /^\/$/, 'the root mount').description), /^overlay /);
    assert.match(String(named(mounts, /^\/proc$/, '/proc').description), /^proc /);
  }

  suiteSetup(async () => {
    api = await activateExtension();
    // richCheckpoint runs podman with this process's environment: the extension host's PATH may lack the proven CRIU.
    const path = process.env.PATH;
    process.env.PATH = vscode.workspace.getConfiguration('checkpointStudio').get<Record<string, string>>('podmanEnvironment')?.PATH ?? path;
    try {
      rich = await richCheckpoint(scratch, { onStarted: (name) => containers.push(name) });
    } finally {
      process.env.PATH = path;
    }
    podman('container', 'checkpoint', '--leave-running', '--create-image', image, rich.container);
    await api.services.refresh.now();
  });

  suiteTeardown(async () => {
    if (registry) await vscode.commands.executeCommand('checkpointStudio.removeRegistry', { registry });
    await vscode.commands.executeCommand('checkpointStudio.removeCheckpointImage', { image: `store:${storeTag}`, confirm: false }).then(undefined, () => undefined);
    for (const c of containers) podman('rm', '-f', '-t', '0', '--ignore', c);
    podman('rmi', '-f', '--ignore', image, reference);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('a registry tag expands into the processes, files, sockets and mounts, its layer streamed from the registry', async function () {
    if (!registry) this.skip();
    assert.equal(await vscode.commands.executeCommand('checkpointStudio.addRegistry', { registry: `http://${registry}/` }), registry);
    assert.equal(await vscode.commands.executeCommand('checkpointStudio.pushCheckpointImage', { image, reference, confirm: false }), reference);
    const host = named(await registryChildren(), new RegExp(`^${registry.replace(/\./g, '\\.')}$`), 'the registry');
    const repo = named(await registryChildren(host), new RegExp(`^${repository}$`), 'the repository');
    const tag = named(await registryChildren(repo), new RegExp(`^${run}$`), 'the tag');
    assert.equal(tag.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    await assertContents(registryChildren, tag);
  });

  test('a read cancelled on its way fails as cancelled and is not kept: the next read of the image succeeds', async function () {
    if (!registry) this.skip();
    const target = { ref: `docker://${reference}`, key: `cancel-${run}` };
    const reading = api.services.contents.read(target, { viewId: 'checkpointStudio.registries' });
    api.services.contents.cancel(target.key);
    await assert.rejects(reading, (err: Error & { code?: string }) => err.code === 'CANCELLED');
    const again = await api.services.contents.read(target, { viewId: 'checkpointStudio.registries' });
    assert.equal(again.contents.processes.length, 6);
  });

  test('an embedded-store image that cannot be read shows the cause in an error node, and reads once it is whole again', async () => {
    assert.equal(await vscode.commands.executeCommand('checkpointStudio.importArchive', { path: rich.archive, tag: storeTag }), storeTag);
    const store = (await api.views.images.getChildren()).find((l) => l.label === 'Embedded Store');
    const node = named(await imageNodes(api, store), new RegExp(`^${storeTag}$`), 'the store image');
    const layer = storeLayer(storeTag);
    const whole = readFileSync(layer);
    const damaged = Buffer.from(whole);
    damaged.fill(0, Math.floor(damaged.length / 2), Math.floor(damaged.length / 2) + 4096);
    writeFileSync(layer, damaged);
    try {
      const [error, ...rest] = await imageChildren(node);
      assert.equal(rest.length, 0);
      assert.equal(label(error!), 'Could not read the checkpoint');
      assert.equal(error!.contextValue, 'checkpointContents.error');
      assert.match(String(error!.description), /^blob sha256:\w+ in .* hashes to sha256:\w+/, 'the error node names the cause');
      assert.match(tooltip(error!), /, not sha256:\w+\n\n.*damaged or tampered with/, 'its tooltip has the whole cause and the hint');
      assert.equal(error!.command?.command, 'checkpointStudio.refresh', 'a click reads again');
    } finally {
      writeFileSync(layer, whole);
    }
    // What the click runs: the view asks for the image's children again, and the failed read was not kept.
    await vscode.commands.executeCommand('checkpointStudio.refresh');
    await assertContents(imageChildren, node);
  });

  test("a podman checkpoint image expands into the container's processes, with command lines on hover, its files, sockets and mounts", async () => {
    const podmanLocation = (await api.views.images.getChildren()).find((l) => l.label === 'Podman');
    const node = named(await imageNodes(api, podmanLocation), new RegExp(`^${image.replace(/[.:/]/g, '\\$&')}$`), 'the podman image');
    assert.equal(node.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    await assertContents(imageChildren, node);
  });

  test("the inspect page's tabs get the processes with their environment, the memory sizes and the changed files", async () => {
    const panel = (await vscode.commands.executeCommand('checkpointStudio.inspectCheckpointImage', image)) as InspectPanel | undefined;
    assert.ok(panel, 'no inspect panel');
    assert.equal(panel.model.groups.find((g) => g.title === 'Container')?.fields.find((f) => f.label === 'Name')?.value, rich.container);
    const read = await until('the contents in the page', () => (panel.model.read.state === 'reading' ? undefined : panel.model.read), 60_000);
    assert.equal(read.state, 'read', JSON.stringify(read));
    const shell = panel.model.contents?.processes.find((p) => p.pid === 1);
    assert.deepEqual(shell?.cmdline, ['sh', '-c', rich.planted.script]);
    const { name, value } = rich.planted.env;
    assert.ok(shell?.environment?.includes(`${name}=${value}`), `the shell carries ${name}`);
    assert.equal(panel.model.contents?.processes.length, 6, panel.model.contents?.processes.map((p) => p.comm).join(', '));
    if (read.state !== 'read') return;
    const memory = read.memory.find((m) => m.pid === 1);
    assert.ok(memory && memory.dumpedBytes > 0 && (memory.mappedBytes.stack ?? 0) > 0, JSON.stringify(memory));
    assert.ok(read.inspection.rootfsDiff.some((f) => f.path.endsWith('www/index.html') || f.path.endsWith('ckpt-held.txt')), JSON.stringify(read.inspection.rootfsDiff.slice(0, 20)));
  });
});

/** The layer blob of a tag in the window's embedded store (an OCI layout). */
function storeLayer(tag: string): string {
  const store = vscode.workspace.getConfiguration('checkpointStudio').get<string>('storePath')!;
  const blob = (digest: string) => join(store, 'blobs', ...digest.split(':'));
  const index = JSON.parse(readFileSync(join(store, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  assert.ok(entry, `${tag} is not in ${store}/index.json`);
  const manifest = JSON.parse(readFileSync(blob(entry.digest), 'utf8')) as { layers: { digest: string }[] };
  return blob(manifest.layers[0]!.digest);
}

