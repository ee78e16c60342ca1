import { checkLength } from '../../../domain';
import { reconnectMessage } from '../http/failure';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { DISCORD_API_PATH, DISCORD_EPOCH_MS, DISCORD_MAX_ALT_TEXT, DISCORD_MAX_ATTACHMENTS, DISCORD_NAME, DISCORD_ORIGIN, DISCORD_RULES } from './rules';

export interface WebhookConnection {
  kind: 'webhook';
  /** `<origin>/api/v10` */
  api: string;
  webhookId: string;
  webhookToken: string;
}

export interface BotConnection {
  kind: 'bot';
  api: string;
  botToken: string;
  channelId: string;
}

export type DiscordConnection = WebhookConnection | BotConnection;

// https://discord.com/api/webhooks/<id>/<token>, with or without an API version.
const WEBHOOK_PATH = /^\/api(?:\/v\d+)?\/webhooks\/(\d+)\/([A-Za-z0-9_-]+)\/?$/;
const SNOWFLAKE = /^\d{15,21}$/;

function apiOf(account: PlatformAccount, defaultOrigin: string): string {
  const origin = (account.base_url ?? defaultOrigin).replace(/\/+$/, '').replace(/\/api(\/v\d+)?$/, '');
  return `${origin}${DISCORD_API_PATH}`;
}

/**
 * How the account posts: as a bot (`bot_token` + `channel_id`: replies and threads from
 * messages), else through its webhook (`webhook_url`).
 */
export function connectionOf(account: PlatformAccount, defaultOrigin: string = DISCORD_ORIGIN): DiscordConnection {
  const { bot_token: botToken, channel_id: channelId, webhook_url: webhookUrl } = account.credentials;
  const api = apiOf(account, defaultOrigin);
  if (botToken && channelId) {
    if (!SNOWFLAKE.test(channelId)) throw new PlatformError('auth', reconnectMessage(DISCORD_NAME, `channel_id "${channelId}" is not a Discord id`));
    return { kind: 'bot', api, botToken, channelId };
  }
  if (!webhookUrl) throw new PlatformError('auth', reconnectMessage(DISCORD_NAME, 'no webhook_url (or bot_token and channel_id) is stored'));
  let path: string;
  try {
    path = new URL(webhookUrl).pathname;
  } catch {
    throw new PlatformError('auth', reconnectMessage(DISCORD_NAME, 'the stored webhook_url is not a URL'));
  }
  const match = WEBHOOK_PATH.exec(path);
  if (!match) throw new PlatformError('auth', reconnectMessage(DISCORD_NAME, 'the stored webhook_url is not a Discord webhook URL (https://discord.com/api/webhooks/<id>/<token>)'));
  return { kind: 'webhook', api, webhookId: match[1], webhookToken: match[2] };
}

/** The secret a connection carries in URLs or headers, to keep out of messages. */
export function secretOf(connection: DiscordConnection): string {
  return connection.kind === 'webhook' ? connection.webhookToken : connection.botToken;
}

export function redactSecret(text: string, secret: string): string {
  return text.split(secret).join('<token>');
}

export function threadNameOf(settings: Record<string, unknown>): string | undefined {
  const name = typeof settings.thread_name === 'string' ? settings.thread_name.trim() : '';
  return name === '' ? undefined : name;
}

/** What Discord would refuse in this segment, found without any request. */
export function segmentProblems({ text, media }: Pick<SegmentRequest, 'text' | 'media'>): string[] {
  const problems: string[] = [];
  const length = checkLength(text, DISCORD_RULES.text);
  if (!length.ok) problems.push(`the text is ${length.length} characters; Discord takes at most ${length.max} in a message`);
  if (text.trim() === '' && media.length === 0) problems.push('a Discord message needs text or a file');
  if (media.length > DISCORD_MAX_ATTACHMENTS) problems.push(`${media.length} files; Discord takes at most ${DISCORD_MAX_ATTACHMENTS} in a message`);
  media.forEach((m, i) => {
    if (m.alt_text && [...m.alt_text].length > DISCORD_MAX_ALT_TEXT) problems.push(`alt text of ${m.kind} ${i + 1} is longer than ${DISCORD_MAX_ALT_TEXT} characters`);
  });
  return problems;
}

export interface DiscordFile {
  bytes: Buffer;
  mime: string;
  filename: string;
  description?: string;
}

/**
 * The message's JSON: the text, no pings (a post's `@everyone` or `<@id>` stays text), and
 * one `attachments` entry per file with its alt text as `description`.
 */
export function messagePayload(text: string, files: readonly DiscordFile[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...(text !== '' ? { content: text } : {}),
    allowed_mentions: { parse: [] },
    ...(files.length > 0 ? { attachments: files.map((f, i) => ({ id: i, filename: f.filename, ...(f.description ? { description: f.description } : {}) })) } : {}),
    ...extra,
  };
}

/** JSON alone, or (with files) multipart with `payload_json` and `files[n]` (Discord: "Uploading Files"). */
export function messageBody(payload: Record<string, unknown>, files: readonly DiscordFile[]): { json: Record<string, unknown> } | { form: FormData } {
  if (files.length === 0) return { json: payload };
  const form = new FormData();
  form.append('payload_json', JSON.stringify(payload));
  files.forEach((file, i) => form.append(`files[${i}]`, new Blob([new Uint8Array(file.bytes)], { type: file.mime }), file.filename));
  return { form };
}

export function webhookUrl(connection: WebhookConnection, query: Record<string, string> = {}): string {
  const url = new URL(`${connection.api}/webhooks/${connection.webhookId}/${connection.webhookToken}`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.href;
}

export function botUrl(connection: BotConnection, path: string, query: Record<string, string> = {}): string {
  const url = new URL(`${connection.api}${path}`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.href;
}

/** `https://discord.com/channels/<guild>/<channel>/<message>` (`@me` outside servers). */
export function messageLink(guildId: string | undefined, channelId: string, messageId: string): string {
  return `${DISCORD_ORIGIN}/channels/${guildId ?? '@me'}/${channelId}/${messageId}`;
}

export function segmentRefOf(guildId: string | undefined, message: { id: string; channel_id: string }, threadId?: string): SegmentRef {
  return {
    post_id: message.id,
    post_url: messageLink(guildId, message.channel_id, message.id),
    ref: { message_id: message.id, channel_id: message.channel_id, ...(threadId ? { thread_id: threadId } : {}) },
  };
}

/** The smallest snowflake at or after `ms` (for `?after=`). */
export function snowflakeAt(ms: number): string {
  const since = BigInt(Math.max(0, Math.floor(ms))) - DISCORD_EPOCH_MS;
  return String((since > 0n ? since : 0n) << 22n);
}
