/**
 * Waits `ms` (between status polls, before resuming an upload). An abort ends the wait at
 * once with `cancelled()`: each adapter knows how sure it is of the outcome at that point.
 */
export function delay(ms: number, signal: AbortSignal | undefined, cancelled: () => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const abort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}
