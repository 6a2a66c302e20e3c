import type * as vscode from 'vscode';

/** An AbortSignal that aborts when the VS Code token is cancelled. */
export function signalFrom(token: vscode.CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort(new Error('cancelled'));
  else token.onCancellationRequested(() => controller.abort(new Error('cancelled')));
  return controller.signal;
}
