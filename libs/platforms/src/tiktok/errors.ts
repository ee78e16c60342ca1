import { reconnectMessage } from '../http/failure';
import { JsonResponse } from '../http/request-json';
import { parseRetryAfter } from '../http/retry-after';
import { PlatformError } from '../port';
import { TIKTOK_DAILY_CAP_RETRY_MS, TIKTOK_NAME, TIKTOK_RATE_WINDOW_MS } from './rules';

interface TiktokErrorBody {
  error?: { code?: string; message?: string; log_id?: string };
}

const TOKEN = new Set(['access_token_invalid', 'scope_not_authorized', 'scope_permission_missed']);
// Caps that reset some time later with no time given.
const CAPS = new Set(['spam_risk_too_many_posts', 'spam_risk_too_many_pending_share', 'reached_active_user_cap']);

const ADVICE: Record<string, string> = {
  url_ownership_unverified: 'TikTok pulls media only from a domain or URL prefix verified for the app',
  unaudited_client_can_only_post_to_private_accounts: 'until the app passes TikTok\'s audit it can post only with privacy_level SELF_ONLY',
  privacy_level_option_mismatch: 'the privacy level is not one this account allows',
  spam_risk_user_banned_from_posting: 'the account is banned from posting; check it in the TikTok app',
};

/** TikTok's `{error: {code, message, log_id}}`, the code `ok` on success. */
export function errorOf(body: unknown): { code?: string; message?: string; logId?: string } {
  const error = (body !== null && typeof body === 'object' ? (body as TiktokErrorBody).error : undefined) ?? {};
  return { code: error.code, message: error.message?.trim() || undefined, logId: error.log_id };
}

function said(message: string | undefined, code: string | undefined, logId: string | undefined): string {
  const tail = [code, logId ? `log_id ${logId}` : undefined].filter(Boolean).join(', ');
  return `${message ?? code ?? 'no reason given'}${tail ? ` (${tail})` : ''}`;
}

/**
 * A failed call: a token that is invalid or lacks a scope means reconnecting;
 * `rate_limit_exceeded` waits a minute (the window of the 6-a-minute init limit) unless
 * `Retry-After` says otherwise; the daily caps wait an hour; `internal_error` and 5xx are
 * transient; anything else refuses the post with TikTok's message, code and log id.
 */
export function tiktokFailure(response: Pick<JsonResponse, 'status' | 'body' | 'headers'>, now: number = Date.now()): PlatformError {
  const { code, message, logId } = errorOf(response.body);
  const details = { status: response.status, ...(code ? { platformCode: code } : {}) };
  if (response.status === 401 || (code !== undefined && TOKEN.has(code))) {
    return new PlatformError('auth', reconnectMessage(TIKTOK_NAME, said(message, code, logId)), details);
  }
  if (code === 'rate_limit_exceeded' || response.status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers, now) ?? TIKTOK_RATE_WINDOW_MS;
    return new PlatformError('rate_limited', `${TIKTOK_NAME} rate limit reached (${said(message, code, logId)})`, { ...details, retryAfterMs });
  }
  if (code !== undefined && CAPS.has(code)) {
    return new PlatformError('rate_limited', `${TIKTOK_NAME} daily limit reached (${said(message, code, logId)})`, { ...details, retryAfterMs: TIKTOK_DAILY_CAP_RETRY_MS });
  }
  if (response.status >= 500 || code === 'internal_error') {
    return new PlatformError('transient', `${TIKTOK_NAME} is unavailable (HTTP ${response.status}: ${said(message, code, logId)})`, details);
  }
  const advice = code ? ADVICE[code] : undefined;
  return new PlatformError('rejected', `${TIKTOK_NAME} refused the post: ${said(message, code, logId)}${advice ? `; ${advice}` : ''}`, details);
}

const PULL_FAILURES = new Set(['video_pull_failed', 'photo_pull_failed']);

/** A post that ended `FAILED` (nothing was published), by its `fail_reason`. */
export function failedPost(reason: string, publishId: string): PlatformError {
  const details = { platformCode: reason };
  if (reason === 'auth_removed') return new PlatformError('auth', reconnectMessage(TIKTOK_NAME, `the app's access was removed while publishing ${publishId}`), details);
  if (CAPS.has(reason)) return new PlatformError('rate_limited', `${TIKTOK_NAME} daily limit reached (${reason})`, { ...details, retryAfterMs: TIKTOK_DAILY_CAP_RETRY_MS });
  if (reason === 'internal') return new PlatformError('transient', `${TIKTOK_NAME} failed to publish ${publishId} on its side (internal)`, details);
  if (PULL_FAILURES.has(reason)) {
    return new PlatformError('rejected', `${TIKTOK_NAME} could not download the media (${reason}): it must be public, reachable, and on a domain verified for the app`, details);
  }
  return new PlatformError('rejected', `${TIKTOK_NAME} refused the post: ${reason}`, details);
}
