/**
 * Entry names and link targets judged as text, before anything touches the disk. A name may only go down;
 * a symlink may climb with leading `..` no higher than its own folder, and never after a name: `a/..`
 * means the parent of wherever `a` really leads, and `a` may itself be a link.
 */

/** `limit`: the problem is a length, the configurable maxPathBytes or the file systems' own NAME_MAX. */
export type PathLimit = 'maxPathBytes' | 'NAME_MAX';
export type PathCheck = { path: string } | { problem: string; limit?: PathLimit };

/** NUL cuts a name short in C; U+FFFD is what tar-stream makes of bytes that are not UTF-8. */
const UNREADABLE = /[\0\uFFFD]/;
const NAME_MAX = 255;

/** A clean relative path ('' for the archive's root), or what is wrong with the name. */
export function cleanPath(raw: string, maxBytes: number): PathCheck {
  if (UNREADABLE.test(raw)) return { problem: 'has a NUL byte or bytes that are not UTF-8' };
  if (Buffer.byteLength(raw) > maxBytes) return { problem: `is longer than ${maxBytes} bytes`, limit: 'maxPathBytes' };
  if (raw.startsWith('/')) return { problem: 'is an absolute path' };
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { problem: 'climbs out of the target with ".."' };
  if (parts.some((p) => Buffer.byteLength(p) > NAME_MAX)) return { problem: `has a name longer than ${NAME_MAX} bytes`, limit: 'NAME_MAX' };
  return { path: parts.join('/') };
}

/**
 * What is wrong with a symlink at `linkPath` (a clean path) pointing to `target`, or undefined when it stays
 * inside; `outside` marks a target that is well-formed but leads out of the tree.
 */
export function linkTargetProblem(linkPath: string, target: string, maxBytes: number): { problem: string; limit?: PathLimit; outside?: true } | undefined {
  if (target === '') return { problem: 'has an empty target' };
  if (UNREADABLE.test(target)) return { problem: 'has a target with a NUL byte or bytes that are not UTF-8' };
  if (Buffer.byteLength(target) > maxBytes) return { problem: `has a target longer than ${maxBytes} bytes`, limit: 'maxPathBytes' };
  if (target.startsWith('/')) return { problem: 'points to an absolute path, outside the target', outside: true };
  const parts = target.split('/').filter((p) => p !== '' && p !== '.');
  const firstName = parts.findIndex((p) => p !== '..');
  const climbs = firstName === -1 ? parts.length : firstName;
  if (parts.slice(climbs).includes('..')) return { problem: 'climbs with ".." after a name, which may itself be a link', outside: true };
  if (climbs > linkPath.split('/').length - 1) return { problem: 'points outside the target', outside: true };
  return undefined;
}
