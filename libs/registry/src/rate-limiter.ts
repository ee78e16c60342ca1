const WINDOW_MS = 60_000;

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in the current window after this one. */
  remaining: number;
  /** When the current window ends, in unix seconds (`X-RateLimit-Reset`). */
  resetEpochSeconds: number;
  /** Seconds until a request may succeed again (`Retry-After`); 0 when allowed. */
  retryAfterSeconds: number;
}

interface Window {
  start: number;
  count: number;
}

/**
 * Fixed one-minute windows per API key id, in memory (so per API process). Only the
 * current window of each key is kept, and entries from past windows are dropped when a
 * new window begins, so memory follows the keys active in the last minute.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private currentWindow = Number.NEGATIVE_INFINITY;

  /** Counts one request of `keyId` at `now` (epoch ms); a refused request is not counted. */
  consume(keyId: string, limitPerMinute: number, now: number): RateLimitDecision {
    const start = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    if (start > this.currentWindow) {
      this.currentWindow = start;
      for (const [id, window] of this.windows) {
        if (window.start < start) this.windows.delete(id);
      }
    }
    let window = this.windows.get(keyId);
    if (!window || window.start !== start) {
      window = { start, count: 0 };
      this.windows.set(keyId, window);
    }
    const limit = Math.max(0, Math.floor(limitPerMinute));
    const end = start + WINDOW_MS;
    const allowed = window.count < limit;
    if (allowed) window.count += 1;
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - window.count),
      resetEpochSeconds: Math.ceil(end / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((end - now) / 1000)),
    };
  }

  /** Keys with a window in memory (for metrics and tests). */
  get size(): number {
    return this.windows.size;
  }
}
