import { JsonResponse } from '../http/request-json';
import { parseRetryAfter } from '../http/retry-after';
import { PlatformError } from '../port';
import { TELEGRAM_NAME } from './rules';

/** The Bot API's answer to a failed call. */
interface TelegramErrorBody {
  ok?: boolean;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

function bodyOf(response: Pick<JsonResponse, 'body'>): TelegramErrorBody {
  const body = response.body;
  return body !== null && typeof body === 'object' ? (body as TelegramErrorBody) : {};
}

/**
 * A failed Bot API call ({ok: false, error_code, description}): 401 is a revoked or wrong
 * token; 403 means the bot was kicked or blocked (only re-adding the bot helps); 429 waits
 * `parameters.retry_after` seconds; 5xx is transient; any other answer (400 "chat not
 * found", "message is too long", "can't parse entities", ...) refuses the message with
 * Telegram's own description. Descriptions never carry the token; callers still redact.
 */
export function telegramFailure(response: Pick<JsonResponse, 'status' | 'body' | 'headers'>, now: number = Date.now()): PlatformError {
  const body = bodyOf(response);
  const code = typeof body.error_code === 'number' ? body.error_code : response.status;
  const description = typeof body.description === 'string' && body.description.trim() !== '' ? body.description.trim() : undefined;
  const details = { status: response.status, platformCode: String(code) };

  if (code === 401) {
    return new PlatformError('auth', `${TELEGRAM_NAME} refused the bot token (${description ?? 'Unauthorized'}): the bot token was revoked or replaced; reconnect your ${TELEGRAM_NAME} account with the current token from @BotFather`, details);
  }
  if (code === 403) {
    return new PlatformError('auth', `${TELEGRAM_NAME} will not let the bot post in this chat (${description ?? 'Forbidden'}): add the bot back to the chat (with permission to post) and reconnect your ${TELEGRAM_NAME} account`, details);
  }
  if (code === 429) {
    const fromBody = body.parameters?.retry_after;
    const retryAfterMs = typeof fromBody === 'number' && fromBody >= 0 ? Math.ceil(fromBody * 1000) : parseRetryAfter(response.headers, now);
    return new PlatformError('rate_limited', `${TELEGRAM_NAME} rate limit reached${description ? ` (${description})` : ''}`, { ...details, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  if (code >= 500 || response.status >= 500) {
    return new PlatformError('transient', `${TELEGRAM_NAME} is unavailable (HTTP ${response.status}${description ? `: ${description}` : ''})`, details);
  }
  const migrated = body.parameters?.migrate_to_chat_id;
  if (migrated !== undefined) {
    return new PlatformError('rejected', `${TELEGRAM_NAME} refused the post: ${description ?? 'the group was upgraded'}; the chat is now ${migrated}: reconnect your ${TELEGRAM_NAME} account with chat_id ${migrated}`, details);
  }
  return new PlatformError('rejected', description ? `${TELEGRAM_NAME} refused the post: ${description}` : `${TELEGRAM_NAME} refused the post (HTTP ${response.status})`, details);
}
