import * as vscode from 'vscode';
import {
  describeCheckpointDiff,
  describeError,
  diffCheckpoints,
  formatRegistryReference,
  listRepositoryImages,
  type CheckpointImage,
} from '../../engine/index.js';
import { formatAge, formatSize } from '../../shared/format.js';
import { describeFd } from '../../shared/openFiles.js';
import type { Services } from '../services.js';
import { contentsKey } from '../tree/CheckpointImageNode.js';
import { ComparePanel } from '../webview/ComparePanel.js';
import { findImage, pickCheckpointImage, type PickedImage } from './pick.js';
import { UserCancelled } from './runCommand.js';

const TITLE = 'Compare Checkpoint Images';
/** Repositories listed per registry for the pick: enough for a team's, without walking a whole public registry. */
const MAX_REPOSITORIES = 25;

/**
 * Compares two checkpoint images and shows what changed. Takes the image it was invoked on (a tree node or a
 * reference) and asks for the other, or `{ image, with }` (two references) and asks nothing.
 */
export async function compareCheckpointImages(services: Services, arg?: unknown): Promise<ComparePanel> {
  const pair = arg as { image?: unknown; with?: unknown } | undefined;
  const given = typeof pair?.image === 'string' && typeof pair.with === 'string' ? { image: pair.image, with: pair.with } : undefined;
  const first = given ? await findImage(services, given.image) : await pickCheckpointImage(services, arg, TITLE);
  const second = given ? await findImage(services, given.with) : await pickOther(services, first);
  // One after the other, each cancellable: memory stays that of one read, and a read made for the tree is reused.
  const a = await services.contents.read({ ref: first.ref, key: contentsKey(first.image) }, { notification: `Comparing: reading A, ${first.ref}` });
  const b = await services.contents.read({ ref: second.ref, key: contentsKey(second.image) }, { notification: `Comparing: reading B, ${second.ref}` });
  const diff = diffCheckpoints({ ...a, reference: first.ref }, { ...b, reference: second.ref });
  const sections = describeCheckpointDiff(diff, { size: formatSize, fd: describeFd });
  return ComparePanel.show(services.extensionUri, `${contentsKey(first.image)}\0${contentsKey(second.image)}`, { a: first.ref, b: second.ref, diff, sections });
}

type Item = vscode.QuickPickItem & { ref: string; image: CheckpointImage };

/**
 * The other image: podman's and the embedded store's at once, and the checkpoint tags of the saved registries
 * as they are listed (the pick shows it is busy meanwhile).
 */
async function pickOther(services: Services, first: PickedImage): Promise<PickedImage> {
  await services.refresh.now();
  const local: Item[] = [
    ...services.model.images.map((image) => item(image, 'podman')),
    ...services.model.storeImages.map((image) => item(image, 'store')),
  ].filter((i) => i.ref !== first.ref);
  const registries = services.registries.list();
  if (local.length === 0 && registries.length === 0) {
    throw new Error(`There is no other checkpoint image to compare ${first.ref} with. Create or pull one first`);
  }
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = `Compare ${first.ref} with…`;
  pick.placeholder = 'Pick the checkpoint image to compare with';
  pick.matchOnDescription = true;
  pick.items = local;
  const abort = new AbortController();
  const chosen = new Promise<Item>((resolve, reject) => {
    pick.onDidAccept(() => {
      const [selected] = pick.selectedItems;
      if (selected) resolve(selected);
    });
    pick.onDidHide(() => reject(new UserCancelled()));
  });
  pick.busy = registries.length > 0;
  pick.show();
  void Promise.all(registries.map(async ({ host, repositories: byHand }) => {
    const client = services.registries.client(host);
    const listed = await client.catalog(abort.signal).catch(() => [] as string[]);
    for (const repository of [...new Set([...listed, ...byHand])].sort().slice(0, MAX_REPOSITORIES)) {
      if (abort.signal.aborted) return;
      const tags = await listRepositoryImages(client, repository, abort.signal).catch((err: unknown) => {
        services.log.warn(`Listing ${host}/${repository} to compare with: ${describeError(err)}`);
        return [];
      });
      const found = tags.flatMap((t): Item[] => {
        if ('error' in t || !t.isCheckpoint) return [];
        const ref = `docker://${formatRegistryReference({ registry: host, repository, tag: t.tag })}`;
        return [{ label: ref, description: describe(t), detail: `Registry ${host}`, ref, image: t }];
      });
      pick.items = [...pick.items, ...found.filter((i) => i.ref !== first.ref)];
    }
  })).finally(() => {
    pick.busy = false;
  });
  try {
    const selected = await chosen;
    return await findImage(services, selected.ref, selected.image);
  } finally {
    abort.abort();
    pick.dispose();
  }
}

function item(image: CheckpointImage, location: 'podman' | 'store'): Item {
  const name = image.names[0] ?? image.id;
  const ref = location === 'store' ? `store:${name}` : name;
  return { label: ref, description: describe(image), detail: location === 'store' ? 'Embedded store' : 'Podman', ref, image };
}

function describe(image: CheckpointImage): string {
  return `${formatSize(image.size)} · ${formatAge(image.created)}`;
}
