import { CheckpointMarkerAnnotations } from '../annotations.js';
import { EngineError, isEngineError } from '../errors.js';
import type { PodmanExec, RunOptions } from './exec.js';
import { asArray, asObject, num, str, stringMap, time } from './json.js';
import { parseStoreFacts, readStorageImages, type StoreFacts } from './storageImages.js';

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
 * Lists every checkpoint image podman sees, newest first, from containers/storage's files (storageImages.ts):
 * where they are is asked of podman once (`podman info`), with a check the first time that podman counts as many
 * images as the files hold; later listings read the files alone. When the reader is not sure of its answer, the
 * listing comes from podman itself and the next one asks podman where the store is again.
 */
export class CheckpointImageLister {
  #facts?: StoreFacts;

  constructor(private readonly exec: PodmanExec) {}

  async list(options: RunOptions = {}): Promise<CheckpointImage[]> {
    const known = this.#facts;
    const facts = known ?? parseStoreFacts(await this.exec.podmanJson(['info', '--format', '{{json .Store}}'], 'reading podman info', options));
    options.signal?.throwIfAborted();
    const read = await readStorageImages(known ? { ...facts, imageCount: undefined } : facts);
    this.#facts = 'images' in read ? facts : undefined;
    if ('unsure' in read) this.exec.logger.info(`  listing checkpoint images through podman: ${read.unsure}`);
    const images = 'images' in read ? read.images : await inspectCheckpointImages(this.exec, options);
    return images.sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0));
  }
}

/** Podman's own answer: its image list has no annotations, so `podman images`, then ONE `podman image inspect` of every ID. */
export async function inspectCheckpointImages(exec: PodmanExec, options: RunOptions = {}): Promise<CheckpointImage[]> {
  const ids = asArray(await exec.podmanJson(['images', '--format', 'json'], 'listing images', options))
    .map((i) => str(asObject(i).Id))
    .filter(Boolean);
  if (ids.length === 0) return [];
  return parseCheckpointImages(await exec.podmanJson(['image', 'inspect', '--', ...new Set(ids)], 'inspecting images', options));
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
