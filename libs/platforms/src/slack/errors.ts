import { reconnectMessage } from '../http/failure';
import { JsonResponse } from '../http/request-json';
import { parseRetryAfter } from '../http/retry-after';
import { PlatformError } from '../port';
import { SLACK_NAME } from './rules';

// The token no longer works: only reconnecting (reinstalling the app) helps.
const TOKEN_REFUSALS = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'no_permission', 'team_access_not_granted', 'org_login_required', 'ekm_access_denied']);
const SLACK_SIDE = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

// What the user can do about the refusals a post meets most.
const ADVICE: Record<string, string> = {
  not_in_channel: 'the app is not a member of the channel: invite it with /invite @<your app> and retry',
  channel_not_found: 'the channel was not found: check the channel id, and invite the app if the channel is private',
  is_archived: 'the channel is archived: unarchive it or connect another channel',
  msg_too_long: 'the message is too long',
  no_text: 'the message has no text',
  thread_not_found: "the thread's first message was not found (was it deleted?)",
  cannot_reply_to_message: 'this message cannot take replies',
  restricted_action: 'the workspace does not let the app post in this channel',
  restricted_action_read_only_channel: 'the channel is read-only',
  restricted_action_thread_only_channel: 'the channel takes replies in threads only',
  alt_txt_too_large: 'an alt text is longer than 1,000 characters',
  file_uploads_disabled: 'the workspace has disabled file uploads',
  file_uploads_except_images_disabled: 'the workspace takes only image uploads',
  file_upload_size_restricted: 'the workspace restricts uploads of files this large',
  file_type_not_allowed: 'the workspace does not allow this file type',
};

interface SlackErrorBody {
  ok?: boolean;
  error?: string;
  needed?: string;
  provided?: string;
}

/**
 * A failed Web API call. Slack answers most refusals with HTTP 200 and
 * `{ok: false, error}`: revoked or invalid tokens are `auth`, a missing scope is `auth`
 * too (the app must be reinstalled with it), `ratelimited` (HTTP 429 with `Retry-After`)
 * is `rate_limited`, Slack's own failures and 5xx are `transient`, and every other code is
 * Slack refusing the post, passed on with what to do about it.
 */
export function slackFailure(response: Pick<JsonResponse, 'status' | 'body' | 'headers'>, now: number = Date.now()): PlatformError {
  const body = (response.body !== null && typeof response.body === 'object' ? response.body : {}) as SlackErrorBody;
  const code = typeof body.error === 'string' && body.error !== '' ? body.error : undefined;
  const details = { status: response.status, ...(code ? { platformCode: code } : {}) };

  if (response.status === 429 || code === 'ratelimited' || code === 'rate_limited') {
    const retryAfterMs = parseRetryAfter(response.headers, now);
    return new PlatformError('rate_limited', `${SLACK_NAME} rate limit reached${code ? ` (${code})` : ''}`, { ...details, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  if (response.status >= 500 || (code !== undefined && SLACK_SIDE.has(code))) {
    return new PlatformError('transient', `${SLACK_NAME} is unavailable (HTTP ${response.status}${code ? `: ${code}` : ''})`, details);
  }
  if (code === 'missing_scope') {
    return new PlatformError('auth', reconnectMessage(SLACK_NAME, `missing_scope: the app needs the ${body.needed ?? 'required'} scope${body.provided ? `, it has ${body.provided}` : ''}`), details);
  }
  if (response.status === 401 || response.status === 403 || (code !== undefined && TOKEN_REFUSALS.has(code))) {
    return new PlatformError('auth', reconnectMessage(SLACK_NAME, code ?? `HTTP ${response.status}`), details);
  }
  if (code === undefined) return new PlatformError('rejected', `${SLACK_NAME} refused the post (HTTP ${response.status})`, details);
  const advice = ADVICE[code];
  return new PlatformError('rejected', `${SLACK_NAME} refused the post: ${code}${advice ? ` (${advice})` : ''}`, details);
}
