import { CheckpointMarkerAnnotations } from '../annotations.js';
import { EngineError, isEngineError } from '../errors.js';
import type { PodmanExec, RunOptions } from './exec.js';
import { asArray, asObject, num, str, stringMap, time } from './json.js';

/** A checkpoint image in podman's storage with the annotations that describe it. */
export interface CheckpointImage {
  id: string;
  /** Every name podman knows the image by (`localhost/x:tag`); empty for a dangling image. */
  names: string[];
  digest: string;
  size: number;
  created?: Date;
  annotations: Record<string, string>;
}

export function isCheckpointAnnotations(annotations: Record<string, string>): boolean {
  return CheckpointMarkerAnnotations.some((key) => key in annotations);
}

/** Parses `podman image inspect` output, keeping only checkpoint images. */
export function parseCheckpointImages(json: unknown): CheckpointImage[] {
  const images: CheckpointImage[] = [];
  for (const item of asArray(json)) {
    const img = asObject(item);
    const annotations = stringMap(img.Annotations);
    if (!isCheckpointAnnotations(annotations)) continue;
    images.push({
      id: str(img.Id),
      names: asArray(img.RepoTags).map((t) => str(t)).filter(Boolean),
      digest: str(img.Digest),
      size: num(img.Size),
      created: time(img.Created),
      annotations,
    });
  }
  return images;
}

/**
 * Podman's image list has no annotations, so this lists IDs and inspects them all in ONE call:
 * two processes whatever the number of images.
 */
export async function listCheckpointImages(exec: PodmanExec, options: RunOptions = {}): Promise<CheckpointImage[]> {
  const ids = asArray(await exec.podmanJson(['images', '--format', 'json'], 'listing images', options))
    .map((i) => str(asObject(i).Id))
    .filter(Boolean);
  if (ids.length === 0) return [];
  const images = parseCheckpointImages(
    await exec.podmanJson(['image', 'inspect', '--', ...new Set(ids)], 'inspecting images', options),
  );
  return images.sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0));
}

/** One image by name or ID (one podman call): the checkpoint image, or undefined when there is no such image. */
export async function findCheckpointImage(
  exec: PodmanExec,
  ref: string,
  options: RunOptions = {},
): Promise<CheckpointImage | undefined> {
  let json: unknown;
  try {
    json = await exec.podmanJson(['image', 'inspect', '--', ref], `inspecting image ${ref}`, options);
  } catch (err) {
    if (isEngineError(err, 'IMAGE_NOT_FOUND')) return undefined;
    throw err;
  }
  const [image] = parseCheckpointImages(json);
  if (!image) {
    throw new EngineError('NOT_A_CHECKPOINT_IMAGE', `${ref} is not a checkpoint image (it has no checkpoint annotations)`, {
      hint: 'create checkpoint images with `ckpt checkpoint CONTAINER --image NAME`',
    });
  }
  return image;
}

/** Removes a checkpoint image; refuses images that are not checkpoint images and checks it is gone. */
export async function removeCheckpointImage(exec: PodmanExec, ref: string, options: RunOptions = {}): Promise<void> {
  const image = await findCheckpointImage(exec, ref, options);
  if (!image) {
    throw new EngineError('IMAGE_NOT_FOUND', `removing ${ref}: no such image`, {
      hint: 'list checkpoint images with `ckpt images`',
    });
  }
  // Removing by name drops just that tag when the image has several, as `podman rmi NAME` does.
  await exec.podman(['rmi', '--', ref], `removing ${ref}`, options);
  const still = await exec.runProgram(exec.podmanPath, [...exec.globalArgs, 'image', 'exists', '--', ref], options);
  // `podman rmi` can exit 0 having removed nothing: check the result, not the exit code.
  if (still.exitCode === 0) {
    throw new EngineError('NOTHING_DONE', `removing ${ref}: podman reported success but the image is still there`, {
      hint: 'check whether a container still uses it: `podman ps -a --filter ancestor=' + ref + '`',
    });
  }
}
