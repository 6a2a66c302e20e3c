import type * as vscode from 'vscode';
import type { Logger } from '../../engine/index.js';

/** The engine's logger, writing to the "Checkpoint Studio" output channel. */
export function channelLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    debug: (m) => channel.debug(m),
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
  };
}
