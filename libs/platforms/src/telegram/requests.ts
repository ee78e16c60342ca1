import { checkLength } from '../../../domain';
import { reconnectMessage } from '../http/failure';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { TELEGRAM_MAX_ALBUM, TELEGRAM_NAME, TELEGRAM_PUBLIC_LINK_BASE, TELEGRAM_RULES, TELEGRAM_SUPERGROUP_PREFIX } from './rules';

export interface TelegramBot {
  base: string;
  token: string;
  chatId: string;
}

// BotFather tokens: the bot's numeric id, a colon, a secret of URL-safe characters.
const TOKEN_PATTERN = /^\d+:[A-Za-z0-9_-]+$/;

/** The account's bot and chat; the token travels in the URL path, so it is checked for shape first. */
export function botOf(account: PlatformAccount, defaultBase: string): TelegramBot {
  const token = account.credentials.bot_token;
  const chatId = account.credentials.chat_id;
  if (!token) throw new PlatformError('auth', reconnectMessage(TELEGRAM_NAME, 'no bot token is stored'));
  if (!TOKEN_PATTERN.test(token)) throw new PlatformError('auth', reconnectMessage(TELEGRAM_NAME, 'the stored bot token is not shaped like one from @BotFather (<bot id>:<secret>)'));
  if (!chatId) throw new PlatformError('auth', reconnectMessage(TELEGRAM_NAME, 'no chat_id is stored'));
  return { base: (account.base_url ?? defaultBase).replace(/\/+$/, ''), token, chatId };
}

/** `https://api.telegram.org/bot<token>/<method>` (Bot API: "Making requests"). */
export function methodUrl(bot: TelegramBot, method: string): string {
  return `${bot.base}/bot${bot.token}/${method}`;
}

/** Replaces the bot token wherever a message might carry it (URLs in network errors). */
export function redactToken(text: string, token: string): string {
  let out = text;
  for (const form of new Set([token, encodeURIComponent(token)])) out = out.split(form).join('<bot token>');
  return out;
}

export interface TelegramSettings {
  disable_notification?: boolean;
  parse_mode?: string;
}

export function settingsOf(settings: Record<string, unknown>): TelegramSettings {
  return {
    ...(typeof settings.disable_notification === 'boolean' ? { disable_notification: settings.disable_notification } : {}),
    ...(typeof settings.parse_mode === 'string' ? { parse_mode: settings.parse_mode } : {}),
  };
}

/** What Telegram would refuse in this segment, found without any request. */
export function segmentProblems({ text, media }: Pick<SegmentRequest, 'text' | 'media'>): string[] {
  const problems: string[] = [];
  const withMedia = media.length > 0;
  const limit = withMedia && TELEGRAM_RULES.caption ? TELEGRAM_RULES.caption : TELEGRAM_RULES.text;
  const length = checkLength(text, limit);
  if (!length.ok) {
    problems.push(
      withMedia
        ? `the caption is ${length.length} characters; Telegram takes at most ${length.max} under a photo or video (a message without media takes ${TELEGRAM_RULES.text.max})`
        : `the text is ${length.length} characters; Telegram takes at most ${length.max} in a message`,
    );
  }
  if (!withMedia && text.trim() === '') problems.push('a Telegram message needs text');
  if (media.length > TELEGRAM_MAX_ALBUM) problems.push(`${media.length} attachments; a Telegram album takes at most ${TELEGRAM_MAX_ALBUM}`);
  return problems;
}

/** The message a reply in the thread answers: the previous segment's (its first message when it was an album). */
export function replyTarget(request: Pick<SegmentRequest, 'index' | 'parent'>): number | undefined {
  if (request.index === 0) return undefined;
  const id = Number(request.parent?.ref?.message_id ?? request.parent?.post_id);
  if (!Number.isSafeInteger(id)) throw new PlatformError('rejected', `the previous segment's ${TELEGRAM_NAME} message id is missing, so this reply cannot be threaded`);
  return id;
}

function common(bot: TelegramBot, settings: TelegramSettings, replyTo: number | undefined): Record<string, unknown> {
  return {
    chat_id: bot.chatId,
    ...(replyTo !== undefined ? { reply_parameters: { message_id: replyTo } } : {}),
    ...settings,
  };
}

/** `sendMessage` JSON body. */
export function sendMessageBody(bot: TelegramBot, text: string, settings: TelegramSettings, replyTo?: number): Record<string, unknown> {
  return { ...common(bot, settings, replyTo), text };
}

export type TelegramFileKind = 'photo' | 'video' | 'animation';

export interface TelegramFile {
  kind: TelegramFileKind;
  bytes: Buffer;
  mime: string;
}

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp', 'video/mp4': 'mp4', 'video/quicktime': 'mov', 'video/webm': 'webm' };

function blobOf(file: TelegramFile): Blob {
  return new Blob([new Uint8Array(file.bytes)], { type: file.mime });
}

function fileName(file: TelegramFile, index: number): string {
  return `${file.kind}${index}.${EXTENSIONS[file.mime] ?? 'bin'}`;
}

/** Multipart fields take objects as JSON-serialized strings ("InputFile", "Sending files"). */
function appendFields(form: FormData, fields: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(fields)) form.append(key, typeof value === 'string' ? value : JSON.stringify(value));
}

/** The method that sends one file on its own, and the field holding it. */
export function singleFileMethod(file: TelegramFile): { method: 'sendPhoto' | 'sendVideo' | 'sendAnimation'; field: TelegramFileKind } {
  if (file.kind === 'video') return { method: 'sendVideo', field: 'video' };
  if (file.kind === 'animation') return { method: 'sendAnimation', field: 'animation' };
  return { method: 'sendPhoto', field: 'photo' };
}

/** `sendPhoto` / `sendVideo` / `sendAnimation` multipart body: the file and an optional caption. */
export function singleFileForm(bot: TelegramBot, file: TelegramFile, caption: string, settings: TelegramSettings, replyTo?: number): FormData {
  const form = new FormData();
  appendFields(form, { ...common(bot, settings, replyTo), ...(caption !== '' ? { caption } : {}), ...(file.kind === 'video' ? { supports_streaming: true } : {}) });
  form.append(singleFileMethod(file).field, blobOf(file), fileName(file, 0));
  return form;
}

/**
 * `sendMediaGroup` multipart body: `media` lists the album's items, each pointing at a
 * part with `attach://<name>`; the caption goes on the first item, which Telegram shows
 * under the album. Albums take photos and videos only, so a GIF goes in as a (still) photo.
 */
export function albumForm(bot: TelegramBot, files: readonly TelegramFile[], caption: string, settings: TelegramSettings, replyTo?: number): FormData {
  const form = new FormData();
  const { parse_mode, ...rest } = settings;
  const media = files.map((file, i) => ({
    type: file.kind === 'video' ? 'video' : 'photo',
    media: `attach://file${i}`,
    ...(i === 0 && caption !== '' ? { caption, ...(parse_mode ? { parse_mode } : {}) } : {}),
  }));
  appendFields(form, { ...common(bot, rest, replyTo), media });
  files.forEach((file, i) => form.append(`file${i}`, blobOf(file), fileName(file, i)));
  return form;
}

export interface TelegramChat {
  id: number | string;
  type?: string;
  username?: string;
}

export interface TelegramMessage {
  message_id: number;
  chat: TelegramChat;
}

/**
 * A message's public link: `t.me/<username>/<id>` in a public chat; `t.me/c/<n>/<id>` in a
 * private supergroup or channel (id `-100<n>`), which opens for its members. Private chats
 * and basic groups have no web link; Telegram's apps open `tg://openmessage` there.
 */
export function messageUrl(chat: TelegramChat, messageId: number): string {
  if (chat.username) return `${TELEGRAM_PUBLIC_LINK_BASE}/${chat.username}/${messageId}`;
  const id = String(chat.id);
  if (id.startsWith(TELEGRAM_SUPERGROUP_PREFIX)) return `${TELEGRAM_PUBLIC_LINK_BASE}/c/${id.slice(TELEGRAM_SUPERGROUP_PREFIX.length)}/${messageId}`;
  return `tg://openmessage?chat_id=${encodeURIComponent(id)}&message_id=${messageId}`;
}

export function segmentRefOf(message: TelegramMessage): SegmentRef {
  return {
    post_id: String(message.message_id),
    post_url: messageUrl(message.chat, message.message_id),
    ref: { message_id: String(message.message_id), chat_id: String(message.chat.id) },
  };
}
