import * as vscode from 'vscode';
import { checkpointContainerName, formatRegistryReference, parseReference, parseRegistryReference } from '../../engine/index.js';
import type { Services } from '../services.js';
import { copyReporting } from './copy.js';
import { pickCheckpointImage } from './pick.js';
import { pickRegistry } from './registryPrompts.js';
import { required, UserCancelled, withProgress } from './runCommand.js';

/** Arguments for running without prompts: `{ image: 'store:web-bug', reference: 'registry.example/team/web:bug' }`. */
export interface PushRequest {
  /** A podman name or store:TAG. */
  image: string;
  /** `HOST[:PORT]/REPO:TAG`. */
  reference: string;
  /** false: no warning about what a checkpoint exposes (the caller has dealt with it). */
  confirm?: boolean;
}

function isRequest(arg: unknown): arg is PushRequest {
  return typeof arg === 'object' && arg !== null && typeof (arg as PushRequest).image === 'string' && typeof (arg as PushRequest).reference === 'string';
}

/** Pushes a checkpoint image to a registry; returns the reference a teammate pulls. */
export async function pushCheckpointImage(services: Services, arg?: unknown): Promise<string> {
  const request = isRequest(arg) ? arg : await ask(services, arg);
  const dst = { kind: 'registry' as const, ...parseRegistryReference(request.reference) };
  const reference = formatRegistryReference(dst);
  if (request.confirm !== false) await warnOnce(services, dst.registry);
  await withProgress(`Pushing ${request.image} to ${reference}`, (report, signal) => copyReporting(services, parseReference(request.image), dst, report, signal));
  // Listed by hand too, so the repository shows even where the registry keeps its catalog closed.
  await services.registries.addRepository(dst.registry, dst.repository);
  services.registries.refresh();
  void vscode.window.showInformationMessage(`Pushed ${request.image} to ${reference}.`, 'Copy Reference').then((choice) => {
    if (choice) void vscode.commands.executeCommand('checkpointStudio.copyReference', { reference });
  });
  return reference;
}

/** Once per registry: a checkpoint is a memory dump, and whoever can pull can read it. */
async function warnOnce(services: Services, host: string): Promise<void> {
  if (services.registries.wasWarned(host)) return;
  const choice = await vscode.window.showWarningMessage(
    `Push a checkpoint to ${host}?`,
    {
      modal: true,
      detail:
        "A checkpoint holds the memory of the container's processes: any secrets, tokens and keys they held are in it. " +
        'Anyone who can pull from the repository can read them.',
    },
    'Push',
  );
  if (choice !== 'Push') throw new UserCancelled();
  await services.registries.rememberWarning(host);
}

async function ask(services: Services, node: unknown): Promise<PushRequest> {
  const title = 'Push Checkpoint Image';
  const { image, ref } = await pickCheckpointImage(services, node, title);
  const host = await pickRegistry(services, title, true);
  const check = (repository: string, tag: string) => {
    try {
      parseRegistryReference(`${host}/${repository}:${tag}`);
      return undefined;
    } catch {
      return 'Use lower-case letters, digits, ".", "_", "-" and "/" for the repository; letters, digits, ".", "_" and "-" for the tag';
    }
  };
  const repository = required(
    await vscode.window.showInputBox({
      title,
      prompt: `Repository in ${host}`,
      value: repositoryFor(checkpointContainerName(image.annotations)),
      validateInput: (v) => check(v.trim(), 'latest'),
    }),
  ).trim();
  const tag = required(
    await vscode.window.showInputBox({ title, prompt: `Tag in ${host}/${repository}`, value: tagOf(ref), validateInput: (v) => check(repository, v.trim()) }),
  ).trim();
  return { image: ref, reference: `${host}/${repository}:${tag}` };
}

/** A repository name from a container name: registries take lower-case components only. */
function repositoryFor(container: string | undefined): string {
  return (container ?? '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'checkpoint';
}

/** The image's own tag (`localhost/web:bug` → `bug`, `store:web-bug` → `web-bug`), made valid for a registry. */
function tagOf(ref: string): string {
  const name = ref.replace(/^store:/, '').split('/').pop() ?? '';
  const tag = name.includes(':') ? name.slice(name.lastIndexOf(':') + 1) : name;
  return tag.replace(/[^\w.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 128) || 'latest';
}
