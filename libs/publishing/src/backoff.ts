/** How long a job waits before its next attempt after a retryable failure. */
export interface RetryBackoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { initialMs: 2_000, maxMs: 5 * 60_000 };

/**
 * Exponential backoff with "equal jitter" (half fixed, half random): replicas that failed
 * together against the same platform outage do not all come back in the same instant,
 * yet no retry comes back almost at once. A platform's `Retry-After` is a floor, never
 * shortened by the jitter.
 */
export function retryDelay(attempt: number, backoff: RetryBackoff, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** exponent);
  const jittered = Math.round(ceiling / 2 + (ceiling / 2) * random());
  return Math.max(jittered, Math.ceil(retryAfterMs ?? 0));
}
