import { PlatformError } from '../port';
import { HeaderSource, parseRetryAfter, RetryAfterOptions } from './retry-after';

/** The longest platform reason passed on to a caller. */
export const MAX_PLATFORM_MESSAGE = 300;

// Token-shaped values that have no place in a message a caller reads: bearer values,
// `key=value` secrets, JWTs, and long opaque strings (most platforms' token formats).
const SECRET_PATTERNS: readonly RegExp[] = [
  /\b(bearer|bot|basic|oauth)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b([a-z_]*(?:token|secret|password|passwd|api_?key|signature)[a-z_]*)(=|"\s*:\s*")[^\s"'&,;]+/gi,
  /\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/g,
  /[A-Za-z0-9_-]*[0-9][A-Za-z0-9_-]*[A-Za-z][A-Za-z0-9_-]{30,}|[A-Za-z0-9_-]*[A-Za-z][A-Za-z0-9_-]*[0-9][A-Za-z0-9_-]{30,}/g,
];

/**
 * A platform's reason made fit for a caller: markup and control characters removed, token-
 * shaped values and the given secrets (the account's own credentials) replaced by `[redacted]`,
 * and cut to `MAX_PLATFORM_MESSAGE` characters.
 */
export function cleanPlatformText(raw: string, secrets: readonly string[] = [], max = MAX_PLATFORM_MESSAGE): string {
  let text = raw
    .replace(/<[^>]{0,200}>/g, ' ')
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
  for (const secret of secrets) if (secret.length >= 6) text = text.split(secret).join('[redacted]');
  text = text.replace(SECRET_PATTERNS[0], (_, scheme: string) => `${scheme} [redacted]`);
  text = text.replace(SECRET_PATTERNS[1], (_, name: string, sep: string) => `${name}${sep}[redacted]`);
  text = text.replace(SECRET_PATTERNS[2], '[redacted]').replace(SECRET_PATTERNS[3], '[redacted]');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * The platform's own reason for refusing a request, found where APIs document it:
 * `error_description`, `message`, `detail`, `error.message`, `errors[0].message`, `error`.
 * Anything else (a plain-text or HTML body, which may come from whatever answers at the
 * account's `base_url`) is never passed on. The reason is cleaned by `cleanPlatformText`.
 */
export function platformMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return platformMessage(JSON.parse(body));
    } catch {
      return undefined;
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
  return found === undefined ? undefined : cleanPlatformText(found);
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
