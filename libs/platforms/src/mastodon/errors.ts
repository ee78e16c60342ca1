import { httpFailure, JsonResponse } from '../http';
import { PlatformError } from '../port';
import { MASTODON_NAME, MASTODON_RATE_LIMIT_HEADERS } from './rules';

/**
 * A non-2xx answer: 401 `auth`, 422 and 404 `rejected` with the body's `error`, 429
 * `rate_limited` until `X-RateLimit-Reset`, 5xx `transient`.
 */
export function mastodonFailure(response: Pick<JsonResponse, 'status' | 'body' | 'text' | 'headers'>, now: number = Date.now()): PlatformError {
  return httpFailure(response.status, response.body, response.headers, MASTODON_NAME, { now, resetHeaders: MASTODON_RATE_LIMIT_HEADERS });
}

/**
 * Every Mastodon call is safe to repeat: statuses carry an `Idempotency-Key`, reads
 * change nothing, and a media upload repeated only leaves an unattached file the
 * instance removes. So an unknown outcome is simply worth retrying.
 */
export function retryableWhenUnknown(err: unknown): unknown {
  if (err instanceof PlatformError && err.kind === 'unknown_outcome') {
    return new PlatformError('transient', `${MASTODON_NAME}: ${err.message}; safe to retry`, err.details);
  }
  return err;
}
