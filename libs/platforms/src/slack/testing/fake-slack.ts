import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { LocalPlatformServer, ScriptedFailures } from '../../testing/fake-server';

/**
 * A Slack Web API on 127.0.0.1 for tests: the methods the adapter uses under `/api/`,
 * answering as Slack does (HTTP 200 with `{ok: false, error}` for refusals, 429 with
 * `Retry-After` when rate limited) and refusing what Slack refuses: missing or revoked
 * tokens, missing scopes, unknown or archived channels, a bot that is not a member, empty
 * or over-long text, an unknown `thread_ts`, alt text over 1,000 characters, completing
 * files that were never uploaded. Files are shared asynchronously: `files.info` shows the
 * share only after a poll or more. Keeps every message and file for assertions.
 */

export interface FakeSlackChannel {
  id: string;
  name: string;
  is_private?: boolean;
  is_member?: boolean;
  is_archived?: boolean;
}

export interface FakeSlackOptions {
  token?: string;
  /** The token was revoked (the app uninstalled): every call answers `token_revoked`. */
  revoked?: boolean;
  scopes?: string[];
  channels?: FakeSlackChannel[];
  /** `files.info` answers without the share this many times after `files.completeUploadExternal`. */
  sharePolls?: number;
}

export interface FakeSlackFile {
  id: string;
  name: string;
  title: string;
  alt_txt?: string;
  length: number;
  mimetype?: string;
  bytes?: Buffer;
  pendingPolls: number;
  share?: { channel: string; ts: string; thread_ts?: string };
}

export interface FakeSlackMessage {
  ts: string;
  channel: string;
  text: string;
  thread_ts?: string;
  user: string;
  bot_id: string;
  files: string[];
}

export interface FakeSlackFailure {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Close the connection without answering: `before` handling the call, or `after` it took effect. */
  drop?: 'before' | 'after';
}

const TEXT_LIMIT = 40_000;
const ALT_LIMIT = 1_000;
const BOT_USER = 'U0POSTLOOM1';
const BOT_ID = 'B0POSTLOOM1';
const WORKSPACE_URL = 'https://postloom-test.slack.com';
const SCOPES: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.getPermalink': '',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
  'files.info': 'files:read',
  'conversations.history': 'channels:history',
  'conversations.replies': 'channels:history',
  'auth.test': '',
};

class Refusal {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {}
}

type Args = Record<string, unknown>;

export class FakeSlack extends LocalPlatformServer {
  readonly messages: FakeSlackMessage[] = [];
  readonly files = new Map<string, FakeSlackFile>();
  /** Every request, in order: `METHOD /path`. */
  readonly requests: string[] = [];
  private readonly failures = new ScriptedFailures<FakeSlackFailure>();
  private readonly uploadTargets = new Map<string, string>();
  private tick = 0;
  private options: Required<FakeSlackOptions>;

  private constructor(options: FakeSlackOptions) {
    super('application/json; charset=utf-8');
    this.options = {
      token: 'xoxb-1111-2222-fakeSlackBotToken',
      revoked: false,
      scopes: ['chat:write', 'files:write', 'files:read', 'channels:history'],
      channels: [
        { id: 'C0POSTLOOM1', name: 'announcements', is_member: true },
        { id: 'C0OUTSIDER1', name: 'random', is_member: false },
        { id: 'C0ARCHIVED1', name: 'old-news', is_member: true, is_archived: true },
      ],
      sharePolls: 1,
      ...options,
    };
  }

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(options);
    await fake.listen();
    return fake;
  }

  /** Base of the Web API, as an account's `base_url`. */
  get apiUrl(): string {
    return `${this.url}/api`;
  }

  get token(): string {
    return this.options.token;
  }

  configure(options: FakeSlackOptions): void {
    this.options = { ...this.options, ...options };
  }

  /** The next call of `method` (`"chat.postMessage"`) gets this answer instead. */
  failNext(method: string, failure: FakeSlackFailure): void {
    this.failures.add(method, failure);
  }

  callsOf(method: string): number {
    return this.requests.filter((r) => r.endsWith(`/api/${method}`)).length;
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await this.readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => this.writeJson(res, status, payload, headers);

    const upload = /^\/upload\/v1\/([A-Za-z0-9]+)$/.exec(url.pathname);
    if (upload && req.method === 'POST') return this.receiveUpload(upload[1], body, req.headers['content-type'], res);

    const method = url.pathname.startsWith('/api/') ? url.pathname.slice('/api/'.length) : '';
    const failure = this.failures.take(method);
    if (failure?.drop === 'before') return this.hangUp(req);
    if (failure && failure.drop === undefined) {
      const status = failure.status ?? 500;
      return send(status, failure.body ?? { ok: false, error: status === 429 ? 'ratelimited' : 'internal_error' }, failure.headers);
    }
    if (!(method in SCOPES)) return send(404, { ok: false, error: 'unknown_method' });
    try {
      const args = this.argsOf(req, body, url);
      this.authorize(req, args, method);
      const answer = this.dispatch(method, args);
      if (failure?.drop === 'after') return this.hangUp(req);
      send(200, { ok: true, ...answer });
    } catch (err) {
      if (err instanceof Refusal) return send(200, { ok: false, error: err.error, ...err.extra });
      send(500, { ok: false, error: 'internal_error' });
    }
  }

  private argsOf(req: http.IncomingMessage, body: Buffer, url: URL): Args {
    const args: Args = Object.fromEntries(url.searchParams);
    const type = req.headers['content-type'] ?? '';
    if (body.length === 0) return args;
    if (type.includes('application/json')) {
      try {
        return { ...args, ...(JSON.parse(body.toString('utf8')) as Args) };
      } catch {
        throw new Refusal('invalid_json');
      }
    }
    if (type.includes('application/x-www-form-urlencoded')) return { ...args, ...Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
    throw new Refusal('invalid_form_data');
  }

  private authorize(req: http.IncomingMessage, args: Args, method: string): void {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : typeof args.token === 'string' ? args.token : undefined;
    if (!token) throw new Refusal('not_authed');
    if (token !== this.options.token) throw new Refusal('invalid_auth');
    if (this.options.revoked) throw new Refusal('token_revoked');
    const needed = SCOPES[method];
    if (needed && !this.options.scopes.includes(needed)) throw new Refusal('missing_scope', { needed, provided: this.options.scopes.join(',') });
  }

  private dispatch(method: string, args: Args): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { url: `${WORKSPACE_URL}/`, team: 'Postloom Test', user: 'postloom', team_id: 'T0POSTLOOM1', user_id: BOT_USER, bot_id: BOT_ID };
      case 'chat.postMessage':
        return this.postMessage(args);
      case 'files.getUploadURLExternal':
        return this.uploadUrl(args);
      case 'files.completeUploadExternal':
        return this.completeUpload(args);
      case 'files.info':
        return this.fileInfo(args);
      case 'chat.getPermalink':
        return this.permalink(args);
      case 'conversations.history':
        return this.history(args);
      default:
        return this.replies(args);
    }
  }

  private nextTs(): string {
    this.tick++;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tick).padStart(6, '0')}`;
  }

  private channel(value: unknown, byNameToo: boolean): FakeSlackChannel {
    const wanted = typeof value === 'string' ? value.replace(/^#/, '') : '';
    const found = this.options.channels.find((c) => c.id === wanted || (byNameToo && c.name === wanted));
    if (!found) throw new Refusal('channel_not_found');
    return found;
  }

  private writable(channel: FakeSlackChannel): void {
    if (channel.is_archived) throw new Refusal('is_archived');
    if (!channel.is_member) throw new Refusal('not_in_channel');
  }

  private thread(channel: FakeSlackChannel, value: unknown): string | undefined {
    if (value === undefined || value === '') return undefined;
    const parent = this.messages.find((m) => m.channel === channel.id && m.ts === value && m.thread_ts === undefined);
    if (!parent) throw new Refusal('thread_not_found');
    return parent.ts;
  }

  private checkText(text: string): void {
    if ([...text].length > TEXT_LIMIT) throw new Refusal('msg_too_long');
  }

  private store(message: Omit<FakeSlackMessage, 'ts' | 'user' | 'bot_id'>): FakeSlackMessage {
    const stored: FakeSlackMessage = { ts: this.nextTs(), user: BOT_USER, bot_id: BOT_ID, ...message };
    this.messages.push(stored);
    return stored;
  }

  private view(message: FakeSlackMessage) {
    return {
      type: 'message',
      ts: message.ts,
      text: message.text,
      user: message.user,
      bot_id: message.bot_id,
      ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
      ...(message.files.length ? { files: message.files.map((id) => ({ id, name: this.files.get(id)?.name })) } : {}),
    };
  }

  private postMessage(args: Args): Record<string, unknown> {
    const channel = this.channel(args.channel, true);
    this.writable(channel);
    const text = typeof args.text === 'string' ? args.text : '';
    if (text.trim() === '' && args.blocks === undefined && args.attachments === undefined) throw new Refusal('no_text');
    this.checkText(text);
    const threadTs = this.thread(channel, args.thread_ts);
    const message = this.store({ channel: channel.id, text, ...(threadTs ? { thread_ts: threadTs } : {}), files: [] });
    return { channel: channel.id, ts: message.ts, message: this.view(message) };
  }

  private uploadUrl(args: Args): Record<string, unknown> {
    const filename = typeof args.filename === 'string' ? args.filename : '';
    const length = Number(args.length);
    if (filename === '' || !Number.isInteger(length) || length <= 0) throw new Refusal('missing_argument');
    const alt = typeof args.alt_txt === 'string' ? args.alt_txt : undefined;
    if (alt !== undefined && [...alt].length > ALT_LIMIT) throw new Refusal('alt_txt_too_large');
    const id = `F0${randomBytes(5).toString('hex').toUpperCase()}`;
    const target = randomBytes(8).toString('hex');
    this.files.set(id, { id, name: filename, title: filename, length, pendingPolls: this.options.sharePolls, ...(alt !== undefined ? { alt_txt: alt } : {}) });
    this.uploadTargets.set(target, id);
    return { upload_url: `${this.url}/upload/v1/${target}`, file_id: id };
  }

  private receiveUpload(target: string, body: Buffer, type: string | undefined, res: http.ServerResponse): void {
    const file = this.files.get(this.uploadTargets.get(target) ?? '');
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    if (body.length !== file.length) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`length mismatch: expected ${file.length} bytes, got ${body.length}`);
      return;
    }
    file.bytes = body;
    file.mimetype = type;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${body.length}`);
  }

  private completeUpload(args: Args): Record<string, unknown> {
    let list: unknown = args.files;
    if (typeof list === 'string') {
      try {
        list = JSON.parse(list);
      } catch {
        throw new Refusal('invalid_arguments');
      }
    }
    if (!Array.isArray(list) || list.length === 0) throw new Refusal('invalid_arguments');
    const files = list.map((entry: { id?: unknown; title?: unknown }) => {
      const file = this.files.get(String(entry?.id));
      if (!file || !file.bytes || file.share) throw new Refusal('file_not_found');
      if (typeof entry.title === 'string' && entry.title !== '') file.title = entry.title;
      return file;
    });
    if (args.channel_id === undefined) return { files: files.map((f) => ({ id: f.id, title: f.title })) };
    const channel = this.channel(args.channel_id, false);
    this.writable(channel);
    const text = typeof args.initial_comment === 'string' ? args.initial_comment : '';
    this.checkText(text);
    const threadTs = this.thread(channel, args.thread_ts);
    const message = this.store({ channel: channel.id, text, ...(threadTs ? { thread_ts: threadTs } : {}), files: files.map((f) => f.id) });
    for (const file of files) file.share = { channel: channel.id, ts: message.ts, ...(threadTs ? { thread_ts: threadTs } : {}) };
    return { files: files.map((f) => ({ id: f.id, title: f.title })) };
  }

  private fileInfo(args: Args): Record<string, unknown> {
    const file = this.files.get(String(args.file));
    if (!file) throw new Refusal('file_not_found');
    let shares: Record<string, unknown> | undefined;
    if (file.share) {
      if (file.pendingPolls > 0) file.pendingPolls--;
      else {
        const visibility = this.options.channels.find((c) => c.id === file.share!.channel)?.is_private ? 'private' : 'public';
        shares = { [visibility]: { [file.share.channel]: [{ ts: file.share.ts, ...(file.share.thread_ts ? { thread_ts: file.share.thread_ts } : {}), reply_count: 0 }] } };
      }
    }
    return { file: { id: file.id, name: file.name, title: file.title, mimetype: file.mimetype, size: file.length, ...(file.alt_txt ? { alt_txt: file.alt_txt } : {}), ...(shares ? { shares } : {}) } };
  }

  private permalink(args: Args): Record<string, unknown> {
    const channel = this.channel(args.channel, false);
    const message = this.messages.find((m) => m.channel === channel.id && m.ts === args.message_ts);
    if (!message) throw new Refusal('message_not_found');
    const base = `${WORKSPACE_URL}/archives/${channel.id}/p${message.ts.replace('.', '')}`;
    return { channel: channel.id, permalink: message.thread_ts ? `${base}?thread_ts=${message.thread_ts}&cid=${channel.id}` : base };
  }

  private history(args: Args): Record<string, unknown> {
    const channel = this.channel(args.channel, false);
    if (!channel.is_member && channel.is_private) throw new Refusal('not_in_channel');
    const oldest = Number(args.oldest ?? 0);
    const messages = this.messages
      .filter((m) => m.channel === channel.id && m.thread_ts === undefined && Number(m.ts) > oldest)
      .reverse()
      .slice(0, Number(args.limit ?? 100))
      .map((m) => this.view(m));
    return { messages, has_more: false };
  }

  private replies(args: Args): Record<string, unknown> {
    const channel = this.channel(args.channel, false);
    const parent = this.messages.find((m) => m.channel === channel.id && m.ts === args.ts && m.thread_ts === undefined);
    if (!parent) throw new Refusal('thread_not_found');
    const oldest = Number(args.oldest ?? 0);
    const replies = this.messages.filter((m) => m.thread_ts === parent.ts && Number(m.ts) > oldest);
    return { messages: [parent, ...replies].map((m) => this.view(m)), has_more: false };
  }
}
