import type { Readable, Transform } from 'node:stream';

/** `src` through `through`, with `src`'s errors passed on (plain pipe() drops them) and `src` closed with it. */
export function piped<T extends Transform>(src: Readable, through: T): T {
  src.on('error', (err) => through.destroy(err));
  through.on('close', () => src.destroy());
  return src.pipe(through);
}
