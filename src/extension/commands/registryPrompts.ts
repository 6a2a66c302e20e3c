import * as vscode from 'vscode';
import { isLoopbackRegistry, parseRegistryReference, type RegistryCredential } from '../../engine/index.js';
import type { Services } from '../services.js';
import { RegistryMessageNode, RegistryNode, RepositoryNode } from '../tree/RegistryNodes.js';
import { required } from './runCommand.js';

/**
 * `host[:port]` from what a person types or pastes (`https://` dropped; `http://` means plain HTTP), or why it is
 * not one. The engine's reference grammar decides: a registry host has a dot or a port, or is localhost.
 */
export function readRegistryHost(text: string): { host: string; insecure?: boolean } | { problem: string } {
  const trimmed = text.trim().replace(/\/+$/, '');
  const scheme = /^(https?):\/\//i.exec(trimmed);
  const host = (scheme ? trimmed.slice(scheme[0].length) : trimmed).toLowerCase();
  if (!host) return { problem: 'Enter the registry as host[:port], e.g. registry.example.com or localhost:5000' };
  if (host.includes('/')) return { problem: 'Enter only the host and port, without a path' };
  let parsed: string | undefined;
  try {
    parsed = parseRegistryReference(`${host}/probe`).registry;
  } catch {
    parsed = undefined;
  }
  if (parsed !== host) return { problem: `"${host}" is not a registry host: it needs a dot or a port (registry.example.com, myhost:5000) or is localhost` };
  return scheme?.[1]!.toLowerCase() === 'http' ? { host, insecure: true } : { host };
}

/** The registry a command was invoked on (a node of the Registries view, or `{ registry }`), or one the user picks. */
export async function registryOf(services: Services, arg: unknown, title: string): Promise<string> {
  if (arg instanceof RegistryNode || arg instanceof RepositoryNode || arg instanceof RegistryMessageNode) return arg.host;
  const registry = (arg as { registry?: unknown } | undefined)?.registry;
  if (typeof registry === 'string') return registry.toLowerCase();
  return pickRegistry(services, title, false);
}

/** One of the saved registries; with `allowNew`, "Add Registry…" as well, which asks for a new one. */
export async function pickRegistry(services: Services, title: string, allowNew: boolean): Promise<string> {
  const saved = services.registries.list();
  if (saved.length === 0) {
    if (allowNew) return (await askRegistry(services, title)).host;
    throw new Error('There are no registries yet. Add one in the Registries view (Add Registry…)');
  }
  const items: Array<vscode.QuickPickItem & { host?: string }> = saved.map((r) => ({ label: r.host, description: r.insecure ? 'insecure (HTTP)' : undefined, host: r.host }));
  if (allowNew) items.push({ label: '$(add) Add Registry…' });
  const pick = required(await vscode.window.showQuickPick(items, { title, placeHolder: 'Pick a registry' }));
  return pick.host ?? (await askRegistry(services, title)).host;
}

/** Asks for a new registry (host, plain HTTP or not, credentials) and saves it. */
export async function askRegistry(services: Services, title: string): Promise<{ host: string }> {
  const typed = required(
    await vscode.window.showInputBox({
      title,
      prompt: 'Registry host[:port]',
      placeHolder: 'registry.example.com or localhost:5000',
      validateInput: (v) => {
        const read = readRegistryHost(v);
        return 'problem' in read ? read.problem : undefined;
      },
    }),
  );
  const read = readRegistryHost(typed) as { host: string; insecure?: boolean };
  const { host } = read;
  let insecure = read.insecure ?? false;
  // Loopback registries speak plain HTTP without being told.
  if (!read.insecure && !isLoopbackRegistry(host)) {
    const pick = required(
      await vscode.window.showQuickPick(
        [
          { label: 'HTTPS', detail: 'The registry has a TLS certificate this machine trusts', insecure: false },
          { label: 'Plain HTTP (insecure)', detail: 'Anyone on the network path can read and change what is pushed and pulled', insecure: true },
        ],
        { title, placeHolder: `How does ${host} connect?` },
      ),
    );
    insecure = pick.insecure;
  }
  const credential = await askCredential(services, host, title);
  const existing = services.registries.get(host);
  await services.registries.save({ host, insecure, repositories: existing?.repositories ?? [] }, credential);
  return { host };
}

/** The podman/docker login (null: nothing saved in VS Code) or a user name and password or token to save. */
export async function askCredential(services: Services, host: string, title: string): Promise<RegistryCredential | null> {
  const login = await services.registries.login(host).catch(() => undefined);
  const pick = required(
    await vscode.window.showQuickPick(
      [
        {
          label: 'Use my podman/docker login',
          detail: login ? `Found in ${login.source}` : `None found for ${host} yet: pulls and pushes go anonymously, or run podman login ${host}`,
          enter: false,
        },
        { label: 'Enter user name and password or token', detail: 'Kept in VS Code\'s secret storage, never in settings', enter: true },
      ],
      { title, placeHolder: `Credentials for ${host}` },
    ),
  );
  if (!pick.enter) return null;
  const username = required(
    await vscode.window.showInputBox({ title, prompt: `User name for ${host}`, validateInput: (v) => (v.trim() ? undefined : 'Enter a user name') }),
  ).trim();
  const password = required(
    await vscode.window.showInputBox({
      title,
      prompt: `Password or token of ${username} for ${host}`,
      password: true,
      validateInput: (v) => (v ? undefined : 'Enter the password or token'),
    }),
  );
  return { kind: 'basic', username, password };
}
