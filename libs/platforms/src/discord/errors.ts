import { reconnectMessage } from '../http/failure';
import { JsonResponse } from '../http/request-json';
import { parseRetryAfter } from '../http/retry-after';
import { PlatformError } from '../port';
import { DISCORD_NAME, DISCORD_RATE_LIMIT_HEADERS } from './rules';

/** Discord's JSON error codes the adapter acts on (Discord: "JSON Error Codes"). */
export const DISCORD_CODES = {
  unknownChannel: 10003,
  unknownMessage: 10008,
  unknownWebhook: 10015,
  missingAccess: 50001,
  invalidWebhookToken: 50027,
  missingPermissions: 50013,
  invalidFormBody: 50035,
  threadAlreadyCreated: 160004,
  forumNeedsThreadName: 220001,
  threadsOnlyInForums: 220003,
} as const;

interface DiscordErrorBody {
  code?: number;
  message?: string;
  retry_after?: number;
  global?: boolean;
  errors?: unknown;
}

export function errorBodyOf(response: Pick<JsonResponse, 'body'>): DiscordErrorBody {
  return response.body !== null && typeof response.body === 'object' ? (response.body as DiscordErrorBody) : {};
}

/** The first nested `_errors` entry of an Invalid Form Body answer, as `field.path: message`. */
export function firstFieldError(errors: unknown, path: string[] = []): string | undefined {
  if (errors === null || typeof errors !== 'object') return undefined;
  const own = (errors as { _errors?: Array<{ message?: string }> })._errors;
  if (Array.isArray(own) && typeof own[0]?.message === 'string') return `${path.join('.') || 'body'}: ${own[0].message}`;
  for (const [key, value] of Object.entries(errors)) {
    if (key === '_errors') continue;
    const found = firstFieldError(value, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

const PERMISSION_ADVICE = 'give the bot View Channel, Send Messages, Send Messages in Threads, Create Public Threads, Read Message History and Attach Files in the channel';

/**
 * A non-2xx answer: 429 waits `retry_after` (seconds, from the body, else
 * `X-RateLimit-Reset-After`); 401, an invalid webhook token and a deleted webhook (404
 * Unknown Webhook) mean reconnecting; missing permissions say which to grant; 5xx is
 * transient; anything else refuses the message with Discord's own message (and the field
 * it is about, for Invalid Form Body).
 */
export function discordFailure(response: Pick<JsonResponse, 'status' | 'body' | 'headers'>, via: 'webhook' | 'bot', now: number = Date.now()): PlatformError {
  const body = errorBodyOf(response);
  const code = typeof body.code === 'number' ? body.code : undefined;
  const message = typeof body.message === 'string' && body.message.trim() !== '' ? body.message.trim() : undefined;
  const details = { status: response.status, ...(code !== undefined ? { platformCode: String(code) } : {}) };

  if (response.status === 429) {
    const fromBody = typeof body.retry_after === 'number' && body.retry_after >= 0 ? Math.ceil(body.retry_after * 1000) : undefined;
    const retryAfterMs = fromBody ?? parseRetryAfter(response.headers, now, { resetHeaders: DISCORD_RATE_LIMIT_HEADERS });
    return new PlatformError('rate_limited', `${DISCORD_NAME} rate limit reached${body.global ? ' (global)' : ''}${message ? ` (${message})` : ''}`, {
      ...details,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (code === DISCORD_CODES.unknownWebhook) {
    return new PlatformError('auth', `the ${DISCORD_NAME} webhook was deleted (Unknown Webhook); create a new one and reconnect your ${DISCORD_NAME} account`, details);
  }
  if (response.status === 401 || code === DISCORD_CODES.invalidWebhookToken) {
    const what = via === 'webhook' ? 'the webhook token is no longer valid' : 'the bot token was refused';
    return new PlatformError('auth', reconnectMessage(DISCORD_NAME, `${what}${message ? `: ${message}` : ''}`), details);
  }
  if (response.status >= 500) {
    return new PlatformError('transient', `${DISCORD_NAME} is unavailable (HTTP ${response.status}${message ? `: ${message}` : ''})`, details);
  }
  if (code === DISCORD_CODES.missingPermissions || code === DISCORD_CODES.missingAccess) {
    return new PlatformError('rejected', `${DISCORD_NAME} refused the post: ${message ?? 'Missing Permissions'} (${PERMISSION_ADVICE})`, details);
  }
  if (code === DISCORD_CODES.forumNeedsThreadName) {
    return new PlatformError('rejected', `${DISCORD_NAME} refused the post: ${message ?? 'a forum channel needs a thread name'} (set platform_settings.discord.thread_name to open a forum post)`, details);
  }
  const field = code === DISCORD_CODES.invalidFormBody ? firstFieldError(body.errors) : undefined;
  const reason = message ? `${message}${field ? ` (${field})` : ''}` : undefined;
  return new PlatformError('rejected', reason ? `${DISCORD_NAME} refused the post: ${reason}` : `${DISCORD_NAME} refused the post (HTTP ${response.status})`, details);
}
