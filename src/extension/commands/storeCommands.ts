import * as vscode from 'vscode';
import { parseReference, type ArchiveCompression } from '../../engine/index.js';
import { readSettings } from '../config.js';
import { askArchivePath } from './exportToArchive.js';
import type { Services } from '../services.js';
import { pickCheckpointImage } from './pick.js';
import { required } from './runCommand.js';
import { copyWithProgress } from './copy.js';

/** Arguments for running without prompts: `{ image: 'localhost/web:ckpt', tag: 'web-bug' }`. */
export async function saveToStore(services: Services, arg?: unknown): Promise<string> {
  const request = arg as { image?: unknown; tag?: unknown } | undefined;
  const image = typeof request?.image === 'string' ? request.image : (await pickCheckpointImage(services, arg, 'Save to Embedded Store', 'podman')).ref;
  const tag =
    typeof request?.tag === 'string'
      ? request.tag
      : required(await vscode.window.showInputBox({ title: 'Save to Embedded Store', prompt: 'Tag in the embedded store', value: image }));
  await copyWithProgress(services, `Saving ${image} to the embedded store`, parseReference(`podman:${image}`), { kind: 'store', tag });
  void vscode.window.showInformationMessage(`Saved ${image} to the embedded store as ${tag}.`);
  return tag;
}

/** Arguments for running without prompts: `{ path: '/tmp/web.tar.zst', tag: 'web-bug' }`. */
export async function importArchive(services: Services, arg?: unknown): Promise<string> {
  const request = arg as { path?: unknown; tag?: unknown } | undefined;
  const path =
    typeof request?.path === 'string'
      ? request.path
      : required(
          (await vscode.window.showOpenDialog({ title: 'Import Checkpoint Archive', canSelectMany: false, filters: { 'Checkpoint archives': ['zst', 'gz', 'tar'] } }))?.[0],
        ).fsPath;
  const suggested = (path.split('/').pop() ?? 'checkpoint').replace(/\.tar(\.(zst|gz))?$/, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  const tag =
    typeof request?.tag === 'string'
      ? request.tag
      : required(await vscode.window.showInputBox({ title: 'Import Checkpoint Archive', prompt: 'Tag in the embedded store', value: suggested }));
  await copyWithProgress(services, `Importing ${path}`, { kind: 'archive', path }, { kind: 'store', tag });
  void vscode.window.showInformationMessage(`Imported ${path} into the embedded store as ${tag}.`);
  return tag;
}

/**
 * A checkpoint image (podman's or the store's) written as a checkpoint archive for `podman container restore
 * --import`. Arguments for running without prompts: `{ image: 'store:web-bug', path: '/tmp/web.tar.zst' }`.
 */
export async function exportImageToArchive(services: Services, arg?: unknown): Promise<string> {
  const request = arg as { image?: unknown; path?: unknown; compression?: ArchiveCompression } | undefined;
  const title = 'Export Checkpoint Image to Archive';
  const image = typeof request?.image === 'string' ? request.image : (await pickCheckpointImage(services, arg, title)).ref;
  const compression = request?.compression ?? readSettings().exportCompression;
  const base = image.replace(/^store:/, '').split('/').pop()!.replace(/[^A-Za-z0-9._-]+/g, '-');
  const path = typeof request?.path === 'string' ? request.path : await askArchivePath(title, base, compression);
  await copyWithProgress(services, `Exporting ${image}`, parseReference(image), { kind: 'archive', path }, compression);
  void vscode.window.showInformationMessage(`Exported ${image} to ${path}.`);
  return path;
}
