import * as vscode from 'vscode';
import { unallowedHostPaths, type PreflightReport } from '../../engine/index.js';
import { formatPreflightReport } from '../../shared/preflightReport.js';
import type { Services } from '../services.js';
import { preflightNotice } from './notices.js';
import { UserCancelled } from './runCommand.js';

/**
 * Shows a restore's preflight and says whether the restore may go ahead. The whole report goes to the log.
 * Errors refuse, always: a modal error listing the findings (with `confirm` false, a notification instead,
 * since that caller asked for no dialogs). Warnings and notes ask in a modal that lists every host path,
 * "Restore Anyway" or nothing (throws UserCancelled); with `confirm` false they are taken as read, but for host
 * paths outside the workspace: each must be in `allowHostPaths`, or the restore is refused.
 */
export async function confirmPreflight(services: Services, report: PreflightReport, subject: string, confirm: boolean, allowHostPaths: readonly string[] = []): Promise<boolean> {
  services.log.info(formatPreflightReport(report));
  const notice = preflightNotice(report, subject);
  if (!notice) return true;
  const refuse = (message: string) => {
    void vscode.window.showErrorMessage(`${message}; the Checkpoint Studio log lists them.`, 'Open Log').then((choice) => {
      if (choice) services.log.show(true);
    });
    return false;
  };
  if (notice.kind === 'refuse') {
    if (!confirm) return refuse(notice.message);
    await vscode.window.showErrorMessage(notice.message, { modal: true, detail: notice.detail });
    return false;
  }
  if (!confirm) {
    const unallowed = await unallowedHostPaths(report, allowHostPaths);
    if (unallowed.length) {
      services.log.warn(`not restoring ${subject} without a dialog: host paths outside the workspace not allowed: ${unallowed.join(', ')}`);
      return refuse(`Cannot restore ${subject} without asking: it mounts ${unallowed.join(', ')} from this host`);
    }
    return true;
  }
  const choice = await vscode.window.showWarningMessage(notice.message, { modal: true, detail: notice.detail }, 'Restore Anyway');
  if (choice !== 'Restore Anyway') throw new UserCancelled();
  return true;
}
