/**
 * CRIU's image file framing (images v1.1, what CRIU 3.x and 4.x write): two little-endian u32 magics, the
 * common one then the image type's, and then entries, each a little-endian u32 length and that many bytes of
 * protobuf. Everything is checked against the bytes there are, so a hostile file fails with a clear error.
 */
import { EngineError } from '../errors.js';
import { MalformedError, Message } from './protobuf.js';

/** CRIU's IMG_COMMON_MAGIC, at the head of every image but the inventory. */
const IMG_COMMON_MAGIC = 0x54564319;

/** The type magics of the images the checks read (criu/include/magic.h). */
export const ImageMagic = {
  inventory: 0x58313116,
  ids: 0x54432030,
  core: 0x55053847,
  creds: 0x54023547,
  mountpoints: 0x55563928,
} as const;
export type ImageKind = keyof typeof ImageMagic;

/** Largest core, creds or mountpoints image read: CRIU writes a few KiB. */
export const MAX_CRIU_IMAGE_BYTES = 4 << 20;

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * Decodes a CRIU image of `kind` with `decode`, which reads fields from its entries; any malformed byte, in the
 * framing or in a field `decode` reads, is an EngineError naming the file (`name`) and the cause.
 */
export function readImage<T>(bytes: Buffer, kind: ImageKind, name: string, decode: (entries: Message[]) => T): T {
  if (bytes.length > MAX_CRIU_IMAGE_BYTES) {
    throw new EngineError('ARCHIVE_LIMIT_EXCEEDED', `${name} is ${bytes.length} bytes, more than the ${MAX_CRIU_IMAGE_BYTES} a CRIU ${kind} image may take`);
  }
  try {
    return decode(entries(bytes, kind));
  } catch (err) {
    if (!(err instanceof MalformedError)) throw err;
    throw new EngineError('NOT_A_CHECKPOINT_ARCHIVE', `${name} is not a CRIU ${kind} image: ${err.message}`, {
      cause: err,
      hint: 'the checkpoint is damaged or was altered by hand; make a new one with `podman container checkpoint`',
    });
  }
}

/** The one entry of an image CRIU reads a single entry from (core, creds). */
export function onlyEntry(entries: Message[]): Message {
  if (entries.length !== 1) throw new MalformedError(`it holds ${entries.length} entries, not one`);
  return entries[0]!;
}

function entries(bytes: Buffer, kind: ImageKind): Message[] {
  // The inventory, read first and alone, carries only its own magic.
  const head = kind === 'inventory' ? [ImageMagic.inventory] : [IMG_COMMON_MAGIC, ImageMagic[kind]];
  if (bytes.length < head.length * 4) throw new MalformedError(`it has ${bytes.length} bytes, fewer than its magic numbers take`);
  const found = head.map((_, i) => bytes.readUInt32LE(i * 4));
  if (found.some((m, i) => m !== head[i])) throw new MalformedError(`it starts with ${found.map(hex).join(' ')}, not ${head.map(hex).join(' ')}`);
  const messages: Message[] = [];
  for (let at = head.length * 4; at < bytes.length; ) {
    const n = messages.length + 1;
    if (bytes.length - at < 4) throw new MalformedError(`it ends inside the length of entry ${n}`);
    const size = bytes.readUInt32LE(at);
    at += 4;
    if (size > bytes.length - at) throw new MalformedError(`entry ${n} says it has ${size} bytes, but only ${bytes.length - at} follow`);
    try {
      messages.push(Message.decode(bytes.subarray(at, (at += size))));
    } catch (err) {
      if (err instanceof MalformedError) err.message = `entry ${n}: ${err.message}`;
      throw err;
    }
  }
  return messages;
}
