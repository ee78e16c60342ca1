import * as http from 'node:http';
import { LocalPlatformServer, ScriptedFailures } from '../../testing/fake-server';
import { isImageType, isVideoType, sniffMime } from '../../media/sniff';

/**
 * A Bot API server on 127.0.0.1 for tests: `/bot<token>/<method>` for the methods the
 * adapter uses, taking JSON, form or multipart bodies as the real one does, and refusing
 * what it refuses with its `{ok: false, error_code, description}` answers: an unknown
 * token (401), a kicked bot (403), an unknown chat, empty or over-long text and captions,
 * a reply to a message that does not exist, MarkdownV2 with unescaped reserved
 * characters, albums outside 2–10 items, files that are not what they claim. Keeps every
 * message it accepted for assertions.
 */

export interface FakeTelegramChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  username?: string;
  title?: string;
}

export interface FakeTelegramOptions {
  token?: string;
  chat?: FakeTelegramChat;
  /** The bot was removed from the chat: every send answers 403. */
  kicked?: boolean;
}

export interface FakeTelegramFile {
  type: 'photo' | 'video' | 'animation';
  mime: string;
  size: number;
}

export interface FakeTelegramMessage {
  message_id: number;
  chat_id: number;
  method: string;
  text?: string;
  caption?: string;
  parse_mode?: string;
  disable_notification: boolean;
  reply_to_message_id?: number;
  media_group_id?: string;
  file?: FakeTelegramFile;
}

export interface FakeTelegramFailure {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Close the connection without answering, after the request was read. */
  drop?: boolean;
}

const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
const PHOTO_LIMIT = 10 * 1024 * 1024;
const UPLOAD_LIMIT = 50 * 1024 * 1024;
// MarkdownV2 characters that must be escaped outside entities; these never open an entity.
const MARKDOWN_V2_PLAIN_RESERVED = /(?<!\\)[.!#+=|{}-]/;

class Refusal {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: Record<string, unknown>,
  ) {}
}

type Fields = Map<string, string>;
type Files = Map<string, { bytes: Buffer; type: string }>;

export class FakeTelegram extends LocalPlatformServer {
  readonly messages: FakeTelegramMessage[] = [];
  /** Every request, in order: `METHOD /bot<token>/<method>` with the token as sent. */
  readonly requests: string[] = [];
  private readonly failures = new ScriptedFailures<FakeTelegramFailure>();
  private nextMessageId = 100;
  private nextGroupId = 9_000_000;
  private options: Required<Omit<FakeTelegramOptions, 'chat'>> & { chat: FakeTelegramChat };

  private constructor(options: FakeTelegramOptions) {
    super('application/json');
    this.options = {
      token: '7000000001:AAFakeTelegramSecret_abcdefghijklmnop',
      chat: { id: -1001234567890, type: 'channel', username: 'postloom_news', title: 'Postloom news' },
      kicked: false,
      ...options,
    };
  }

  static async start(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
    const fake = new FakeTelegram(options);
    await fake.listen();
    return fake;
  }

  get token(): string {
    return this.options.token;
  }

  get chat(): FakeTelegramChat {
    return this.options.chat;
  }

  configure(options: FakeTelegramOptions): void {
    this.options = { ...this.options, ...options };
  }

  /** The next call of `method` (`"sendMessage"`) gets this answer instead. */
  failNext(method: string, failure: FakeTelegramFailure): void {
    this.failures.add(method, failure);
  }

  callsOf(method: string): number {
    return this.requests.filter((r) => r.endsWith(`/${method}`)).length;
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await this.readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => this.writeJson(res, status, payload, headers);
    const refuse = (refusal: Refusal): void =>
      send(refusal.code, { ok: false, error_code: refusal.code, description: refusal.description, ...(refusal.parameters ? { parameters: refusal.parameters } : {}) });

    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return refuse(new Refusal(404, 'Not Found'));
    const [, token, method] = match;
    const failure = this.failures.take(method);
    if (failure) {
      if (failure.drop) return this.hangUp(req);
      return send(failure.status, failure.body ?? { ok: false, error_code: failure.status, description: http.STATUS_CODES[failure.status] ?? 'Error' }, failure.headers);
    }
    if (token !== this.options.token) return refuse(new Refusal(401, 'Unauthorized'));

    try {
      const { fields, files } = await this.parse(req, body, url);
      const chatId = fields.get('chat_id');
      if (chatId === undefined || chatId === '') throw new Refusal(400, 'Bad Request: chat_id is empty');
      const chat = this.options.chat;
      if (chatId !== String(chat.id) && !(chat.username && chatId === `@${chat.username}`)) throw new Refusal(400, 'Bad Request: chat not found');
      if (this.options.kicked) throw new Refusal(403, chat.type === 'channel' ? 'Forbidden: bot is not a member of the channel chat' : 'Forbidden: bot was kicked from the supergroup chat');
      switch (method) {
        case 'sendMessage':
          return send(200, { ok: true, result: this.view(this.sendMessage(fields)) });
        case 'sendPhoto':
        case 'sendVideo':
        case 'sendAnimation':
          return send(200, { ok: true, result: this.view(this.sendFile(method, fields, files)) });
        case 'sendMediaGroup':
          return send(200, { ok: true, result: this.sendAlbum(fields, files).map((m) => this.view(m)) });
        default:
          throw new Refusal(404, 'Not Found');
      }
    } catch (err) {
      if (err instanceof Refusal) return refuse(err);
      send(500, { ok: false, error_code: 500, description: 'Internal Server Error' });
    }
  }

  private async parse(req: http.IncomingMessage, body: Buffer, url: URL): Promise<{ fields: Fields; files: Files }> {
    const fields: Fields = new Map(url.searchParams);
    const files: Files = new Map();
    const type = req.headers['content-type'] ?? '';
    if (type.includes('application/json')) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        throw new Refusal(400, "Bad Request: can't parse JSON object");
      }
      for (const [key, value] of Object.entries(parsed)) fields.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    } else if (type.includes('multipart/form-data')) {
      const form = await this.formOf(body, type);
      for (const [key, value] of form.entries()) {
        if (typeof value === 'string') fields.set(key, value);
        else files.set(key, { bytes: Buffer.from(await value.arrayBuffer()), type: value.type });
      }
    } else if (type.includes('application/x-www-form-urlencoded')) {
      for (const [key, value] of new URLSearchParams(body.toString('utf8'))) fields.set(key, value);
    }
    return { fields, files };
  }

  private checkMarkup(text: string, parseMode: string | undefined): void {
    if (parseMode === undefined) return;
    if (parseMode !== 'MarkdownV2' && parseMode !== 'HTML' && parseMode !== 'Markdown') throw new Refusal(400, `Bad Request: unsupported parse_mode`);
    const reserved = parseMode === 'MarkdownV2' ? MARKDOWN_V2_PLAIN_RESERVED.exec(text) : null;
    if (reserved) throw new Refusal(400, `Bad Request: can't parse entities: Character '${reserved[0]}' is reserved and must be escaped with the preceding '\\'`);
  }

  private replyTarget(fields: Fields): number | undefined {
    const raw = fields.get('reply_parameters') ?? (fields.get('reply_to_message_id') ? JSON.stringify({ message_id: Number(fields.get('reply_to_message_id')) }) : undefined);
    if (raw === undefined) return undefined;
    let parsed: { message_id?: unknown };
    try {
      parsed = JSON.parse(raw) as { message_id?: unknown };
    } catch {
      throw new Refusal(400, "Bad Request: can't parse reply parameters JSON object");
    }
    const id = Number(parsed.message_id);
    if (!this.messages.some((m) => m.message_id === id)) throw new Refusal(400, 'Bad Request: message to be replied not found');
    return id;
  }

  private base(method: string, fields: Fields): Omit<FakeTelegramMessage, 'message_id'> {
    const parseMode = fields.get('parse_mode');
    return {
      chat_id: this.options.chat.id,
      method,
      disable_notification: fields.get('disable_notification') === 'true',
      ...(parseMode ? { parse_mode: parseMode } : {}),
    };
  }

  private sendMessage(fields: Fields): FakeTelegramMessage {
    const text = fields.get('text') ?? '';
    if (text.trim() === '') throw new Refusal(400, 'Bad Request: message text is empty');
    if ([...text].length > TEXT_LIMIT) throw new Refusal(400, 'Bad Request: message is too long');
    this.checkMarkup(text, fields.get('parse_mode'));
    const reply = this.replyTarget(fields);
    return this.store({ ...this.base('sendMessage', fields), text, ...(reply !== undefined ? { reply_to_message_id: reply } : {}) });
  }

  private checkCaption(caption: string | undefined, parseMode: string | undefined): void {
    if (caption === undefined) return;
    if ([...caption].length > CAPTION_LIMIT) throw new Refusal(400, 'Bad Request: message caption is too long');
    this.checkMarkup(caption, parseMode);
  }

  private fileOf(type: 'photo' | 'video' | 'animation', file: { bytes: Buffer; type: string } | undefined): FakeTelegramFile {
    if (!file) throw new Refusal(400, `Bad Request: there is no ${type} in the request`);
    const mime = sniffMime(file.bytes);
    if (type === 'photo') {
      if (!mime || !isImageType(mime)) throw new Refusal(400, 'Bad Request: IMAGE_PROCESS_FAILED');
      if (file.bytes.length > PHOTO_LIMIT) throw new Refusal(400, 'Bad Request: file is too big');
    } else {
      if (!mime || (type === 'video' ? !isVideoType(mime) : mime !== 'image/gif' && !isVideoType(mime))) throw new Refusal(400, `Bad Request: wrong file type for ${type}`);
      if (file.bytes.length > UPLOAD_LIMIT) throw new Refusal(413, 'Request Entity Too Large');
    }
    return { type, mime, size: file.bytes.length };
  }

  private sendFile(method: string, fields: Fields, files: Files): FakeTelegramMessage {
    const type = method === 'sendPhoto' ? 'photo' : method === 'sendVideo' ? 'video' : 'animation';
    const raw = fields.get(type);
    const part = raw?.startsWith('attach://') ? files.get(raw.slice('attach://'.length)) : files.get(type);
    const file = this.fileOf(type, part);
    const caption = fields.get('caption');
    this.checkCaption(caption, fields.get('parse_mode'));
    const reply = this.replyTarget(fields);
    return this.store({ ...this.base(method, fields), file, ...(caption ? { caption } : {}), ...(reply !== undefined ? { reply_to_message_id: reply } : {}) });
  }

  private sendAlbum(fields: Fields, files: Files): FakeTelegramMessage[] {
    let media: Array<{ type?: string; media?: string; caption?: string; parse_mode?: string }>;
    try {
      media = JSON.parse(fields.get('media') ?? '') as typeof media;
    } catch {
      throw new Refusal(400, "Bad Request: can't parse media JSON object");
    }
    if (!Array.isArray(media) || media.length < 2 || media.length > 10) throw new Refusal(400, 'Bad Request: wrong number of media in the group; must be 2-10');
    const reply = this.replyTarget(fields);
    const items = media.map((item) => {
      if (item.type !== 'photo' && item.type !== 'video') throw new Refusal(400, `Bad Request: unsupported media type "${item.type}" in the media group`);
      const name = item.media?.startsWith('attach://') ? item.media.slice('attach://'.length) : undefined;
      if (!name || !files.has(name)) throw new Refusal(400, 'Bad Request: wrong HTTP URL specified');
      this.checkCaption(item.caption, item.parse_mode);
      return { item, file: this.fileOf(item.type, files.get(name)) };
    });
    const group = String(this.nextGroupId++);
    return items.map(({ item, file }) =>
      this.store({
        ...this.base('sendMediaGroup', fields),
        ...(item.parse_mode ? { parse_mode: item.parse_mode } : {}),
        file,
        media_group_id: group,
        ...(item.caption ? { caption: item.caption } : {}),
        ...(reply !== undefined ? { reply_to_message_id: reply } : {}),
      }),
    );
  }

  private store(message: Omit<FakeTelegramMessage, 'message_id'>): FakeTelegramMessage {
    const stored = { message_id: this.nextMessageId++, ...message };
    this.messages.push(stored);
    return stored;
  }

  private view(message: FakeTelegramMessage) {
    const { chat } = this.options;
    return {
      message_id: message.message_id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chat.id, type: chat.type, ...(chat.title ? { title: chat.title } : {}), ...(chat.username ? { username: chat.username } : {}) },
      ...(message.text !== undefined ? { text: message.text } : {}),
      ...(message.caption !== undefined ? { caption: message.caption } : {}),
      ...(message.media_group_id ? { media_group_id: message.media_group_id } : {}),
      ...(message.reply_to_message_id !== undefined ? { reply_to_message: { message_id: message.reply_to_message_id, chat: { id: chat.id, type: chat.type } } } : {}),
    };
  }
}
