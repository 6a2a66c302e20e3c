import { basename } from 'node:path';
import { EngineError } from '../errors.js';
import type { Podman } from '../podman/Podman.js';
import type { RestoreOptions, RestoreResult } from '../podman/restore.js';
import { preflightRestore, type PreflightReport } from '../preflight/preflight.js';
import { restoreSanitized } from '../preflight/sanitizedRestore.js';
import { DevContainerAnnotation, gitCommit } from './checkpointDevContainer.js';
import { devContainerWorkspace, workspaceRemapEdit, workspaceRemapping, type DevContainerWorkspace } from './workspaceRemap.js';

export interface DevContainerPlan {
  /** The author's workspace, as the checkpoint records it. */
  recorded: DevContainerWorkspace;
  /** This window's workspace folder, where the workspace mounts will point. */
  workspaceFolder: string;
  /** The preflight with the mounts already moved. */
  report: PreflightReport;
  /** The user chose to restore a checkpoint that ran in the host's network namespace in it again. */
  hostNetwork?: boolean;
}

/**
 * Preflight of restoring a dev container's checkpoint image (in podman's storage) for another clone of its
 * workspace: the checks of every restore, with the workspace's bind mounts moved to `workspaceFolder`.
 */
export async function planDevContainerRestore(
  podman: Podman,
  image: string,
  workspaceFolder: string,
  options: Pick<RestoreOptions, 'name' | 'signal' | 'tcpEstablished'> & { hostNetwork?: boolean } = {},
): Promise<DevContainerPlan> {
  // The checkpoint is read once, by the preflight; the remapping is worked out from what it read.
  const report = await preflightRestore(podman, { kind: 'image', ref: image }, {
    ...options,
    workspaceFolder,
    remap: (contents) => {
      const found = devContainerWorkspace(contents);
      if (!found) {
        throw new EngineError('INVALID_ARGUMENT', `${image} is not the checkpoint of a dev container (it has no devcontainer.local_folder label)`, {
          hint: 'restore it as a plain container',
        });
      }
      return workspaceRemapping(contents, found.localFolder, workspaceFolder);
    },
  });
  const recorded = devContainerWorkspace(report.contents)!;
  const recordedCommit = report.annotations[DevContainerAnnotation.Commit];
  if (recordedCommit) {
    const here = await gitCommit(workspaceFolder, options.signal);
    if (here !== recordedCommit) {
      report.findings.push({
        severity: 'warning',
        check: 'workspace',
        message: here
          ? `this clone is at commit ${here.slice(0, 12)}, the checkpoint was taken at ${recordedCommit.slice(0, 12)}`
          : `the checkpoint was taken at commit ${recordedCommit.slice(0, 12)}; ${workspaceFolder} is no git work tree`,
        hint: `files the process has open may not match: git checkout ${recordedCommit.slice(0, 12)} first`,
      });
    }
  }
  // The process's files stay where they were in the container; the tooling looks for /workspaces/<folder name>.
  const expected = `/workspaces/${basename(workspaceFolder)}`;
  if (recorded.mountDestination && recorded.mountDestination !== expected) {
    report.findings.push({
      severity: 'warning',
      check: 'workspace',
      message: `the workspace is mounted at ${recorded.mountDestination} in the checkpoint, but the dev container tools look for ${expected} for this folder`,
      hint: `name your clone ${basename(recorded.mountDestination)} like the author's, or set "workspaceFolder": "${recorded.mountDestination}" in devcontainer.json`,
    });
  }
  return { recorded, workspaceFolder, report, hostNetwork: options.hostNetwork };
}

/**
 * Restores a dev container's checkpoint as `workspaceFolder`'s dev container: the sanitized copy every restore
 * goes through has its workspace mounts and devcontainer labels moved there too (podman cannot change mounts on
 * restore). Refuses when the plan's preflight has errors.
 */
export async function restoreDevContainer(podman: Podman, image: string, plan: DevContainerPlan, options: RestoreOptions = {}): Promise<RestoreResult> {
  const errors = plan.report.findings.filter((f) => f.severity === 'error');
  if (errors.length) {
    throw new EngineError('PREFLIGHT_FAILED', `${image} would not restore for ${plan.workspaceFolder}: ${errors.map((e) => e.message).join('; ')}`, {
      hint: errors[0]!.hint,
    });
  }
  options.onStage?.(`moving the workspace to ${plan.workspaceFolder}`);
  return restoreSanitized(podman, { kind: 'image', ref: image }, { ...options, hostNetwork: plan.hostNetwork, edit: workspaceRemapEdit(plan.recorded.localFolder, plan.workspaceFolder) });
}
