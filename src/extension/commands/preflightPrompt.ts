import * as vscode from 'vscode';
import type { PreflightReport } from '../../engine/index.js';
import { formatPreflightReport } from '../../shared/preflightReport.js';
import type { Services } from '../services.js';
import { preflightNotice } from './notices.js';
import { UserCancelled } from './runCommand.js';

/**
 * Shows a restore's preflight and says whether the restore may go ahead. The whole report goes to the log.
 * Errors refuse, always: a modal error listing the findings (with `confirm` false, a notification instead,
 * since that caller asked for no dialogs). Warnings and notes ask in a modal, "Restore Anyway" or nothing
 * (throws UserCancelled); with `confirm` false they are taken as read.
 */
export async function confirmPreflight(services: Services, report: PreflightReport, subject: string, confirm: boolean): Promise<boolean> {
  services.log.info(formatPreflightReport(report));
  const notice = preflightNotice(report, subject);
  if (!notice) return true;
  if (notice.kind === 'refuse') {
    if (confirm) await vscode.window.showErrorMessage(notice.message, { modal: true, detail: notice.detail });
    else {
      void vscode.window.showErrorMessage(`${notice.message}; the Checkpoint Studio log lists them.`, 'Open Log').then((choice) => {
        if (choice) services.log.show(true);
      });
    }
    return false;
  }
  if (!confirm) return true;
  const choice = await vscode.window.showWarningMessage(notice.message, { modal: true, detail: notice.detail }, 'Restore Anyway');
  if (choice !== 'Restore Anyway') throw new UserCancelled();
  return true;
}
