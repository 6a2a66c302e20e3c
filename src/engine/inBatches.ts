/**
 * `fn` over `items`, at most `size` at a time, results in the items' order: many small files read in parallel
 * without holding thousands of file descriptors at once.
 */
export async function inBatches<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}
