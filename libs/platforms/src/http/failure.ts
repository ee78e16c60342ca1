import { PlatformError } from '../port';
import { HeaderSource, parseRetryAfter, RetryAfterOptions } from './retry-after';

const MAX_MESSAGE = 500;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * The platform's own reason for refusing a request, found where APIs put it:
 * `error_description`, `message`, `detail`, `error.message`, `errors[0].message`, `error`.
 * A plain-text body (not an HTML error page) is taken as it is.
 */
export function platformMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    const trimmed = body.trim();
    if (trimmed === '') return undefined;
    try {
      return platformMessage(JSON.parse(trimmed));
    } catch {
      if (trimmed.startsWith('<')) return undefined;
      return trimmed.slice(0, MAX_MESSAGE);
    }
  }
  const error = field(body, 'error');
  const errors = field(body, 'errors');
  const found =
    text(field(body, 'error_description')) ??
    text(field(body, 'message')) ??
    text(field(body, 'detail')) ??
    text(field(error, 'message')) ??
    (Array.isArray(errors) ? text(field(errors[0], 'message')) ?? text(errors[0]) : undefined) ??
    text(error);
  return found?.slice(0, MAX_MESSAGE);
}

/** A machine-readable error code when the body has one (`{"error": "invalid_grant"}`, `{"code": ...}`). */
export function platformCode(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return platformCode(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  for (const candidate of [field(body, 'error'), field(body, 'code'), field(field(body, 'error'), 'code')]) {
    if (typeof candidate === 'number') return String(candidate);
    if (typeof candidate === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(candidate)) return candidate;
  }
  return undefined;
}

/** The message for a refused token: the one thing the user can do is reconnect. */
export function reconnectMessage(platformName: string, reason?: string): string {
  return `${platformName} refused the account's credentials${reason ? ` (${reason})` : ''}: reconnect your ${platformName} account`;
}

// A 403 is about the token only when the platform says so; otherwise it refuses the content or action.
const TOKEN_REFUSAL = /token|scope|unauthori[sz]ed|authenticat|credential|expired|revoked|invalid_grant|session/i;

export interface HttpFailureOptions extends RetryAfterOptions {
  now?: number;
}

/**
 * Default classification of a non-2xx answer: 401 (and a 403 about the token) is `auth`,
 * 429 `rate_limited` with `retryAfterMs`, 408 and 5xx `transient`, any other 4xx
 * `rejected` with the platform's own message. Adapters specialize what their API
 * says differently.
 */
export function httpFailure(status: number, body: unknown, headers: HeaderSource | undefined, platformName: string, options: HttpFailureOptions = {}): PlatformError {
  const reason = platformMessage(body);
  const code = platformCode(body);
  const details = (extra: { retryAfterMs?: number } = {}) => ({ status, ...(code ? { platformCode: code } : {}), ...extra });
  if (status === 401 || (status === 403 && reason !== undefined && TOKEN_REFUSAL.test(reason))) {
    return new PlatformError('auth', reconnectMessage(platformName, reason), details());
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers, options.now ?? Date.now(), options);
    return new PlatformError('rate_limited', `${platformName} rate limit reached${reason ? ` (${reason})` : ''}`, details(retryAfterMs === undefined ? {} : { retryAfterMs }));
  }
  if (status === 408 || status >= 500) {
    return new PlatformError('transient', `${platformName} is unavailable (HTTP ${status}${reason ? `: ${reason}` : ''})`, details());
  }
  return new PlatformError('rejected', reason ? `${platformName} refused the post: ${reason}` : `${platformName} refused the post (HTTP ${status})`, details());
}
