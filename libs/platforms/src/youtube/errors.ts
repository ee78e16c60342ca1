import { reconnectMessage } from '../http/failure';
import { JsonResponse } from '../http/request-json';
import { parseRetryAfter } from '../http/retry-after';
import { PlatformError } from '../port';
import { untilQuotaReset } from './requests';
import { YOUTUBE_NAME } from './rules';

interface GoogleErrorBody {
  error?: {
    code?: number;
    message?: string;
    errors?: Array<{ reason?: string; domain?: string; message?: string }>;
  };
}

const QUOTA = new Set(['quotaExceeded', 'dailyLimitExceeded']);
const RATE = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);
const TOKEN = new Set(['authError', 'unauthorized', 'invalidCredentials']);

/**
 * A failed Data API call (`{error: {code, message, errors: [{reason, domain}]}}`): 401 or
 * `authError` means reconnecting; `insufficientPermissions` too (the token lacks a scope);
 * the daily quota (`quotaExceeded`) waits until it resets at midnight Pacific Time, other
 * rate limits until `Retry-After`; 5xx (`backendError`) is transient; everything else
 * (`uploadLimitExceeded`, `invalidTitle`, `commentsDisabled`, ...) refuses the post with
 * YouTube's own message.
 */
export function youtubeFailure(response: Pick<JsonResponse, 'status' | 'body' | 'headers'>, now: number = Date.now()): PlatformError {
  const error = (response.body !== null && typeof response.body === 'object' ? (response.body as GoogleErrorBody).error : undefined) ?? {};
  const reason = error.errors?.[0]?.reason;
  const message = error.message?.trim() || error.errors?.[0]?.message?.trim() || undefined;
  const details = { status: response.status, ...(reason ? { platformCode: reason } : {}) };
  const said = message ? `${message}${reason ? ` (${reason})` : ''}` : reason;

  if (response.status === 401 || (reason !== undefined && TOKEN.has(reason))) {
    return new PlatformError('auth', reconnectMessage(YOUTUBE_NAME, said), details);
  }
  if (reason === 'insufficientPermissions') {
    return new PlatformError('auth', reconnectMessage(YOUTUBE_NAME, `${said}; the account must grant the youtube.upload and youtube.force-ssl scopes`), details);
  }
  if (reason !== undefined && QUOTA.has(reason)) {
    return new PlatformError('rate_limited', `${YOUTUBE_NAME} daily quota is used up${message ? ` (${message})` : ''}; it resets at midnight Pacific Time`, { ...details, retryAfterMs: untilQuotaReset(now) });
  }
  if (response.status === 429 || (reason !== undefined && RATE.has(reason))) {
    const retryAfterMs = parseRetryAfter(response.headers, now);
    return new PlatformError('rate_limited', `${YOUTUBE_NAME} rate limit reached${said ? ` (${said})` : ''}`, { ...details, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  if (response.status >= 500) {
    return new PlatformError('transient', `${YOUTUBE_NAME} is unavailable (HTTP ${response.status}${said ? `: ${said}` : ''})`, details);
  }
  return new PlatformError('rejected', said ? `${YOUTUBE_NAME} refused the post: ${said}` : `${YOUTUBE_NAME} refused the post (HTTP ${response.status})`, details);
}
