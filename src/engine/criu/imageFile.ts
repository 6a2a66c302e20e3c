/**
 * CRIU's image file framing (images v1.1, what CRIU 3.x and 4.x write): two little-endian u32 magics, the
 * common one then the image type's, and then entries, each a little-endian u32 length and that many bytes of
 * protobuf. Everything is checked against the bytes there are, so a hostile file fails with a clear error.
 */
import { EngineError } from '../errors.js';
import { MalformedError } from './protobuf.js';
import { decode, type Decoded, type MessageName } from './schema.js';

/** CRIU's IMG_COMMON_MAGIC, at the head of every image but the inventory and the service ones (stats). */
const IMG_COMMON_MAGIC = 0x54564319;
const IMG_SERVICE_MAGIC = 0x55105940;

/** The type magics of the images the engine reads (CRIU's criu/include/magic.h). */
export const ImageMagic = {
  inventory: 0x58313116,
  ids: 0x54432030,
  core: 0x55053847,
  creds: 0x54023547,
  mountpoints: 0x55563928,
  pstree: 0x50273030,
  fs: 0x51403912,
  fdinfo: 0x56213732,
  files: 0x56303138,
  mm: 0x57492820,
  pagemap: 0x56084025,
  ttyInfo: 0x59453036,
  stats: 0x57093306,
} as const;
export type ImageKind = keyof typeof ImageMagic;

/** Largest image read into memory (all but pages-*.img): CRIU writes a few KiB; files.img of a big task some MiB. */
export const MAX_CRIU_IMAGE_BYTES = 4 << 20;

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * Decodes a CRIU image of `kind` with `read`, which decodes its entries (onlyEntry, eachEntry); any malformed
 * byte, in the framing or in an entry `read` decodes, is an EngineError naming the file (`name`) and the cause.
 */
export function readImage<T>(bytes: Buffer, kind: ImageKind, name: string, read: (entries: Buffer[]) => T): T {
  if (bytes.length > MAX_CRIU_IMAGE_BYTES) {
    throw new EngineError('ARCHIVE_LIMIT_EXCEEDED', `${name} is ${bytes.length} bytes, more than the ${MAX_CRIU_IMAGE_BYTES} a CRIU ${kind} image may take`);
  }
  try {
    return read(entries(bytes, kind));
  } catch (err) {
    if (!(err instanceof MalformedError)) throw err;
    throw new EngineError('NOT_A_CHECKPOINT_ARCHIVE', `${name} is not a CRIU ${kind} image: ${err.message}`, {
      cause: err,
      hint: 'the checkpoint is damaged or was altered by hand; make a new one with `podman container checkpoint`',
    });
  }
}

/** The one entry of an image CRIU reads a single entry from (core, creds, inventory), as message `type`. */
export function onlyEntry<N extends MessageName>(entries: Buffer[], type: N): Decoded<N> {
  if (entries.length !== 1) throw new MalformedError(`it holds ${entries.length} entries, not one`);
  return decodeEntry(entries, 0, type);
}

/** Entry `index` (from 0) of an image as message `type`; a malformed one names its number. */
export function decodeEntry<N extends MessageName>(entries: Buffer[], index: number, type: N): Decoded<N> {
  try {
    return decode(type, entries[index]!);
  } catch (err) {
    if (err instanceof MalformedError) err.message = `entry ${index + 1}: ${err.message}`;
    throw err;
  }
}

/** Every entry of an image as message `type`. */
export function eachEntry<N extends MessageName>(entries: Buffer[], type: N): Decoded<N>[] {
  return entries.map((_, i) => decodeEntry(entries, i, type));
}

function entries(bytes: Buffer, kind: ImageKind): Buffer[] {
  // The inventory, read first and alone, carries only its own magic.
  const head = kind === 'inventory' ? [ImageMagic.inventory] : [kind === 'stats' ? IMG_SERVICE_MAGIC : IMG_COMMON_MAGIC, ImageMagic[kind]];
  if (bytes.length < head.length * 4) throw new MalformedError(`it has ${bytes.length} bytes, fewer than its magic numbers take`);
  const found = head.map((_, i) => bytes.readUInt32LE(i * 4));
  if (found.some((m, i) => m !== head[i])) throw new MalformedError(`it starts with ${found.map(hex).join(' ')}, not ${head.map(hex).join(' ')}`);
  const list: Buffer[] = [];
  for (let at = head.length * 4; at < bytes.length; ) {
    const n = list.length + 1;
    if (bytes.length - at < 4) throw new MalformedError(`it ends inside the length of entry ${n}`);
    const size = bytes.readUInt32LE(at);
    at += 4;
    if (size > bytes.length - at) throw new MalformedError(`entry ${n} says it has ${size} bytes, but only ${bytes.length - at} follow`);
    list.push(bytes.subarray(at, (at += size)));
  }
  return list;
}
