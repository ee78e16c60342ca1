import { reconnectMessage } from '../http/failure';
import { JsonResponse } from '../http/request-json';
import { headerValue, parseRetryAfter } from '../http/retry-after';
import { PlatformError } from '../port';
import { TWITTER_NAME, X_APP_DAILY_REMAINING, X_APP_DAILY_RESET, X_RATE_LIMIT_RESET, X_USER_DAILY_REMAINING, X_USER_DAILY_RESET } from './rules';

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * X's own reason from a problem body `{title, detail, type, status}`; when the detail is
 * only "One or more parameters to your request was invalid.", the `errors[].message`
 * that say which follow it.
 */
export function xReason(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return text(body);
  const b = body as { detail?: unknown; title?: unknown; errors?: unknown };
  const detail = text(b.detail);
  const messages = Array.isArray(b.errors) ? b.errors.map((e) => text((e as { message?: unknown })?.message)).filter((m): m is string => m !== undefined && m !== detail) : [];
  const parts = [detail ?? text(b.title), ...messages].filter((p): p is string => p !== undefined);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/**
 * Milliseconds until X lets the account post again: the 24-hour cap's reset when that
 * cap is used up, otherwise the endpoint window's `x-rate-limit-reset` (epoch seconds).
 */
export function xRetryAfterMs(headers: Headers, now: number): number | undefined {
  const daily = headerValue(headers, X_USER_DAILY_REMAINING) === '0' ? X_USER_DAILY_RESET : headerValue(headers, X_APP_DAILY_REMAINING) === '0' ? X_APP_DAILY_RESET : undefined;
  return parseRetryAfter(headers, now, { resetHeaders: daily ? [daily, X_RATE_LIMIT_RESET] : [X_RATE_LIMIT_RESET] });
}

// 403 problem types that are about how the request was authenticated, not about the post.
const AUTH_PROBLEMS = /unsupported-authentication|not-authorized-for-resource/;

/**
 * Classifies an X API v2 failure: 401 (and a 403 about the authentication) is `auth`;
 * 429 `rate_limited` until the reset header; 5xx `transient`; any other 4xx, duplicate
 * content included, `rejected` with X's `detail`.
 */
export function twitterFailure(response: Pick<JsonResponse, 'status' | 'body' | 'text' | 'headers'>, now: number = Date.now()): PlatformError {
  const { status } = response;
  // Only X's documented problem fields are passed on, never a body of another shape.
  const body = response.body;
  const reason = xReason(body);
  const type = text((body as { type?: unknown } | undefined)?.type);
  const details = { status, ...(type && type !== 'about:blank' ? { platformCode: type.replace(/^https:\/\/api\.(twitter|x)\.com\/2\/problems\//, '') } : {}) };
  if (status === 401 || (status === 403 && type !== undefined && AUTH_PROBLEMS.test(type))) {
    return new PlatformError('auth', reconnectMessage(TWITTER_NAME, reason), details);
  }
  if (status === 429) {
    const retryAfterMs = xRetryAfterMs(response.headers, now);
    return new PlatformError('rate_limited', `${TWITTER_NAME} rate limit reached${reason ? ` (${reason})` : ''}`, retryAfterMs === undefined ? details : { ...details, retryAfterMs });
  }
  if (status >= 500 || status === 408) return new PlatformError('transient', `${TWITTER_NAME} is unavailable (HTTP ${status}${reason ? `: ${reason}` : ''})`, details);
  return new PlatformError('rejected', reason ? `${TWITTER_NAME} refused the post: ${reason}` : `${TWITTER_NAME} refused the post (HTTP ${status})`, details);
}
