import { cancelled } from './errors.js';

/** Small files (manifests, configs) read at once: enough to hide each read's round trip, far from the descriptor limit. */
export const SMALL_FILES_AT_ONCE = 64;

/**
 * `fn` over `items` with at most `size` calls in flight, results in the items' order: many small files read in
 * parallel without holding thousands of file descriptors at once.
 */
export async function mapWithLimit<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return out;
}

/**
 * `fn` over `items`, at most `size` at a time, all or nothing: the first failure, or `signal`, aborts the signal
 * the calls in flight were given and starts no more; it is thrown once every call has ended, so nothing a call
 * started is still running when the caller cleans up. A cancel is thrown as cancelled(`what`).
 */
export async function untilFailure<T>(items: readonly T[], size: number, what: string, signal: AbortSignal | undefined, fn: (item: T, signal: AbortSignal) => Promise<void>): Promise<void> {
  if (signal?.aborted) throw cancelled(what, signal);
  const controller = new AbortController();
  const stop = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', stop, { once: true });
  let failure: { error: unknown } | undefined;
  let next = 0;
  const worker = async () => {
    while (!controller.signal.aborted && next < items.length) {
      try {
        await fn(items[next++]!, controller.signal);
      } catch (error) {
        failure ??= { error };
        controller.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  if (signal?.aborted) throw cancelled(what, signal);
  if (failure) throw failure.error;
}
