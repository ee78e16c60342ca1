import { reconnectMessage } from '../http/failure';
import { JsonResponse } from '../http/request-json';
import { headerValue, HeaderSource, parseRetryAfter } from '../http/retry-after';
import { PlatformError } from '../port';

/**
 * Meta's Graph API error, shared by Facebook Pages, Instagram and Threads:
 * `{"error": {"message", "type", "code", "error_subcode", "error_user_title", "error_user_msg", "is_transient", "fbtrace_id"}}`.
 * https://developers.facebook.com/docs/graph-api/guides/error-handling
 */
export interface MetaError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  is_transient?: boolean;
  fbtrace_id?: string;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function integer(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

export function metaError(body: unknown): MetaError | undefined {
  const error = body !== null && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
  if (error === null || typeof error !== 'object') return undefined;
  const e = error as Record<string, unknown>;
  return {
    message: text(e.message),
    type: text(e.type),
    code: integer(e.code),
    error_subcode: integer(e.error_subcode),
    error_user_title: text(e.error_user_title),
    error_user_msg: text(e.error_user_msg),
    is_transient: e.is_transient === true,
    fbtrace_id: text(e.fbtrace_id),
  };
}

// Token expired, revoked, password changed, app removed, session invalid.
const AUTH_CODES = new Set([102, 190]);
const AUTH_SUBCODES = new Set([458, 459, 460, 463, 464, 467, 492]);
// Application, user, page and custom-level throttling; 80001-80014 are Business Use Case limits.
const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613]);
// Instagram: the 24-hour publishing quota of the account is used up.
const PUBLISHING_QUOTA_SUBCODES = new Set([2207042]);
// "Unknown error" / "Service temporarily unavailable": Meta asks to retry.
const TRANSIENT_CODES = new Set([1, 2]);
// A container published before it finished processing ("Media ID is not available"): wait and try again.
const NOT_READY_SUBCODES = new Set([2207027]);

function isRateLimitCode(code: number | undefined): boolean {
  return code !== undefined && (RATE_LIMIT_CODES.has(code) || (code >= 80001 && code <= 80014));
}

// Permission errors (#10, #200-#299): the token lacks a permission the user must grant again.
function isPermissionCode(code: number | undefined): boolean {
  return code !== undefined && (code === 10 || (code >= 200 && code <= 299));
}

/** The platform's own reason: `message`, followed by `error_user_msg` (the part written for people) when it adds something. */
export function metaReason(error: MetaError | undefined): string | undefined {
  if (!error) return undefined;
  const { message, error_user_title: title, error_user_msg: userMsg } = error;
  const forPeople = userMsg && userMsg !== message ? `${title && !userMsg.startsWith(title) ? `${title}: ` : ''}${userMsg}` : undefined;
  if (message && forPeople) return `${message} (${forPeople})`;
  return message ?? forPeople;
}

/**
 * Milliseconds until Meta lets the caller back in: `Retry-After` when present, else the
 * largest `estimated_time_to_regain_access` (minutes) of the Business Use Case usage header.
 * https://developers.facebook.com/docs/graph-api/overview/rate-limiting#buc-rate-limits
 */
export function metaRetryAfterMs(headers: HeaderSource | undefined, now: number = Date.now()): number | undefined {
  const fromHeader = parseRetryAfter(headers, now);
  if (fromHeader !== undefined) return fromHeader;
  const usage = headerValue(headers, 'x-business-use-case-usage');
  if (!usage) return undefined;
  try {
    const parsed = JSON.parse(usage) as Record<string, Array<{ estimated_time_to_regain_access?: unknown }>>;
    let minutes: number | undefined;
    for (const entries of Object.values(parsed)) {
      for (const entry of Array.isArray(entries) ? entries : []) {
        const value = Number(entry?.estimated_time_to_regain_access);
        if (Number.isFinite(value) && value >= 0) minutes = Math.max(minutes ?? 0, value);
      }
    }
    return minutes === undefined ? undefined : minutes * 60_000;
  } catch {
    return undefined;
  }
}

/**
 * Classifies a Graph API failure by Meta's error code (the HTTP status is mostly 400):
 * 190/102 and the session subcodes are `auth`, as are permission errors (#10, #2xx) the
 * user fixes by reconnecting; throttling codes (4, 17, 32, 613, 80001+) are `rate_limited`;
 * 1, 2, `is_transient` and 5xx are `transient`; anything else is `rejected` with Meta's
 * own `message` and `error_user_msg`.
 */
export function metaFailure(platformName: string, response: Pick<JsonResponse, 'status' | 'body' | 'text' | 'headers'>, now: number = Date.now()): PlatformError {
  const error = metaError(response.body);
  // Only Meta's documented `error` object is passed on, never a body of another shape.
  const reason = metaReason(error);
  const details = {
    status: response.status,
    ...(error?.code !== undefined ? { platformCode: error.error_subcode !== undefined ? `${error.code}/${error.error_subcode}` : String(error.code) } : {}),
  };
  const code = error?.code;
  const subcode = error?.error_subcode;

  if (AUTH_CODES.has(code ?? -1) || AUTH_SUBCODES.has(subcode ?? -1) || response.status === 401) {
    return new PlatformError('auth', reconnectMessage(platformName, reason), details);
  }
  if (isPermissionCode(code)) {
    return new PlatformError('auth', `${reconnectMessage(platformName, reason)}, granting the permissions it asks for`, details);
  }
  if (isRateLimitCode(code) || PUBLISHING_QUOTA_SUBCODES.has(subcode ?? -1) || response.status === 429) {
    const retryAfterMs = metaRetryAfterMs(response.headers, now);
    return new PlatformError('rate_limited', `${platformName} rate limit reached${reason ? ` (${reason})` : ''}`, retryAfterMs === undefined ? details : { ...details, retryAfterMs });
  }
  if (TRANSIENT_CODES.has(code ?? -1) || error?.is_transient || NOT_READY_SUBCODES.has(subcode ?? -1) || response.status >= 500 || response.status === 408) {
    return new PlatformError('transient', `${platformName} is unavailable (HTTP ${response.status}${reason ? `: ${reason}` : ''})`, details);
  }
  return new PlatformError('rejected', reason ? `${platformName} refused the post: ${reason}` : `${platformName} refused the post (HTTP ${response.status})`, details);
}
