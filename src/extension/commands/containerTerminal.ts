import * as vscode from 'vscode';
import type { Services } from '../services.js';
import { pickRunningContainer } from './pick.js';

export type ContainerTerminalKind = 'shell' | 'logs';

const TITLES: Record<ContainerTerminalKind, string> = { shell: 'Open Terminal in Container', logs: 'Show Container Logs' };

/**
 * A VS Code terminal inside a container (a shell) or following its log. Takes a Containers view node,
 * `{ container }` (a name or ID) or nothing (asks which running container).
 */
export async function openContainerTerminal(services: Services, arg: unknown, kind: ContainerTerminalKind): Promise<vscode.Terminal> {
  const given = typeof arg === 'object' && arg !== null ? (arg as { container?: unknown }).container : undefined;
  const container = typeof given === 'string' ? given : (await pickRunningContainer(services, arg, TITLES[kind])).name;
  // podman as configured (path, global flags, environment): the same podman the views show.
  const { file, args, env } = services.podman().terminalCommand(container, kind);
  const terminal = vscode.window.createTerminal({ name: kind === 'shell' ? `sh: ${container}` : `logs: ${container}`, shellPath: file, shellArgs: args, env });
  terminal.show();
  return terminal;
}
