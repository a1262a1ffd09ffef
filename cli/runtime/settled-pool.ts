import { DmmlabError, errorText } from '../errors.js';

/**
 * Runs `fn` over `items` with at most `limit` in flight. After the first
 * failure, or once `signal` aborts, no new item starts; it waits for the ones
 * in flight to settle (so nothing is still being created behind a rollback)
 * and then throws the first error (E_ABORTED for an abort).
 */
export async function settledPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let firstError: unknown;
  const stopped = () => firstError !== undefined || signal?.aborted === true;
  const worker = async () => {
    while (!stopped() && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (e) {
        firstError ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (firstError !== undefined) throw firstError instanceof Error ? firstError : new DmmlabError('E_RUNTIME', errorText(firstError));
  if (signal?.aborted) throw new DmmlabError('E_ABORTED', 'interrupted');
}
