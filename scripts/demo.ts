/**
 * The main job: Checkpoint Studio in a real VS Code (code-server on 127.0.0.1) with a demo container running,
 * in a podman store of its own. `--screenshots` drives it headlessly, saves screenshots and exits.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Workbench, workbenchUrl } from '../test/vscode/harness/browser.js';
import { startCodeServer } from '../test/vscode/harness/codeServer.js';
import { projectRoot } from '../test/support/paths.js';
import {
  CKPT_HOME,
  ensureStack,
  podman,
  podmanArgs,
  removeContainers,
  stackEnvironment,
  startCounter,
  waitForCounter,
} from '../test/support/stack.js';

const CONTAINER = 'demo-counter';
const IMAGE = 'localhost/demo-counter:checkpoint';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { screenshots: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log('npm start [-- --screenshots DIR]   open Checkpoint Studio in VS Code (or take screenshots and exit)');
    return;
  }
  await ensureStack();
  await removeContainers(CONTAINER);
  await podman('rmi', '-f', '--ignore', IMAGE);
  await startCounter(CONTAINER);
  await waitForCounter(CONTAINER, 3);

  const runDir = join(CKPT_HOME, 'demo-vscode');
  const workspace = join(runDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const server = await startCodeServer({
    runDir,
    settings: {
      'checkpointStudio.podmanGlobalArgs': podmanArgs,
      'checkpointStudio.podmanEnvironment': stackEnvironment(),
      'checkpointStudio.storePath': join(CKPT_HOME, 'demo-embedded-store'),
      'workbench.colorTheme': 'Default Dark Modern',
    },
  });
  const url = workbenchUrl(server, { folder: workspace, extensionDevelopmentPath: [projectRoot()] });
  const stop = async () => {
    await server.stop();
    await removeContainers(CONTAINER);
  };

  if (values.screenshots) {
    try {
      await screenshots(url, values.screenshots, runDir);
    } finally {
      await stop();
    }
    return;
  }
  console.log(`\nCheckpoint Studio is running in VS Code at:\n\n  ${url}\n`);
  console.log(`The container "${CONTAINER}" counts up; open the Checkpoints view (activity bar) to checkpoint it.`);
  console.log('From another machine: ssh -L <port>:127.0.0.1:<port> this-host, then open the URL. Ctrl-C stops.\n');
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await stop();
}

/** Opens the workbench headlessly, shows the views and a checkpoint being made, and saves what it sees. */
async function screenshots(url: string, dir: string, runDir: string): Promise<void> {
  const wb = await Workbench.launch({ runDir, artifactsDir: dir });
  try {
    await wb.page.goto(url);
    await wb.waitForWorkbench(60_000);
    await wb.page.locator('.activitybar [aria-label^="Checkpoints"]').first().click();
    await wb.page.getByRole('treeitem', { name: new RegExp(`^${CONTAINER}, running`) }).waitFor({ timeout: 30_000 });
    console.log(await wb.screenshot('1-checkpoints-view'));
    await wb.runCommand('Checkpoint: Create Checkpoint Image…');
    const input = wb.page.locator('.quick-input-widget input');
    await input.fill(CONTAINER);
    await input.press('Enter');
    await wb.page.locator('.quick-input-widget').getByText('Image name for the checkpoint').waitFor();
    await input.fill(IMAGE);
    await input.press('Enter');
    await wb.page.locator('.quick-input-widget').getByText('Leave running').waitFor();
    console.log(await wb.screenshot('2-checkpoint-options'));
    await input.press('Enter');
    await wb.notification('Checkpointed').waitFor({ timeout: 45_000 });
    await wb.page.getByRole('treeitem', { name: new RegExp(`^${IMAGE}`) }).click();
    await wb.webview().locator('h1').waitFor({ timeout: 30_000 });
    console.log(await wb.screenshot('3-inspect'));
  } finally {
    await wb.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
