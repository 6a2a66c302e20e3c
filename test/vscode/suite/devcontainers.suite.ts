/// <reference types="mocha" />
/**
 * A teammate's dev container checkpoint, restored from the extension host as this window's dev container, with
 * real podman + CRIU and the devcontainers CLI. inHost.test.ts made alice's dev container (with the CLI) for
 * her workspace alice/shop and opened this window on bob/shop, a git clone of it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { copyImage, DevContainerAnnotation, parseRegistryReference, type CheckpointResult } from '../../../src/engine/index.js';
import { copyContext } from '../../../src/extension/commands/copy.js';
import { lostProcessesNotice } from '../../../src/extension/commands/notices.js';
import type { RestoreOutcome } from '../../../src/extension/commands/restoreWithPreflight.js';
import type { CheckpointStudioApi } from '../../../src/extension/extension.js';
import { counterValue } from '../../support/counter.js';
import { projectRoot } from '../../support/paths.js';
import { activateExtension, podman, until } from './host.js';

function env(name: string): string {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run this suite through inHost.test.ts`);
  return value;
}

const run = Date.now().toString(36);
const image = `localhost/inhost-devc-${run}:ckpt`;
const again = `localhost/inhost-devc-${run}:again`;
const refused = `inhost-devc-refused-${run}`;
const pulled = `inhost-devc-pulled-${run}`;

suite('Dev containers in the extension host', function () {
  this.timeout(180_000);
  const original = env('CKPT_TEST_DEVCONTAINER');
  const alice = env('CKPT_TEST_DEV_WORKSPACE_A');
  const dockerPath = env('CKPT_TEST_DEVCONTAINER_DOCKER_PATH');
  const reference = `${env('CKPT_TEST_REGISTRY')}/team/shop:${run}`;
  let api: CheckpointStudioApi;
  let folder: string;
  let frozenAt = 0;
  let restored = '';
  const terminals: vscode.Terminal[] = [];

  /** `devcontainer exec --workspace-folder <this window's folder> ARGS`, as the teammate types it. */
  const devcontainerExec = async (...args: string[]) => {
    const cli = join(projectRoot(), 'node_modules', '.bin', 'devcontainer');
    const { stdout } = await promisify(execFile)(cli, ['exec', '--docker-path', dockerPath, '--workspace-folder', folder, ...args], { timeout: 60_000 });
    return stdout.trim();
  };
  const logText = () => readFileSync(api.logFile.fsPath, 'utf8');
  const counter = (container: string) => counterValue(podman('exec', container, 'cat', '/tmp/count'));

  suiteSetup(async () => {
    api = await activateExtension();
    folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    assert.match(folder, /\/bob\/shop$/, "the window is not on bob's clone");
  });

  suiteTeardown(() => {
    for (const t of terminals) t.dispose();
    for (const c of [restored, pulled].filter(Boolean)) podman('rm', '-f', '-t', '0', '--ignore', c);
    podman('rmi', '-f', '--ignore', image, again, reference);
  });

  test('Create Checkpoint Image on a dev container records its workspace in the image', async () => {
    await until("the dev container's counter", () => counter(original) > 20);
    const result = (await vscode.commands.executeCommand('checkpointStudio.createCheckpointImage', {
      container: original,
      imageName: image,
      confirm: false,
    })) as CheckpointResult | undefined;
    assert.ok(result?.image, 'the command reported no image (see the Checkpoint Studio log)');
    assert.equal(result.image.annotations[DevContainerAnnotation.Workspace], 'shop');
    assert.equal(result.image.annotations[DevContainerAnnotation.Mount], '/workspaces/shop');
    assert.equal(result.image.annotations[DevContainerAnnotation.Config], '.devcontainer/devcontainer.json');
    frozenAt = Number(podman('logs', '--tail', '1', original));
  });

  test('a restore whose preflight finds an error is refused and creates no container', async () => {
    // The name is taken: alice's container is still there, checkpointed.
    const taken = podman('inspect', '--format', '{{.Name}}', original);
    const named = (await vscode.commands.executeCommand('checkpointStudio.restoreAsDevContainer', { image, name: taken, confirm: false })) as RestoreOutcome | undefined;
    assert.equal(named?.result, undefined);
    assert.equal(named?.report.canRestore, false);
    assert.ok(named?.report.findings.some((f) => f.severity === 'error' && f.check === 'name'), JSON.stringify(named?.report.findings));

    // A clone that is not there: CRIU would find none of the files the process has open.
    const missing = join(dirname(dirname(folder)), 'nobody', 'shop');
    const nowhere = (await vscode.commands.executeCommand('checkpointStudio.restoreAsDevContainer', {
      image,
      name: refused,
      workspaceFolder: missing,
      confirm: false,
    })) as RestoreOutcome | undefined;
    assert.equal(nowhere?.result, undefined);
    const errors = nowhere?.report.findings.filter((f) => f.severity === 'error').map((f) => f.message);
    assert.deepEqual(errors, [`the bind-mount source ${missing} (recorded as ${alice}) for /workspaces/shop does not exist here`]);
    assert.throws(() => podman('container', 'exists', refused), 'the refused restore created a container');
    // The report is in the log, as the CLI's dry run prints it.
    await until('the refused preflight in the log', () => logText().includes(`error    the bind-mount source ${missing}`));
  });

  test("Restore as Dev Container for This Workspace: the process goes on, as this folder's dev container", async () => {
    const outcome = (await vscode.commands.executeCommand('checkpointStudio.restoreAsDevContainer', { image, confirm: false })) as RestoreOutcome | undefined;
    assert.deepEqual(outcome?.report.findings.map((f) => `${f.severity} ${f.message}`), [
      `info host path ${folder} (recorded as ${alice}) is mounted at /workspaces/shop (read-write), inside the workspace`,
    ]);
    const container = outcome?.result?.container;
    assert.equal(container?.state, 'running', 'the restore failed (see the Checkpoint Studio log)');
    restored = container.name;
    assert.equal(container.devContainer?.localFolder, folder);

    // The devcontainers CLI finds it as this folder's dev container, by its labels.
    const first = counterValue(await devcontainerExec('cat', '/tmp/count'));
    assert.ok(first >= frozenAt, `the restored counter ${first} restarted below ${frozenAt}`);
    await until('the restored counter to go on', () => counter(restored) > first + 5);
    assert.equal(await devcontainerExec('cat', '/workspaces/shop/README'), 'the shop service');
    const mounts = JSON.parse(podman('inspect', '--format', '{{json .Mounts}}', restored)) as Array<{ Source: string; Destination: string }>;
    assert.deepEqual(mounts.map((m) => [m.Source, m.Destination]), [[folder, '/workspaces/shop']]);
    assert.equal(podman('inspect', '--format', '{{index .Config.Labels "devcontainer.local_folder"}}', restored), folder);

    const node = api.views.containers.getChildren().find((n) => n.container?.name === restored);
    assert.match(String(node?.description), /^restored · .* · dev container: shop$/);
  });

  test('Open Terminal in Container and Show Container Logs run podman in VS Code terminals', async () => {
    const global = vscode.workspace.getConfiguration('checkpointStudio').get<string[]>('podmanGlobalArgs') ?? [];
    const shell = (await vscode.commands.executeCommand('checkpointStudio.openTerminal', { container: restored })) as vscode.Terminal | undefined;
    assert.ok(shell, 'no terminal (see the Checkpoint Studio log)');
    terminals.push(shell);
    const shellOptions = shell.creationOptions as vscode.TerminalOptions;
    assert.equal(shellOptions.shellPath, 'podman');
    assert.deepEqual(shellOptions.shellArgs, [...global, 'exec', '-it', '--', restored, 'sh']);
    // Its shell runs inside the container (started with exec, so outside the checkpointed tree).
    await until('the terminal\'s shell in the container', async () =>
      (await api.services.podman().processesOutsideCheckpoint(restored)).some((p) => p.command === 'sh'));

    const logs = (await vscode.commands.executeCommand('checkpointStudio.showLogs', { container: restored })) as vscode.Terminal | undefined;
    assert.ok(logs, 'no terminal (see the Checkpoint Studio log)');
    terminals.push(logs);
    assert.deepEqual((logs.creationOptions as vscode.TerminalOptions).shellArgs, [...global, 'logs', '-f', '--', restored]);
  });

  test('Create Checkpoint Image names the processes started with exec that it leaves out; confirm: false checkpoints anyway', async () => {
    podman('exec', '-d', restored, 'sleep', '1000');
    const lost = await api.services.podman().processesOutsideCheckpoint(restored);
    assert.deepEqual(lost.map((p) => p.command).sort(), ['sh', 'sleep 1000'], 'the terminal\'s shell and the exec\'d sleep');
    // What the modal before the checkpoint says (the e2e test shows the dialog itself).
    const notice = lostProcessesNotice(restored, lost);
    assert.ok(notice);
    assert.equal(notice.message, `2 processes in ${restored} will not be in the checkpoint`);
    assert.match(notice.detail, /\d+ {2}sleep 1000/);

    const result = (await vscode.commands.executeCommand('checkpointStudio.createCheckpointImage', {
      container: restored,
      imageName: again,
      leaveRunning: true,
      confirm: false,
    })) as CheckpointResult | undefined;
    assert.ok(result?.image, 'the command reported no image (see the Checkpoint Studio log)');
    // The restored dev container is bob's now: its checkpoint records his workspace, by its name.
    assert.equal(result.image.annotations[DevContainerAnnotation.Workspace], 'shop');
    await until('the lost processes in the log', () => logText().includes(`2 processes in ${restored} will not be in the checkpoint: `));
  });

  test("Pull and Restore with asDevContainer restores a teammate's pushed checkpoint as this folder's dev container", async () => {
    // Pushed by the engine itself: the Push command is registries.suite.ts's subject, and it saves the registry.
    await copyImage(copyContext(api.services), { kind: 'podman', name: again }, { kind: 'registry', ...parseRegistryReference(reference) });
    const outcome = (await vscode.commands.executeCommand('checkpointStudio.pullAndRestore', { reference, name: pulled, asDevContainer: true, confirm: false })) as
      | RestoreOutcome
      | undefined;
    assert.equal(outcome?.result?.container.state, 'running', 'pull and restore failed (see the Checkpoint Studio log)');
    assert.equal(outcome.result.container.devContainer?.localFolder, folder);
    assert.deepEqual(outcome.report.findings.map((f) => `${f.severity} ${f.check}`), ['info bind-mount']);
    const mounts = JSON.parse(podman('inspect', '--format', '{{json .Mounts}}', pulled)) as Array<{ Source: string; Destination: string }>;
    assert.deepEqual(mounts.map((m) => [m.Source, m.Destination]), [[folder, '/workspaces/shop']]);
    const first = counter(pulled);
    await until('the pulled counter to go on', () => counter(pulled) > first + 5);
  });
});
