import { basename } from 'node:path';
import * as vscode from 'vscode';
import {
  devContainerWorkspace,
  parseReference,
  planDevContainerRestore,
  preflightRestore,
  restoreDevContainer,
  restoreSanitized,
  withCheckpointArchive,
  type DevContainerPlan,
  type PreflightReport,
  type RestoreResult,
} from '../../engine/index.js';
import type { Services } from '../services.js';
import { copyContext, intoPodman } from './copy.js';
import { confirmPreflight } from './preflightPrompt.js';
import { required, UserCancelled, withProgress } from './runCommand.js';

/** The Dev Containers extension, whose "Reopen in Container" attaches this window to a restored dev container. */
const DEV_CONTAINERS_EXTENSION = 'ms-vscode-remote.remote-containers';

/** Arguments of the restore commands when run without prompts (keybindings, other extensions, tests). */
export interface RestoreRequest {
  /**
   * A podman name, store:TAG or docker://HOST/REPO:TAG: the last two are read into a checkpoint archive (a dev
   * container's restore copies them into podman).
   */
  image: string;
  /** Omit to reuse the original container's name (it must not exist any more). */
  name?: string;
  publish?: string[];
  ignoreStaticIp?: boolean;
  ignoreStaticMac?: boolean;
  /** Bring back established TCP connections (the checkpoint must hold them, the peers must answer). */
  tcpEstablished?: boolean;
  /**
   * false: restore despite the preflight's warnings without asking — except host paths outside the workspace,
   * which must each be in `allowHostPaths`. Errors always refuse.
   */
  confirm?: boolean;
  /** Host paths outside the workspace a restore without dialogs may mount, one by one. */
  allowHostPaths?: string[];
  /**
   * Let a checkpoint that ran in the host's network namespace restore in it again. Without it, such a
   * restore asks in a dialog (or, with `confirm` false, is refused).
   */
  hostNetwork?: boolean;
}

/** What a restore command did: the preflight, always, and the restore when the preflight let it go ahead. */
export interface RestoreOutcome {
  report: PreflightReport;
  /** Undefined when the preflight refused the restore. */
  result?: RestoreResult;
}

export interface RestoreMode {
  /** true: as the dev container of `workspaceFolder`; 'ask': ask, when the image is a dev container's and a folder is open. */
  devContainer?: boolean | 'ask';
  /** Default: this window's first workspace folder. */
  workspaceFolder?: string;
}

/** This window's first workspace folder, as a path on the extension's host; undefined when none is open there. */
export function thisWorkspaceFolder(): string | undefined {
  const uri = vscode.workspace.workspaceFolders?.[0]?.uri;
  return uri?.scheme === 'file' ? uri.fsPath : undefined;
}

/** The folder a dev container is restored for: `given`, else this window's; there must be one. */
export function devContainerFolder(given?: string): string {
  const folder = given ?? thisWorkspaceFolder();
  if (!folder) throw new Error("Open your clone of the dev container's workspace first: the restore makes it that folder's dev container");
  return folder;
}

/**
 * Every restore's way, in one progress notification: the image read (from the embedded store or a registry into
 * an archive), the preflight against this host (shown, and asked about when it warns), the restore, then a
 * notification with the ways into the container.
 */
export async function restoreWithPreflight(services: Services, request: RestoreRequest, mode: RestoreMode = {}): Promise<RestoreOutcome> {
  const { image: requested, confirm, allowHostPaths, hostNetwork, ...options } = request;
  const folder = mode.devContainer === true ? devContainerFolder(mode.workspaceFolder) : (mode.workspaceFolder ?? thisWorkspaceFolder());
  const outcome = await withProgress(`Restoring ${shown(requested)}`, (report, signal) =>
    withCheckpoint(services, requested, mode.devContainer === true, report, signal, async (checkpoint) => {
      report('checking the checkpoint against this host');
      const facts = { checkpoint, requested, name: options.name, folder, tcpEstablished: options.tcpEstablished, devContainer: mode.devContainer, hostNetwork };
      let { checked, dev } = await preflight(services, facts, signal);
      const subject = dev ? `${shown(requested)} as the dev container of ${basename(dev.workspaceFolder)}` : shown(requested);
      if (!hostNetwork && confirm !== false && onlyHostNetworkRefused(checked) && (await askHostNetwork(subject))) {
        facts.hostNetwork = true;
        ({ checked, dev } = await preflight(services, { ...facts, folder: dev?.workspaceFolder ?? folder, devContainer: dev !== undefined }, signal));
      }
      if (!(await confirmPreflight(services, checked, subject, confirm !== false, allowHostPaths))) return { report: checked, dev };
      const restoreOptions = { ...options, onStage: report, signal };
      const result = dev
        ? await restoreDevContainer(services.podman(), await checkpoint.inPodman(), dev, restoreOptions)
        : await restoreSanitized(services.podman(), checkpoint.source, { ...restoreOptions, hostNetwork: facts.hostNetwork });
      return { report: checked, result, dev };
    }),
  );
  await services.refresh.now();
  if (outcome.result) announce(outcome.result, requested, outcome.dev);
  return { report: outcome.report, result: outcome.result };
}

/** The checkpoint a restore reads: an image in podman, or an archive read from the store or a registry. */
interface Checkpoint {
  source: { kind: 'image'; ref: string } | { kind: 'archive'; path: string };
  /** For an archive: the image it was read from, named as the user did, and its annotations. */
  image?: { ref: string; annotations: Record<string, string> };
  /** The image in podman, copied there on first use (a dev container's restore goes through podman's storage). */
  inPodman(): Promise<string>;
}

/**
 * Runs `use` on the checkpoint `requested` names. An image of the store or a registry is read into an archive
 * (its layer streamed, verified and decompressed once), as `ckpt restore` does: podman would only have the
 * sanitized copy tarred out of it again. A dev container's restore copies it into podman instead.
 */
async function withCheckpoint<T>(
  services: Services,
  requested: string,
  devContainer: boolean,
  report: (message: string) => void,
  signal: AbortSignal,
  use: (checkpoint: Checkpoint) => Promise<T>,
): Promise<T> {
  const ref = parseReference(requested);
  let copied: Promise<string> | undefined;
  const inPodman = () => (copied ??= intoPodman(services, requested, report, signal));
  if (devContainer || (ref.kind !== 'store' && ref.kind !== 'registry')) {
    const name = await inPodman();
    return use({ source: { kind: 'image', ref: name }, inPodman });
  }
  report(`reading ${shown(requested)}`);
  return withCheckpointArchive(copyContext(services, signal), ref, { signal }, ({ path, annotations }) =>
    use({ source: { kind: 'archive', path }, image: { ref: requested, annotations }, inPodman }),
  );
}

/** The preflight of a plain restore, or of a restore as `folder`'s dev container (then with its plan). */
async function preflight(
  services: Services,
  r: { checkpoint: Checkpoint; requested: string; name?: string; folder?: string; tcpEstablished?: boolean; devContainer: RestoreMode['devContainer']; hostNetwork?: boolean },
  signal: AbortSignal,
): Promise<{ checked: PreflightReport; dev?: DevContainerPlan }> {
  const podman = services.podman();
  const checks = { name: r.name, tcpEstablished: r.tcpEstablished, hostNetwork: r.hostNetwork, signal };
  const asDevContainer = async (folder: string) => {
    const dev = await planDevContainerRestore(podman, await r.checkpoint.inPodman(), folder, checks);
    return { checked: dev.report, dev };
  };
  if (r.devContainer === true) return asDevContainer(devContainerFolder(r.folder));
  const checked = await preflightRestore(podman, r.checkpoint.source, { ...checks, workspaceFolder: r.folder, image: r.checkpoint.image });
  if (r.devContainer === 'ask' && r.folder && devContainerWorkspace(checked.contents) && (await askAsDevContainer(r.requested, r.folder))) {
    return asDevContainer(r.folder);
  }
  return { checked };
}

/** The host's network is the one thing that stops this restore, and the user may choose it. */
function onlyHostNetworkRefused(report: PreflightReport): boolean {
  const errors = report.findings.filter((f) => f.severity === 'error');
  return errors.length > 0 && errors.every((f) => f.check === 'network');
}

async function askHostNetwork(subject: string): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    `${subject} ran in the host's network namespace, and can only be restored there.`,
    {
      modal: true,
      detail: "Its processes would see and use every network interface and port of this host. Use the host's network only if you trust where this checkpoint comes from.",
    },
    'Use Host Network',
  );
  if (choice !== 'Use Host Network') throw new UserCancelled();
  return true;
}

async function askAsDevContainer(image: string, folder: string): Promise<boolean> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: "As This Workspace's Dev Container", detail: `Its workspace mount and dev container labels move to ${folder}`, dev: true },
      { label: 'As a Plain Container', detail: 'With the mounts and labels it was checkpointed with', dev: false },
    ],
    { title: `Restore ${image}`, placeHolder: 'This is the checkpoint of a dev container: restore it how?' },
  );
  return required(pick).dev;
}

/** The result, with the ways into the restored container: a shell, its log, and for a dev container the editor. */
function announce(result: RestoreResult, requested: string, dev: DevContainerPlan | undefined): void {
  const { name, state } = result.container;
  const text = dev
    ? `Restored ${name} from ${shown(requested)} as the dev container of ${dev.workspaceFolder}; it is ${state}.`
    : `Restored ${name} from ${shown(requested)}; it is ${state}.`;
  const reopen = dev && vscode.extensions.getExtension(DEV_CONTAINERS_EXTENSION) ? ['Reopen in Container'] : [];
  void vscode.window.showInformationMessage(text, ...reopen, 'Open Terminal', 'Show Logs').then((choice) => {
    if (choice === 'Open Terminal') void vscode.commands.executeCommand('checkpointStudio.openTerminal', { container: name });
    if (choice === 'Show Logs') void vscode.commands.executeCommand('checkpointStudio.showLogs', { container: name });
    if (choice === 'Reopen in Container') void vscode.commands.executeCommand('remote-containers.reopenInContainer');
  });
}

/** A reference as people copy and paste it: a registry's without the transport prefix. */
function shown(ref: string): string {
  return ref.replace(/^docker:\/\//, '');
}
