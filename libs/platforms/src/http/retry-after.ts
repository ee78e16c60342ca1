/** Response headers as either the fetch API or node:http gives them. */
export type HeaderSource = Headers | Record<string, string | string[] | number | undefined>;

export function headerValue(headers: HeaderSource | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value[0] : String(value);
  }
  return undefined;
}

export interface RetryAfterOptions {
  /**
   * Headers telling when the limit resets, read when `Retry-After` is absent, in order.
   * Each value may be epoch seconds (Bluesky `ratelimit-reset`, X `x-rate-limit-reset`),
   * epoch milliseconds, delta seconds (IETF `RateLimit-Reset`) or an ISO / HTTP date
   * (Mastodon `X-RateLimit-Reset`); a number is told apart by its size.
   */
  resetHeaders?: readonly string[];
}

// Below this a number cannot be an epoch instant (it would be 1973); it is a delay.
const EPOCH_SECONDS_FLOOR = 100_000_000;
const EPOCH_MS_FLOOR = 100_000_000_000;

/** Milliseconds to wait from `now` before the value says a retry may go, or undefined when unreadable. */
function delayFrom(value: string, now: number): number | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const n = Number(trimmed);
    if (n >= EPOCH_MS_FLOOR) return n - now;
    if (n >= EPOCH_SECONDS_FLOOR) return n * 1000 - now;
    return n * 1000;
  }
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : at - now;
}

/**
 * How long to wait before retrying, in milliseconds (never negative): `Retry-After`
 * (seconds or HTTP date) first, then the platform's reset headers named in `options`.
 * Undefined when no header says.
 */
export function parseRetryAfter(headers: HeaderSource | undefined, now: number = Date.now(), options: RetryAfterOptions = {}): number | undefined {
  for (const name of ['retry-after', ...(options.resetHeaders ?? [])]) {
    const value = headerValue(headers, name);
    if (value === undefined) continue;
    const delay = delayFrom(value, now);
    if (delay !== undefined) return Math.max(0, Math.ceil(delay));
  }
  return undefined;
}
