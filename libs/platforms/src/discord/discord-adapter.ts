import { JsonResponse, requestJson } from '../http/request-json';
import { fitImage } from '../media/fit-image';
import { MediaAttachment, PlatformAdapter, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { SegmentAttempts } from '../telegram/segment-attempts';
import { DISCORD_CODES, discordFailure } from './errors';
import {
  BotConnection,
  botUrl,
  connectionOf,
  DiscordConnection,
  DiscordFile,
  messageBody,
  messagePayload,
  redactSecret,
  secretOf,
  segmentProblems,
  segmentRefOf,
  snowflakeAt,
  threadNameOf,
  WebhookConnection,
  webhookUrl,
} from './requests';
import { DISCORD_MAX_FILE_BYTES, DISCORD_NAME, DISCORD_ORIGIN, DISCORD_RULES, DISCORD_THREAD_ONLY_CHANNEL_TYPES } from './rules';

export interface DiscordAdapterOptions {
  /** Discord's origin for accounts without `base_url`; default `https://discord.com`. */
  baseUrl?: string;
  /** Per request; default 30 s. Requests carrying files get `uploadTimeoutMs` (default 2 minutes). */
  timeoutMs?: number;
  uploadTimeoutMs?: number;
  now?: () => number;
}

interface DiscordMessage {
  id: string;
  channel_id: string;
  content?: string;
  author?: { id?: string };
  message_reference?: { message_id?: string };
}

interface WebhookInfo {
  guildId?: string;
  channelId?: string;
  /** Learned when Discord refuses a thread name: the webhook's channel is not a forum. */
  forum?: boolean;
}

interface ChannelInfo {
  guildId?: string;
  type?: number;
}

interface Call {
  method?: 'GET' | 'POST';
  body?: { json: Record<string, unknown> } | { form: FormData };
  signal?: AbortSignal;
  /** The request posts something; a lost answer is then an unknown outcome rather than a retry. */
  posts?: boolean;
}

// A duplicate posted before a lost answer would be this old at most, relative to the publish request.
const LOOKUP_WINDOW_MS = 5 * 60_000;

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp', 'video/mp4': 'mp4', 'video/quicktime': 'mov', 'video/webm': 'webm' };

/** Downloads and shapes the files before any request, so a bad file costs no message. */
async function prepareFiles(media: readonly MediaAttachment[]): Promise<DiscordFile[]> {
  const files: DiscordFile[] = [];
  for (const [i, attachment] of media.entries()) {
    const loaded = await attachment.load();
    let { bytes, mime } = loaded;
    if (attachment.kind === 'image') ({ bytes, mime } = await fitImage(bytes, mime, DISCORD_MAX_FILE_BYTES));
    else if (bytes.length > DISCORD_MAX_FILE_BYTES) throw new PlatformError('rejected', `${DISCORD_NAME} takes files up to ${DISCORD_MAX_FILE_BYTES} bytes; video ${i + 1} has ${bytes.length}`);
    files.push({ bytes, mime, filename: `${attachment.kind}-${i + 1}.${EXTENSIONS[mime] ?? 'bin'}`, ...(attachment.alt_text ? { description: attachment.alt_text } : {}) });
  }
  return files;
}

function definite(err: unknown, code: number): boolean {
  return err instanceof PlatformError && err.details.platformCode === String(code);
}

/**
 * Discord through a webhook (sequential messages, or a forum post when `thread_name` is
 * set and the channel is a forum) or a bot (each segment replies to the previous one, or
 * with `thread_name` the replies go into a thread started from the first message).
 */
export class DiscordAdapter implements PlatformAdapter {
  readonly platform = 'discord' as const;
  readonly rules = DISCORD_RULES;
  private readonly attempts = new SegmentAttempts();
  private readonly webhooks = new Map<string, WebhookInfo>();
  private readonly channels = new Map<string, ChannelInfo>();
  private readonly botUsers = new Map<string, string>();

  constructor(private readonly options: DiscordAdapterOptions = {}) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  check(request: Pick<SegmentRequest, 'text' | 'media'>): string[] {
    return segmentProblems(request);
  }

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    const problems = segmentProblems(request);
    if (problems.length > 0) throw new PlatformError('rejected', `${DISCORD_NAME} would refuse this post: ${problems.join('; ')}`);
    const connection = connectionOf(request.account, this.options.baseUrl ?? DISCORD_ORIGIN);
    const known = this.attempts.recall(request.idempotencyKey);
    if (known?.state === 'published') return known.ref;
    const files = await prepareFiles(request.media);
    const ref = connection.kind === 'webhook' ? await this.viaWebhook(connection, request, files) : await this.viaBot(connection, request, files);
    return this.attempts.published(request.idempotencyKey, ref);
  }

  /**
   * A bot reads the channel (or thread) for a message of its own with the segment's text;
   * a webhook cannot read anything, so only this process's memory of the write can tell.
   */
  async findPublished(request: SegmentRequest): Promise<SegmentRef | null> {
    const known = this.attempts.recall(request.idempotencyKey);
    if (known?.state === 'published') return known.ref;
    if (known?.state === 'not_published') return null;
    const connection = connectionOf(request.account, this.options.baseUrl ?? DISCORD_ORIGIN);
    if (connection.kind === 'webhook') {
      throw new PlatformError('unknown_outcome', `${DISCORD_NAME} webhooks cannot read the channel, so whether segment ${request.index + 1} was posted cannot be checked; look in the channel`);
    }
    try {
      return await this.lookUp(connection, request);
    } catch (err) {
      throw new PlatformError('unknown_outcome', `${DISCORD_NAME}: whether segment ${request.index + 1} was posted cannot be checked (${err instanceof Error ? err.message : String(err)}); look in the channel`);
    }
  }

  private async viaWebhook(connection: WebhookConnection, request: SegmentRequest, files: readonly DiscordFile[]): Promise<SegmentRef> {
    const info = await this.webhookInfo(connection, request.signal);
    const threadName = request.index === 0 ? threadNameOf(request.settings) : undefined;
    const threadId = request.index > 0 ? request.root?.ref?.thread_id : undefined;
    // https://discord.com/developers/docs/resources/webhook#execute-webhook
    const execute = (withThreadName: boolean) =>
      this.call<DiscordMessage>(connection, webhookUrl(connection, { wait: 'true', ...(threadId ? { thread_id: threadId } : {}) }), {
        method: 'POST',
        body: messageBody(messagePayload(request.text, files, withThreadName && threadName ? { thread_name: threadName } : {}), files),
        signal: request.signal,
        posts: true,
      });
    let opened = false;
    const message = await this.attempts.send(request.idempotencyKey, async () => {
      if (!threadName || info.forum === false) return execute(false);
      try {
        const created = await execute(true);
        opened = true;
        return created;
      } catch (err) {
        // Not a forum: webhooks cannot open threads there, so the thread is a run of messages.
        if (!definite(err, DISCORD_CODES.threadsOnlyInForums)) throw err;
        info.forum = false;
        return execute(false);
      }
    });
    this.expectMessage(message);
    return segmentRefOf(info.guildId, message, opened ? message.channel_id : threadId);
  }

  private async viaBot(connection: BotConnection, request: SegmentRequest, files: readonly DiscordFile[]): Promise<SegmentRef> {
    const home = await this.channelInfo(connection, connection.channelId, request.signal);
    const threadName = threadNameOf(request.settings);
    const post = (channelId: string, extra: Record<string, unknown> = {}) =>
      // https://discord.com/developers/docs/resources/message#create-message
      this.attempts.send(request.idempotencyKey, () =>
        this.call<DiscordMessage>(connection, botUrl(connection, `/channels/${channelId}/messages`), { method: 'POST', body: messageBody(messagePayload(request.text, files, extra), files), signal: request.signal, posts: true }),
      );

    if (request.index === 0) {
      if (home.type !== undefined && DISCORD_THREAD_ONLY_CHANNEL_TYPES.includes(home.type)) {
        if (!threadName) throw new PlatformError('rejected', `${DISCORD_NAME} forum channels take posts as threads: set platform_settings.discord.thread_name`);
        // https://discord.com/developers/docs/resources/channel#start-thread-in-forum-or-media-channel
        const thread = await this.attempts.send(request.idempotencyKey, () =>
          this.call<{ id: string; message?: DiscordMessage }>(connection, botUrl(connection, `/channels/${connection.channelId}/threads`), {
            method: 'POST',
            body: this.forumBody(threadName, request.text, files),
            signal: request.signal,
            posts: true,
          }),
        );
        // The starter message of a forum post has the thread's id.
        return segmentRefOf(home.guildId, { id: thread.message?.id ?? thread.id, channel_id: thread.id }, thread.id);
      }
      const message = await post(connection.channelId);
      this.expectMessage(message);
      return segmentRefOf(home.guildId, message);
    }

    const rootMessage = request.root?.ref?.message_id ?? request.root?.post_id;
    const rootChannel = request.root?.ref?.channel_id ?? connection.channelId;
    let threadId = request.root?.ref?.thread_id;
    if (!threadId && threadName && rootMessage) threadId = await this.threadFrom(connection, rootChannel, rootMessage, threadName, request.signal);
    const parentMessage = request.parent?.ref?.message_id ?? request.parent?.post_id;
    if (threadId) {
      const replyInThread = parentMessage && request.parent?.ref?.channel_id === threadId ? { message_reference: { message_id: parentMessage, fail_if_not_exists: false } } : {};
      const message = await post(threadId, replyInThread);
      this.expectMessage(message);
      return segmentRefOf(home.guildId, message, threadId);
    }
    if (!parentMessage) throw new PlatformError('rejected', `the previous segment's ${DISCORD_NAME} message id is missing, so this reply cannot be threaded`);
    const parentChannel = request.parent?.ref?.channel_id ?? connection.channelId;
    const message = await post(parentChannel, { message_reference: { message_id: parentMessage, channel_id: parentChannel, fail_if_not_exists: true } });
    this.expectMessage(message);
    return segmentRefOf(home.guildId, message);
  }

  /** A forum post: the thread's name and its starter message; the files ride along at the top level. */
  private forumBody(name: string, text: string, files: readonly DiscordFile[]): { json: Record<string, unknown> } | { form: FormData } {
    return messageBody({ name, message: messagePayload(text, files) }, files);
  }

  /**
   * The thread the replies go into, started from the first segment's message (the thread
   * takes that message's id). Starting it twice is refused with "already created", which
   * means it exists: so a lost answer is simply asked again.
   */
  private async threadFrom(connection: BotConnection, channelId: string, messageId: string, name: string, signal?: AbortSignal): Promise<string> {
    try {
      // https://discord.com/developers/docs/resources/channel#start-thread-from-message
      const thread = await this.call<{ id?: string }>(connection, botUrl(connection, `/channels/${channelId}/messages/${messageId}/threads`), { method: 'POST', body: { json: { name } }, signal });
      return thread.id ?? messageId;
    } catch (err) {
      if (definite(err, DISCORD_CODES.threadAlreadyCreated)) return messageId;
      throw err;
    }
  }

  private async lookUp(connection: BotConnection, request: SegmentRequest): Promise<SegmentRef | null> {
    const home = await this.channelInfo(connection, connection.channelId, request.signal);
    let channelId: string;
    let threadId: string | undefined;
    if (request.index === 0) {
      if (home.type !== undefined && DISCORD_THREAD_ONLY_CHANNEL_TYPES.includes(home.type)) throw new PlatformError('unknown_outcome', 'a forum post would be a new thread, which is not searched');
      channelId = connection.channelId;
    } else {
      threadId = request.root?.ref?.thread_id ?? (threadNameOf(request.settings) ? request.root?.ref?.message_id : undefined);
      channelId = threadId ?? request.parent?.ref?.channel_id ?? connection.channelId;
    }
    const me = await this.botUser(connection, request.signal);
    const requested = Date.parse(request.requestedAt);
    const after = snowflakeAt((Number.isNaN(requested) ? this.now() : requested) - LOOKUP_WINDOW_MS);
    let messages: DiscordMessage[];
    try {
      // https://discord.com/developers/docs/resources/message#get-channel-messages
      messages = await this.call<DiscordMessage[]>(connection, botUrl(connection, `/channels/${channelId}/messages`, { after, limit: '100' }), { signal: request.signal });
    } catch (err) {
      // No thread was ever started from the first message: nothing can have been posted in it.
      if (threadId && !request.root?.ref?.thread_id && definite(err, DISCORD_CODES.unknownChannel)) return null;
      throw err;
    }
    const parentMessage = request.parent?.ref?.message_id;
    const found = messages.find(
      (m) => m.author?.id === me && (m.content ?? '') === request.text && (threadId || request.index === 0 || m.message_reference?.message_id === parentMessage),
    );
    if (!found) return null;
    return this.attempts.published(request.idempotencyKey, segmentRefOf(home.guildId, found, threadId));
  }

  /** The webhook's server and channel (for links); also tells early when the webhook is gone. */
  private async webhookInfo(connection: WebhookConnection, signal?: AbortSignal): Promise<WebhookInfo> {
    const key = `${connection.api}|${connection.webhookId}`;
    const cached = this.webhooks.get(key);
    if (cached) return cached;
    // https://discord.com/developers/docs/resources/webhook#get-webhook-with-token
    const webhook = await this.call<{ guild_id?: string | null; channel_id?: string | null }>(connection, webhookUrl(connection), { signal });
    const info: WebhookInfo = { ...(webhook.guild_id ? { guildId: webhook.guild_id } : {}), ...(webhook.channel_id ? { channelId: webhook.channel_id } : {}) };
    this.webhooks.set(key, info);
    return info;
  }

  private async channelInfo(connection: BotConnection, channelId: string, signal?: AbortSignal): Promise<ChannelInfo> {
    const key = `${connection.api}|${channelId}`;
    const cached = this.channels.get(key);
    if (cached) return cached;
    // https://discord.com/developers/docs/resources/channel#get-channel
    const channel = await this.call<{ guild_id?: string; type?: number }>(connection, botUrl(connection, `/channels/${channelId}`), { signal });
    const info: ChannelInfo = { ...(channel.guild_id ? { guildId: channel.guild_id } : {}), ...(typeof channel.type === 'number' ? { type: channel.type } : {}) };
    this.channels.set(key, info);
    return info;
  }

  private async botUser(connection: BotConnection, signal?: AbortSignal): Promise<string> {
    const key = `${connection.api}|${connection.botToken}`;
    const cached = this.botUsers.get(key);
    if (cached) return cached;
    // https://discord.com/developers/docs/resources/user#get-current-user
    const me = await this.call<{ id?: string }>(connection, botUrl(connection, '/users/@me'), { signal });
    if (!me.id) throw new PlatformError('transient', `${DISCORD_NAME} did not say who the bot is`);
    this.botUsers.set(key, me.id);
    return me.id;
  }

  private expectMessage(message: DiscordMessage | undefined): asserts message is DiscordMessage {
    if (!message?.id || !message.channel_id) throw new PlatformError('unknown_outcome', `${DISCORD_NAME} accepted the message but its answer had no id`);
  }

  private async call<T>(connection: DiscordConnection, url: string, call: Call): Promise<T> {
    const secret = secretOf(connection);
    const headers: Record<string, string> = connection.kind === 'bot' ? { authorization: `Bot ${connection.botToken}` } : {};
    const body = call.body === undefined ? undefined : 'json' in call.body ? { json: call.body.json } : { body: call.body.form };
    let response: JsonResponse;
    try {
      response = await requestJson(url, {
        method: call.method ?? 'GET',
        headers,
        ...body,
        signal: call.signal,
        timeoutMs: call.body && 'form' in call.body ? this.options.uploadTimeoutMs ?? 120_000 : this.options.timeoutMs,
        label: DISCORD_NAME,
      });
    } catch (err) {
      const failure = err instanceof PlatformError ? err : new PlatformError('unknown_outcome', String(err));
      const kind = failure.kind === 'unknown_outcome' && !call.posts ? 'transient' : failure.kind;
      throw new PlatformError(kind, redactSecret(failure.message, secret), failure.details);
    }
    if (response.ok) return response.body as T;
    const failure = discordFailure(response, connection.kind, this.now());
    throw new PlatformError(failure.kind, redactSecret(failure.message, secret), failure.details);
  }
}
