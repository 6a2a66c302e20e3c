import * as vscode from 'vscode';
import { describeError, isEngineError } from '../../engine/index.js';
import { notificationSafe } from '../../shared/terminalSafe.js';
import { signalFrom } from '../adapters/cancellation.js';
import type { Services } from '../services.js';

/** Thrown when the user closes a picker or an input box: the command just stops. */
export class UserCancelled extends Error {
  override readonly name = 'UserCancelled';
}

/** Returns the value, or stops the command when the user dismissed the prompt. */
export function required<T>(value: T | undefined): T {
  if (value === undefined) throw new UserCancelled();
  return value;
}

/**
 * Wraps a command: errors are logged in full (with CRIU's log tail) and shown with their cause, the next step,
 * and a button to open the log. Cancellation by the user is silent.
 */
export function runCommand<A extends unknown[]>(services: Services, fn: (...args: A) => Promise<unknown>) {
  return async (...args: A): Promise<unknown> => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof UserCancelled || isEngineError(err, 'CANCELLED')) return undefined;
      services.log.error(describeError(err));
      const text = errorText(err);
      // CRIU's own log says most; the output channel has everything else.
      const criuLog = isEngineError(err) ? err.logPath : undefined;
      const buttons = [criuLog ? 'Open CRIU Log' : 'Open Log'];
      // A CRIU that fails or hangs may not work on this kernel at all: the host check tells.
      if (isEngineError(err, 'CRIU_STALLED') || isEngineError(err, 'CRIU_FAILED')) buttons.push('Check This Host');
      void vscode.window.showErrorMessage(text, ...buttons).then((choice) => {
        if (choice === 'Open CRIU Log') void openAtEnd(vscode.Uri.file(criuLog!));
        else if (choice === 'Check This Host') void vscode.commands.executeCommand('checkpointStudio.checkHost');
        else if (choice) services.log.show(true);
      });
      return undefined;
    } finally {
      // Awaited, so a command is done only when the views show its result.
      await services.refresh.now();
    }
  };
}

/** An error in one message for people: an engine error's cause and next step, any other error's message. */
export function errorText(err: unknown): string {
  return notificationSafe(isEngineError(err) && err.hint ? `${err.message}. ${err.hint}.` : ((err as Error | undefined)?.message ?? String(err)));
}

/** Long work in a cancellable notification that names the stage. */
export function withProgress<T>(title: string, work: (report: (stage: string) => void, signal: AbortSignal) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => work((stage) => progress.report({ message: stage }), signalFrom(token)),
  );
}

/** Opens a log file scrolled to its end, where the failure is. */
async function openAtEnd(uri: vscode.Uri): Promise<void> {
  const editor = await vscode.window.showTextDocument(uri, { preview: true });
  const last = editor.document.lineAt(editor.document.lineCount - 1).range;
  editor.revealRange(last, vscode.TextEditorRevealType.InCenter);
  editor.selection = new vscode.Selection(last.start, last.start);
}
