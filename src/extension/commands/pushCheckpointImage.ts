import * as vscode from 'vscode';
import { checkpointContainerName, formatRegistryReference, parseReference, parseRegistryReference, scanCheckpoint, type ScanReport } from '../../engine/index.js';
import { formatSize } from '../../shared/format.js';
import { notificationSafe } from '../../shared/terminalSafe.js';
import type { Services } from '../services.js';
import { copyContext, copyReporting } from './copy.js';
import { pickCheckpointImage } from './pick.js';
import { describeFinding, pushNotice, secretsSummary } from './pushNotice.js';
import { pickRegistry } from './registryPrompts.js';
import { required, UserCancelled, withProgress } from './runCommand.js';

/** Arguments for running without prompts: `{ image: 'store:web-bug', reference: 'registry.example/team/web:bug' }`. */
export interface PushRequest {
  /** A podman name or store:TAG. */
  image: string;
  /** `HOST[:PORT]/REPO:TAG`. */
  reference: string;
  /** false: no dialog about the secrets it holds (the caller has dealt with it); the scan still runs and is logged. */
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
  const report = await scanForSecrets(services, request.image, reference);
  if (request.confirm !== false) await confirmPush(services, request.image, dst.registry, report);
  await withProgress(`Pushing ${request.image} to ${reference}`, (report, signal) => copyReporting(services, parseReference(request.image), dst, report, signal));
  // Listed by hand too, so the repository shows even where the registry keeps its catalog closed.
  await services.registries.addRepository(dst.registry, dst.repository);
  services.registries.refresh();
  void vscode.window.showInformationMessage(`Pushed ${request.image} to ${reference}.`, 'Copy Reference').then((choice) => {
    if (choice) void vscode.commands.executeCommand('checkpointStudio.copyReference', { reference });
  });
  return reference;
}

/** The secrets scan of `image`, in a cancellable progress notification; what it found goes to the log. */
async function scanForSecrets(services: Services, image: string, reference: string): Promise<ScanReport> {
  const report = await withProgress(`Scanning ${image} for secrets before pushing`, (show, signal) =>
    scanCheckpoint(copyContext(services, signal), parseReference(image), {
      signal,
      onProgress: (p) => show(`${formatSize(p.memoryBytes)} of memory, ${p.files} changed files`),
    }),
  );
  if (!report.findings.length) services.log.info(`Scanned ${image} before pushing to ${reference}: no secrets found`);
  else services.log.warn(`Scanned ${image} before pushing to ${reference}: ${secretsSummary(report.findings)}:\n${report.findings.map((f) => `  ${describeFinding(f)}`).join('\n')}`);
  for (const note of report.notes) services.log.info(`Not scanned in ${image}: ${note}`);
  return report;
}

/**
 * The dialog before a push: the secrets the scan found, or, on the first push to a registry, that a checkpoint
 * is a memory dump whoever can pull may read (the scan knows common keys and tokens, not every secret).
 */
async function confirmPush(services: Services, image: string, host: string, report: ScanReport): Promise<void> {
  const notice = pushNotice(image, host, report, services.registries.wasWarned(host));
  if (!notice) return;
  const button = report.findings.length ? 'Push Anyway' : 'Push';
  // Paths and names come from the checkpoint: shown as written, never as links.
  const choice = await vscode.window.showWarningMessage(notificationSafe(notice.message), { modal: true, detail: notificationSafe(notice.detail) }, button);
  if (choice !== button) throw new UserCancelled();
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
