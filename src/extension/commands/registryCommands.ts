import * as vscode from 'vscode';
import { formatRegistryReference, parseRegistryReference, type RegistryCredential } from '../../engine/index.js';
import type { Services } from '../services.js';
import { RegistryTagNode } from '../tree/RegistryNodes.js';
import { askCredential, askRegistry, readRegistryHost, registryOf } from './registryPrompts.js';
import { required, UserCancelled } from './runCommand.js';

/** Arguments for running Add Registry and Sign In without prompts. No user name and password: the podman/docker login. */
export interface RegistryRequest {
  registry: string;
  insecure?: boolean;
  username?: string;
  password?: string;
}

function isRegistryRequest(arg: unknown): arg is RegistryRequest {
  return typeof arg === 'object' && arg !== null && typeof (arg as RegistryRequest).registry === 'string';
}

function credentialOf(request: RegistryRequest): RegistryCredential | null {
  return request.username && request.password !== undefined ? { kind: 'basic', username: request.username, password: request.password } : null;
}

export async function addRegistry(services: Services, arg?: unknown): Promise<string> {
  if (!isRegistryRequest(arg)) return (await askRegistry(services, 'Add Registry')).host;
  const read = readRegistryHost(arg.registry);
  if ('problem' in read) throw new Error(read.problem);
  const existing = services.registries.get(read.host);
  await services.registries.save(
    { host: read.host, insecure: arg.insecure ?? read.insecure ?? false, repositories: existing?.repositories ?? [] },
    credentialOf(arg),
  );
  return read.host;
}

/** Forgets a registry and the credentials saved for it in VS Code (not the podman/docker login). */
export async function removeRegistry(services: Services, arg?: unknown): Promise<void> {
  await services.registries.remove(await registryOf(services, arg, 'Remove Registry'));
}

/** Replaces the credentials of a registry: `{ registry, username, password }`, or asks. */
export async function signInToRegistry(services: Services, arg?: unknown): Promise<void> {
  const title = 'Sign In to Registry';
  const host = await registryOf(services, arg, title);
  const credential = isRegistryRequest(arg) && arg.username ? credentialOf(arg) : await askCredential(services, host, title);
  const saved = services.registries.get(host) ?? { host, insecure: false, repositories: [] };
  await services.registries.save(saved, credential);
}

/** For registries whose catalog is closed: `{ registry, repository }`, or asks. */
export async function addRepository(services: Services, arg?: unknown): Promise<string> {
  const title = 'Add Repository';
  const host = await registryOf(services, arg, title);
  const given = (arg as { repository?: unknown } | undefined)?.repository;
  const repository =
    typeof given === 'string'
      ? given
      : required(
          await vscode.window.showInputBox({
            title,
            prompt: `Repository in ${host}`,
            placeHolder: 'team/web',
            validateInput: (v) => repositoryProblem(host, v.trim()),
          }),
        ).trim();
  const problem = repositoryProblem(host, repository);
  if (problem) throw new Error(problem);
  await services.registries.addRepository(host, repository);
  return repository;
}

function repositoryProblem(host: string, repository: string): string | undefined {
  try {
    return parseRegistryReference(`${host}/${repository}`).repository === repository ? undefined : 'Enter a repository such as team/web';
  } catch {
    return 'Use lower-case path components of letters, digits, ".", "_" and "-", such as team/web';
  }
}

/** The reference of a tag node or `{ reference }`: `HOST/REPO:TAG`. */
function referenceOf(arg: unknown): string {
  if (arg instanceof RegistryTagNode) return arg.reference;
  const reference = (arg as { reference?: unknown } | undefined)?.reference;
  if (typeof reference !== 'string') throw new Error('Run this on a tag in the Registries view');
  return formatRegistryReference(parseRegistryReference(reference));
}

/** Puts `HOST/REPO:TAG` on the clipboard: what a teammate pastes into Pull. */
export async function copyReference(arg?: unknown): Promise<string> {
  const reference = referenceOf(arg);
  await vscode.env.clipboard.writeText(reference);
  vscode.window.setStatusBarMessage(`Copied ${reference}`, 3000);
  return reference;
}

/**
 * Deletes a tag's manifest from its registry (distribution has no tag-only delete): every tag pointing at the same
 * manifest goes too. A tag node asks first; `{ reference, confirm: false }` does not.
 */
export async function removeTag(services: Services, arg?: unknown): Promise<void> {
  const reference = referenceOf(arg);
  const ref = parseRegistryReference(reference);
  const client = services.registries.client(ref.registry);
  const digest = ref.digest ?? (arg instanceof RegistryTagNode && arg.image ? arg.image.digest : (await client.getManifest(ref.repository, ref.tag ?? 'latest')).digest);
  if ((arg as { confirm?: unknown } | undefined)?.confirm !== false) {
    const choice = await vscode.window.showWarningMessage(
      `Remove ${reference} from the registry?`,
      {
        modal: true,
        detail: `The registry deletes the manifest ${digest} and with it every tag of ${ref.repository} that points at it. Nobody can pull it afterwards.`,
      },
      'Remove',
    );
    if (choice !== 'Remove') throw new UserCancelled();
  }
  await client.deleteManifest(ref.repository, digest);
  services.registries.refresh();
  void vscode.window.showInformationMessage(`Removed ${reference}.`);
}
