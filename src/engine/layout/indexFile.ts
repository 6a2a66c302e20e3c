/** A layout's index.json and oci-layout files, and its tags: `org.opencontainers.image.ref.name` on index entries. */
import { join } from 'node:path';
import { canonicalJson } from '../oci/canonical.js';
import { EngineError, preview } from '../errors.js';
import { MediaType } from '../oci/mediaTypes.js';
import { Limits, parseIndex } from '../oci/parse.js';
import { OciAnnotation, type Descriptor, type Index } from '../oci/types.js';
import { readSmall, replaceFile } from './files.js';

export const LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const LAYOUT_CONTENT = canonicalJson({ imageLayoutVersion: '1.0.0' });
export const EMPTY_INDEX: Index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };

export interface Tag {
  name: string;
  /** The index entry, ref.name annotation included. */
  descriptor: Descriptor;
}

export async function readIndex(root: string): Promise<Index> {
  const path = join(root, INDEX_FILE);
  return parseIndex(await readSmall(path, path, Limits.indexBytes), { what: path });
}

/** Replaces index.json in one rename: readers in other processes see the old index or the new one. */
export async function writeIndex(root: string, index: Index): Promise<void> {
  await replaceFile(root, INDEX_FILE, canonicalJson({ ...index, mediaType: MediaType.OciIndex }));
}

/** Checks the oci-layout file: the one thing that says a folder is an image layout. */
export async function checkLayoutFile(root: string): Promise<void> {
  const path = join(root, LAYOUT_FILE);
  let version: unknown;
  try {
    version = (JSON.parse((await readSmall(path, path, 4096)).toString('utf8')) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch (cause) {
    throw new EngineError('INVALID_LAYOUT', `${root} is not an OCI image layout: its oci-layout file is missing or unreadable`, { cause });
  }
  if (typeof version !== 'string' || !/^1\.\d+\.\d+$/.test(version)) {
    throw new EngineError('INVALID_LAYOUT', `${root} is an OCI image layout of version ${preview(version)}, not 1.x`);
  }
}

/** The reference grammar of the image spec for ref.name (what skopeo accepts in `oci:DIR:TAG`). */
const REF = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

export function checkTagName(name: string): void {
  if (name.length > 255 || !REF.test(name)) {
    throw new EngineError('INVALID_ARGUMENT', `${preview(name)} is not a valid tag`, {
      hint: 'use letters, digits and . _ - : @ + separated by /, starting and ending with a letter or digit',
    });
  }
}

export function tagsIn(index: Index): Tag[] {
  return index.manifests.flatMap((descriptor) => {
    const name = descriptor.annotations?.[OciAnnotation.RefName];
    return name === undefined ? [] : [{ name, descriptor }];
  });
}

/** The index with `name` on `descriptor` and on no other entry. */
export function withTag(index: Index, name: string, descriptor: Descriptor): Index {
  const entry = { ...descriptor, annotations: { ...descriptor.annotations, [OciAnnotation.RefName]: name } };
  return { ...index, manifests: [...index.manifests.filter((d) => d.annotations?.[OciAnnotation.RefName] !== name), entry] };
}

export function withoutEntries(index: Index, drop: (d: Descriptor) => boolean): { index: Index; removed: number } {
  const manifests = index.manifests.filter((d) => !drop(d));
  return { index: { ...index, manifests }, removed: index.manifests.length - manifests.length };
}
