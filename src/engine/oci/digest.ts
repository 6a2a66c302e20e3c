import { EngineError, preview } from '../errors.js';
import { createHash } from 'node:crypto';

declare const digestBrand: unique symbol;

/**
 * A checked `sha256:<64 lowercase hex>`. Only parseDigest and the hashers make one, so a Digest is always safe
 * to turn into a path (`blobs/sha256/<hex>`): digests come from strangers.
 */
export type Digest = `sha256:${string}` & { readonly [digestBrand]: true };

const SHA256 = /^sha256:[a-f0-9]{64}$/;
/** The OCI digest grammar (image-spec descriptor.md), to tell "another algorithm" from "garbage". */
const OCI_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && SHA256.test(value);
}

/** Checks a digest from outside; `what` names it in the error ("layer 2 digest"). */
export function parseDigest(value: unknown, what = 'digest'): Digest {
  if (isDigest(value)) return value;
  if (typeof value === 'string' && value.length <= 256 && OCI_DIGEST.test(value) && !value.startsWith('sha256:')) {
    throw new EngineError('UNSUPPORTED_MEDIA_TYPE', `${what} ${preview(value)} uses an algorithm other than sha256`, {
      hint: 'only sha256 digests are supported; re-push the image with sha256 digests',
    });
  }
  throw new EngineError('INVALID_IMAGE', `${what} ${preview(value)} is not a sha256 digest (sha256: and 64 lowercase hex digits)`);
}

/** The 64 hex digits: the blob's file name in a layout. */
export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

export function sha256Digest(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}
