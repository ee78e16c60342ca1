import * as http from 'node:http';
import { LocalPlatformServer, ScriptedFailures } from '../../testing/fake-server';

/**
 * Discord's HTTP API (v10) on 127.0.0.1 for tests: webhooks (get, execute with `wait`,
 * `thread_id`, `thread_name`) and the bot endpoints the adapter uses (channels, messages,
 * threads, current user). It answers as Discord does and refuses what Discord refuses:
 * unknown webhooks (404 10015), wrong webhook or bot tokens (401), content over 2,000
 * characters and bad attachment metadata (400 50035 Invalid Form Body), empty messages
 * (50006), thread names outside forums (220003), forum posts without one (220001),
 * replies to unknown messages, a second thread from the same message (160004), bots
 * without permission (403 50013), files over the size limit (413 40005). Keeps every
 * message for assertions.
 */

export type FakeDiscordChannelKind = 'text' | 'forum';

export interface FakeDiscordOptions {
  guildId?: string;
  /** The channel the webhook posts to, and the bot's channel. */
  channelKind?: FakeDiscordChannelKind;
  webhookId?: string;
  webhookToken?: string;
  botToken?: string;
  /** The bot lacks Send Messages in the channel. */
  botCanPost?: boolean;
  maxFileBytes?: number;
}

export interface FakeDiscordAttachment {
  id: string;
  filename: string;
  description?: string;
  content_type: string;
  size: number;
}

export interface FakeDiscordMessage {
  id: string;
  channel_id: string;
  content: string;
  author: { id: string; username: string; bot: boolean };
  webhook_id?: string;
  attachments: FakeDiscordAttachment[];
  allowed_mentions?: unknown;
  message_reference?: { message_id: string; channel_id: string };
}

export interface FakeDiscordChannel {
  id: string;
  type: number;
  guild_id: string;
  name: string;
  parent_id?: string;
}

export interface FakeDiscordFailure {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Handle the request (it takes effect) but close the connection instead of answering. */
  dropAnswer?: boolean;
}

const CHANNEL_TYPES = { text: 0, forum: 15, publicThread: 11 } as const;
const CONTENT_LIMIT = 2000;
const ATTACHMENT_LIMIT = 10;
const DESCRIPTION_LIMIT = 1024;
const EPOCH = 1_420_070_400_000n;

class Refusal {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly message: string,
    readonly errors?: unknown,
  ) {}
}

function formError(path: string[], code: string, message: string): Refusal {
  const errors = path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), { _errors: [{ code, message }] });
  return new Refusal(400, 50035, 'Invalid Form Body', errors);
}

interface Upload {
  bytes: Buffer;
  type: string;
  filename: string;
}

export class FakeDiscord extends LocalPlatformServer {
  readonly messages: FakeDiscordMessage[] = [];
  readonly channels = new Map<string, FakeDiscordChannel>();
  /** Every request, in order: `METHOD /path` with secrets as sent. */
  readonly requests: string[] = [];
  readonly channelId: string;
  readonly botUserId = '1100000000000000001';
  private readonly failures = new ScriptedFailures<FakeDiscordFailure>();
  private readonly threadStarters = new Set<string>();
  private sequence = 0n;
  private webhookDeleted = false;
  private options: Required<FakeDiscordOptions>;

  private constructor(options: FakeDiscordOptions) {
    super('application/json');
    this.options = {
      guildId: '900000000000000001',
      channelKind: 'text',
      webhookId: '1200000000000000001',
      webhookToken: 'FakeWebhookSecret_abcdefghijklmnopqrstuvwxyz-0123456789',
      botToken: 'MTEwMDAwMDAwMDAwMDAwMDAwMQ.fake.botTokenSecret',
      botCanPost: true,
      maxFileBytes: 10 * 1024 * 1024,
      ...options,
    };
    this.channelId = this.snowflake();
    this.channels.set(this.channelId, { id: this.channelId, type: CHANNEL_TYPES[this.options.channelKind], guild_id: this.options.guildId, name: 'announcements' });
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    await fake.listen();
    return fake;
  }

  /** As Discord shows it; the adapter posts to the account's `base_url` host instead. */
  get webhookUrl(): string {
    return `https://discord.com/api/webhooks/${this.options.webhookId}/${this.options.webhookToken}`;
  }

  get webhookToken(): string {
    return this.options.webhookToken;
  }

  get botToken(): string {
    return this.options.botToken;
  }

  get guildId(): string {
    return this.options.guildId;
  }

  configure(options: Pick<FakeDiscordOptions, 'botCanPost'>): void {
    this.options = { ...this.options, ...options };
  }

  /** The next request whose `METHOD /path` matches gets this answer instead. */
  failNext(route: RegExp, failure: FakeDiscordFailure): void {
    this.failures.add(route, failure);
  }

  /** Deletes the webhook: it answers 404 Unknown Webhook from now on. */
  deleteWebhook(): void {
    this.webhookDeleted = true;
  }

  private snowflake(): string {
    this.sequence++;
    return String(((BigInt(Date.now()) - EPOCH) << 22n) | (this.sequence & 0xfffn));
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await this.readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    const route = `${req.method} ${url.pathname}`;
    this.requests.push(route);
    const failure = this.failures.take(route);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      if (failure?.dropAnswer) this.hangUp(req);
      else if (status === 204) res.writeHead(204).end();
      else this.writeJson(res, status, payload, headers);
    };
    if (failure && !failure.dropAnswer) {
      const status = failure.status ?? 500;
      return send(status, failure.body ?? { message: http.STATUS_CODES[status] ?? 'Error', code: 0 }, failure.headers);
    }
    try {
      const path = url.pathname.replace(/^\/api\/v10/, '');
      if (path === url.pathname) throw new Refusal(404, 0, '404: Not Found');
      const webhook = /^\/webhooks\/(\d+)\/([^/]+)$/.exec(path);
      if (webhook) return await this.webhook(req, webhook[1], webhook[2], url, body, send);
      this.authorizeBot(req);
      if (route.startsWith('GET ') && path === '/users/@me') return send(200, { id: this.botUserId, username: 'postloom', bot: true });
      const channel = /^\/channels\/(\d+)$/.exec(path);
      if (channel && req.method === 'GET') return send(200, this.channel(channel[1]));
      const messages = /^\/channels\/(\d+)\/messages$/.exec(path);
      if (messages && req.method === 'GET') return send(200, this.list(messages[1], url));
      if (messages && req.method === 'POST') return send(200, await this.botMessage(messages[1], req, body));
      const forumPost = /^\/channels\/(\d+)\/threads$/.exec(path);
      if (forumPost && req.method === 'POST') return send(201, await this.forumPost(forumPost[1], req, body));
      const fromMessage = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(path);
      if (fromMessage && req.method === 'POST') return send(201, this.threadFromMessage(fromMessage[1], fromMessage[2], body));
      throw new Refusal(404, 0, '404: Not Found');
    } catch (err) {
      if (err instanceof Refusal) return send(err.status, { message: err.message, code: err.code, ...(err.errors ? { errors: err.errors } : {}) });
      send(500, { message: '500: Internal Server Error', code: 0 });
    }
  }

  private authorizeBot(req: http.IncomingMessage): void {
    if (req.headers.authorization !== `Bot ${this.options.botToken}`) throw new Refusal(401, 0, '401: Unauthorized');
  }

  private channel(id: string): FakeDiscordChannel {
    const channel = this.channels.get(id);
    if (!channel) throw new Refusal(404, 10003, 'Unknown Channel');
    return channel;
  }

  private async webhook(req: http.IncomingMessage, id: string, token: string, url: URL, body: Buffer, send: (status: number, payload: unknown) => void): Promise<void> {
    if (id !== this.options.webhookId || this.webhookDeleted) throw new Refusal(404, 10015, 'Unknown Webhook');
    if (token !== this.options.webhookToken) throw new Refusal(401, 50027, 'Invalid Webhook Token');
    const home = this.channel(this.channelId);
    if (req.method === 'GET') {
      return send(200, { id, type: 1, guild_id: home.guild_id, channel_id: home.id, name: 'Postloom', avatar: null, application_id: null, token, url: this.webhookUrl });
    }
    if (req.method !== 'POST') throw new Refusal(405, 0, '405: Method Not Allowed');
    const { payload, uploads } = await this.parse(req, body);
    const threadId = url.searchParams.get('thread_id');
    const threadName = typeof payload.thread_name === 'string' ? payload.thread_name : undefined;
    if (threadId && threadName) throw new Refusal(400, 220002, 'Webhooks posted to forum channels cannot have both a thread_name and thread_id');
    let target: FakeDiscordChannel;
    let startsThread = false;
    if (threadId) {
      target = this.channel(threadId);
      if (target.parent_id !== home.id) throw new Refusal(404, 10003, 'Unknown Channel');
    } else if (threadName !== undefined) {
      if (home.type !== CHANNEL_TYPES.forum) throw new Refusal(400, 220003, 'Webhooks can only create threads in forum channels');
      if (threadName.trim() === '' || threadName.length > 100) throw formError(['thread_name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
      target = { id: '', type: CHANNEL_TYPES.publicThread, guild_id: home.guild_id, name: threadName, parent_id: home.id };
      startsThread = true;
    } else {
      if (home.type === CHANNEL_TYPES.forum) throw new Refusal(400, 220001, 'Webhooks posted to forum channels must have a thread_name or thread_id');
      target = home;
    }
    const draft = this.draft(payload, uploads);
    if (startsThread) {
      // A forum post's thread takes its starter message's id.
      const id = this.snowflake();
      target.id = id;
      this.channels.set(id, target);
      draft.id = id;
    }
    const message = this.store(draft, target.id, { id: this.options.webhookId, username: 'Postloom', bot: true }, this.options.webhookId);
    if (url.searchParams.get('wait') !== 'true') return send(204, undefined);
    send(200, this.view(message));
  }

  private async botMessage(channelId: string, req: http.IncomingMessage, body: Buffer): Promise<unknown> {
    const channel = this.channel(channelId);
    if (!this.options.botCanPost) throw new Refusal(403, 50013, 'Missing Permissions');
    if (channel.type === CHANNEL_TYPES.forum) throw new Refusal(400, 50008, 'Cannot send messages in a non-text channel');
    const { payload, uploads } = await this.parse(req, body);
    const draft = this.draft(payload, uploads);
    return this.view(this.store(draft, channel.id, { id: this.botUserId, username: 'postloom', bot: true }));
  }

  private async forumPost(channelId: string, req: http.IncomingMessage, body: Buffer): Promise<unknown> {
    const forum = this.channel(channelId);
    if (!this.options.botCanPost) throw new Refusal(403, 50013, 'Missing Permissions');
    if (forum.type !== CHANNEL_TYPES.forum) throw new Refusal(400, 50024, 'Cannot execute action on this channel type');
    const { payload, uploads } = await this.parse(req, body);
    const name = typeof payload.name === 'string' ? payload.name : '';
    if (name.trim() === '' || name.length > 100) throw formError(['name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    const starter = (payload.message ?? {}) as Record<string, unknown>;
    const draft = this.draft(starter, uploads, ['message']);
    const id = this.snowflake();
    const thread: FakeDiscordChannel = { id, type: CHANNEL_TYPES.publicThread, guild_id: forum.guild_id, name, parent_id: forum.id };
    this.channels.set(id, thread);
    draft.id = id;
    const message = this.store(draft, id, { id: this.botUserId, username: 'postloom', bot: true });
    return { ...thread, message: this.view(message) };
  }

  private threadFromMessage(channelId: string, messageId: string, body: Buffer): unknown {
    const channel = this.channel(channelId);
    if (!this.messages.some((m) => m.id === messageId && m.channel_id === channel.id)) throw new Refusal(404, 10008, 'Unknown Message');
    if (this.threadStarters.has(messageId)) throw new Refusal(400, 160004, 'A thread has already been created for this message');
    const { name } = JSON.parse(body.toString('utf8') || '{}') as { name?: string };
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100) throw formError(['name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    const thread: FakeDiscordChannel = { id: messageId, type: CHANNEL_TYPES.publicThread, guild_id: channel.guild_id, name, parent_id: channel.id };
    this.channels.set(messageId, thread);
    this.threadStarters.add(messageId);
    return thread;
  }

  private list(channelId: string, url: URL): unknown[] {
    const channel = this.channel(channelId);
    const after = BigInt(url.searchParams.get('after') ?? '0');
    const limit = Number(url.searchParams.get('limit') ?? '50');
    return this.messages
      .filter((m) => m.channel_id === channel.id && BigInt(m.id) > after)
      .reverse()
      .slice(0, limit)
      .map((m) => this.view(m));
  }

  private async parse(req: http.IncomingMessage, body: Buffer): Promise<{ payload: Record<string, unknown>; uploads: Map<number, Upload> }> {
    const type = req.headers['content-type'] ?? '';
    const uploads = new Map<number, Upload>();
    if (type.includes('multipart/form-data')) {
      const form = await this.formOf(body, type);
      let payload: Record<string, unknown> = {};
      for (const [key, value] of form.entries()) {
        if (key === 'payload_json' && typeof value === 'string') payload = JSON.parse(value) as Record<string, unknown>;
        const file = /^files\[(\d+)\]$/.exec(key);
        if (file && typeof value !== 'string') {
          const bytes = Buffer.from(await value.arrayBuffer());
          if (bytes.length > this.options.maxFileBytes) throw new Refusal(413, 40005, 'Request entity too large');
          uploads.set(Number(file[1]), { bytes, type: value.type, filename: value.name });
        }
      }
      return { payload, uploads };
    }
    if (!type.includes('application/json')) throw new Refusal(400, 50109, 'The request body contains invalid JSON.');
    try {
      return { payload: JSON.parse(body.toString('utf8')) as Record<string, unknown>, uploads };
    } catch {
      throw new Refusal(400, 50109, 'The request body contains invalid JSON.');
    }
  }

  /** Validates a message body the way Create Message / Execute Webhook do. */
  private draft(payload: Record<string, unknown>, uploads: Map<number, Upload>, at: string[] = []): Omit<FakeDiscordMessage, 'channel_id' | 'author'> {
    const content = typeof payload.content === 'string' ? payload.content : '';
    if ([...content].length > CONTENT_LIMIT) throw formError([...at, 'content'], 'BASE_TYPE_MAX_LENGTH', `Must be ${CONTENT_LIMIT} or fewer in length.`);
    const metadata = Array.isArray(payload.attachments) ? (payload.attachments as Array<{ id?: unknown; filename?: unknown; description?: unknown }>) : [];
    if (uploads.size > ATTACHMENT_LIMIT) throw formError(['files'], 'BASE_TYPE_MAX_LENGTH', `Must be ${ATTACHMENT_LIMIT} or fewer in length.`);
    const attachments = [...uploads.entries()].map(([index, upload]) => {
      const meta = metadata.find((m) => Number(m.id) === index);
      const description = typeof meta?.description === 'string' ? meta.description : undefined;
      if (description !== undefined && [...description].length > DESCRIPTION_LIMIT) throw formError([...at, 'attachments', String(index), 'description'], 'BASE_TYPE_MAX_LENGTH', `Must be ${DESCRIPTION_LIMIT} or fewer in length.`);
      return {
        id: this.snowflake(),
        filename: typeof meta?.filename === 'string' ? meta.filename : upload.filename,
        ...(description !== undefined ? { description } : {}),
        content_type: upload.type,
        size: upload.bytes.length,
      };
    });
    for (const meta of metadata) if (!uploads.has(Number(meta.id))) throw formError([...at, 'attachments', String(meta.id)], 'ATTACHMENT_NOT_FOUND', 'Attachment data not found');
    if (content.trim() === '' && attachments.length === 0) throw new Refusal(400, 50006, 'Cannot send an empty message');
    const reference = payload.message_reference as { message_id?: unknown; fail_if_not_exists?: unknown } | undefined;
    let message_reference: FakeDiscordMessage['message_reference'];
    if (reference?.message_id !== undefined) {
      const target = this.messages.find((m) => m.id === String(reference.message_id));
      if (target) message_reference = { message_id: target.id, channel_id: target.channel_id };
      else if (reference.fail_if_not_exists !== false) throw formError([...at, 'message_reference'], 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
    }
    return {
      id: this.snowflake(),
      content,
      attachments,
      ...(payload.allowed_mentions !== undefined ? { allowed_mentions: payload.allowed_mentions } : {}),
      ...(message_reference ? { message_reference } : {}),
    };
  }

  private store(draft: Omit<FakeDiscordMessage, 'channel_id' | 'author'>, channelId: string, author: FakeDiscordMessage['author'], webhookId?: string): FakeDiscordMessage {
    const message: FakeDiscordMessage = { ...draft, channel_id: channelId, author, ...(webhookId ? { webhook_id: webhookId } : {}) };
    this.messages.push(message);
    return message;
  }

  private view(message: FakeDiscordMessage) {
    return {
      id: message.id,
      type: message.message_reference ? 19 : 0,
      channel_id: message.channel_id,
      content: message.content,
      author: message.author,
      attachments: message.attachments.map((a) => ({ ...a, url: `${this.url}/attachments/${message.channel_id}/${a.id}/${a.filename}` })),
      timestamp: new Date().toISOString(),
      ...(message.webhook_id ? { webhook_id: message.webhook_id } : {}),
      ...(message.message_reference ? { message_reference: { ...message.message_reference, guild_id: this.options.guildId } } : {}),
    };
  }
}
