import type * as vscode from 'vscode';
import type { Logger } from '../../engine/index.js';
import { terminalSafe } from '../../shared/terminalSafe.js';

/** The engine's logger, writing to the "Checkpoint Studio" output channel. */
export function channelLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    debug: (m) => channel.debug(m),
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
  };
}

/**
 * The output channel with control characters escaped in everything written to it (issue 11): its log file is
 * read with cat and tail, where an image's ESC [2K or OSC 8 would act. Made once where the channel is created,
 * so no call site can forget. Extra arguments are joined as VS Code would (strings as they are, the rest as
 * JSON), then escaped with the message.
 */
export function terminalSafeChannel(channel: vscode.LogOutputChannel): vscode.LogOutputChannel {
  const text = (message: string | Error, args: unknown[]) =>
    terminalSafe([message, ...args].map((a) => (typeof a === 'string' ? a : a instanceof Error ? (a.stack ?? String(a)) : JSON.stringify(a))).join(' '));
  return {
    get name() {
      return channel.name;
    },
    get logLevel() {
      return channel.logLevel;
    },
    onDidChangeLogLevel: channel.onDidChangeLogLevel,
    trace: (m, ...args) => channel.trace(text(m, args)),
    debug: (m, ...args) => channel.debug(text(m, args)),
    info: (m, ...args) => channel.info(text(m, args)),
    warn: (m, ...args) => channel.warn(text(m, args)),
    error: (e, ...args) => channel.error(text(e, args)),
    append: (v) => channel.append(terminalSafe(v)),
    appendLine: (v) => channel.appendLine(terminalSafe(v)),
    replace: (v) => channel.replace(terminalSafe(v)),
    clear: () => channel.clear(),
    show: (a?: vscode.ViewColumn | boolean, b?: boolean) => channel.show(a as vscode.ViewColumn, b),
    hide: () => channel.hide(),
    dispose: () => channel.dispose(),
  };
}
