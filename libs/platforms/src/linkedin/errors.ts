import { reconnectMessage } from '../http/failure';
import { JsonResponse } from '../http/request-json';
import { parseRetryAfter } from '../http/retry-after';
import { PlatformError } from '../port';
import { LINKEDIN_NAME } from './rules';

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** LinkedIn's error body: `{message, status, serviceErrorCode?, code?}`. */
export function linkedinReason(body: unknown): { message?: string; code?: string } {
  if (body === null || typeof body !== 'object') return { message: text(body) };
  const b = body as { message?: unknown; serviceErrorCode?: unknown; code?: unknown };
  const code = text(b.code) ?? (typeof b.serviceErrorCode === 'number' ? String(b.serviceErrorCode) : undefined);
  return { message: text(b.message), ...(code ? { code } : {}) };
}

/** LinkedIn's daily limits reset at midnight UTC when no `Retry-After` says otherwise (https://learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits). */
export function linkedinRetryAfterMs(headers: Headers, now: number): number {
  const fromHeader = parseRetryAfter(headers, now);
  if (fromHeader !== undefined) return fromHeader;
  const midnight = new Date(now);
  midnight.setUTCHours(24, 0, 0, 0);
  return midnight.getTime() - now;
}

// A 403 that names a missing permission or scope: the member must reconnect and grant it.
const MISSING_PERMISSION = /permission|scope|not authorized|unauthorized|access denied/i;

/**
 * Classifies a LinkedIn failure: 401 (and a 403 about permissions) is `auth`; 429
 * `rate_limited`; 5xx `transient`; any other 4xx `rejected` with LinkedIn's `message`
 * (an inactive `LinkedIn-Version` answers 426 and names the version).
 */
export function linkedinFailure(response: Pick<JsonResponse, 'status' | 'body' | 'text' | 'headers'>, now: number = Date.now()): PlatformError {
  const { status } = response;
  const { message, code } = linkedinReason(response.body);
  const details = { status, ...(code ? { platformCode: code } : {}) };
  if (status === 401 || (status === 403 && message !== undefined && MISSING_PERMISSION.test(message))) {
    return new PlatformError('auth', `${reconnectMessage(LINKEDIN_NAME, message)}${status === 403 ? ', granting the permissions it asks for' : ''}`, details);
  }
  if (status === 429) return new PlatformError('rate_limited', `${LINKEDIN_NAME} rate limit reached${message ? ` (${message})` : ''}`, { ...details, retryAfterMs: linkedinRetryAfterMs(response.headers, now) });
  if (status >= 500 || status === 408) return new PlatformError('transient', `${LINKEDIN_NAME} is unavailable (HTTP ${status}${message ? `: ${message}` : ''})`, details);
  return new PlatformError('rejected', message ? `${LINKEDIN_NAME} refused the post: ${message}` : `${LINKEDIN_NAME} refused the post (HTTP ${status})`, details);
}
