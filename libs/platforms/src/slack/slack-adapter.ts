import { JsonResponse, requestJson } from '../http/request-json';
import { delay } from '../http/delay';
import { MediaAttachment, PlatformAdapter, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { SegmentAttempts } from '../telegram/segment-attempts';
import { slackFailure } from './errors';
import {
  archiveUrl,
  channelOf,
  completeUploadBody,
  fileName,
  isConversationId,
  postMessageBody,
  segmentProblems,
  shareTs,
  SlackWorkspace,
  threadOf,
  unescapeText,
  uploadUrlForm,
  workspaceOf,
} from './requests';
import { SLACK_API_BASE, SLACK_MAX_FILE_BYTES, SLACK_NAME, SLACK_RULES } from './rules';

export interface SlackAdapterOptions {
  /** Web API base for accounts without `base_url`; default `https://slack.com/api`. */
  baseUrl?: string;
  /** Per request; default 30 s. File uploads get `uploadTimeoutMs`. */
  timeoutMs?: number;
  uploadTimeoutMs?: number;
  /** Pause between `files.info` reads while Slack shares uploaded files; default 1 s. */
  pollIntervalMs?: number;
  /** How long to wait for the share (and its message ts); default 30 s. */
  shareTimeoutMs?: number;
  now?: () => number;
}

interface SlackCall {
  /** Sent as the query string (reads). */
  query?: Record<string, string>;
  /** JSON body. */
  json?: unknown;
  /** Form-encoded body. */
  form?: URLSearchParams;
  signal?: AbortSignal;
}

interface PostedMessage {
  ts: string;
  channel: string;
}

// A duplicate posted before a lost answer would be this old at most, relative to the publish request.
const LOOKUP_WINDOW_S = 300;
// The only calls that post something; every other one can be repeated when its answer is lost.
const POSTING_METHODS = new Set(['chat.postMessage', 'files.completeUploadExternal']);

/**
 * Slack through the Web API with a bot token: text is `chat.postMessage`; files go up with
 * `files.getUploadURLExternal` + an upload + `files.completeUploadExternal`, which shares
 * them in one message with the text; later segments go into the first message's thread
 * (`thread_ts`).
 */
export class SlackAdapter implements PlatformAdapter {
  readonly platform = 'slack' as const;
  readonly rules = SLACK_RULES;
  private readonly attempts = new SegmentAttempts();

  constructor(private readonly options: SlackAdapterOptions = {}) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  check(request: Pick<SegmentRequest, 'text' | 'media'>): string[] {
    return segmentProblems(request);
  }

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    const problems = segmentProblems(request);
    if (problems.length > 0) throw new PlatformError('rejected', `${SLACK_NAME} would refuse this post: ${problems.join('; ')}`);
    const workspace = workspaceOf(request.account, this.options.baseUrl ?? SLACK_API_BASE);
    const known = this.attempts.recall(request.idempotencyKey);
    if (known?.state === 'published') return known.ref;

    const threadTs = threadOf(request);
    const channel = channelOf(request, workspace);
    const key = request.idempotencyKey;
    let posted: PostedMessage;
    if (request.media.length === 0) {
      // https://api.slack.com/methods/chat.postMessage
      const answer = await this.attempts.send(key, () =>
        this.call<{ ts?: string; channel?: string }>(workspace, 'chat.postMessage', { json: postMessageBody(channel, request.text, threadTs), signal: request.signal }),
      );
      if (typeof answer.ts !== 'string') throw new PlatformError('unknown_outcome', `${SLACK_NAME} accepted the message but its answer had no ts`);
      posted = { ts: answer.ts, channel: answer.channel ?? channel };
    } else {
      if (!isConversationId(channel)) {
        throw new PlatformError('rejected', `${SLACK_NAME} shares files only into a channel given by its id; reconnect the account with the channel id (e.g. C0123456789, in the channel's details) instead of "${channel}"`);
      }
      const files = await this.uploadFiles(workspace, request.media, request.signal);
      // https://api.slack.com/methods/files.completeUploadExternal
      await this.attempts.send(key, () => this.call(workspace, 'files.completeUploadExternal', { json: completeUploadBody(files, channel, request.text, threadTs), signal: request.signal }));
      posted = { ts: await this.sharedTs(workspace, files[0].id, channel, request.signal), channel };
    }
    // Recorded before the permalink is asked: from here the segment must never be posted again.
    this.attempts.published(key, this.segmentRef(posted, threadTs, archiveUrl(posted.channel, posted.ts, threadTs)));
    const permalink = await this.permalink(workspace, posted, request.signal);
    return this.attempts.published(key, this.segmentRef(posted, threadTs, permalink ?? archiveUrl(posted.channel, posted.ts, threadTs)));
  }

  /**
   * Looks for the segment in the channel (`conversations.history`) or the thread
   * (`conversations.replies`): a message of this app's bot with the same text, posted
   * since shortly before the publish request. Needs the `channels:history` scope
   * (`groups:history` in private channels); without it the outcome cannot be known.
   */
  async findPublished(request: SegmentRequest): Promise<SegmentRef | null> {
    const known = this.attempts.recall(request.idempotencyKey);
    if (known?.state === 'published') return known.ref;
    if (known?.state === 'not_published') return null;

    const workspace = workspaceOf(request.account, this.options.baseUrl ?? SLACK_API_BASE);
    const threadTs = threadOf(request);
    const channel = channelOf(request, workspace);
    try {
      if (!isConversationId(channel)) throw new PlatformError('unknown_outcome', `the channel "${channel}" is not given by its id, so its history cannot be read`);
      // https://api.slack.com/methods/auth.test
      const me = await this.call<{ user_id?: string; bot_id?: string }>(workspace, 'auth.test', { signal: request.signal });
      const requested = Date.parse(request.requestedAt);
      const oldest = Number.isNaN(requested) ? undefined : String(Math.floor(requested / 1000) - LOOKUP_WINDOW_S);
      const query: Record<string, string> = { channel, limit: '200', ...(oldest ? { oldest } : {}) };
      // https://api.slack.com/methods/conversations.history, https://api.slack.com/methods/conversations.replies
      const page = threadTs
        ? await this.call<{ messages?: SlackHistoryMessage[] }>(workspace, 'conversations.replies', { query: { ...query, ts: threadTs }, signal: request.signal })
        : await this.call<{ messages?: SlackHistoryMessage[] }>(workspace, 'conversations.history', { query, signal: request.signal });
      const mine = (m: SlackHistoryMessage) => (me.bot_id !== undefined && m.bot_id === me.bot_id) || (me.user_id !== undefined && m.user === me.user_id);
      const found = (page.messages ?? [])
        .filter((m) => typeof m.ts === 'string' && m.ts !== threadTs && mine(m) && unescapeText(m.text ?? '') === request.text)
        .sort((a, b) => Number(b.ts) - Number(a.ts))[0];
      if (!found?.ts) return null;
      const posted = { ts: found.ts, channel };
      const permalink = await this.permalink(workspace, posted, request.signal);
      return this.attempts.published(request.idempotencyKey, this.segmentRef(posted, threadTs, permalink ?? archiveUrl(channel, found.ts, threadTs)));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new PlatformError('unknown_outcome', `${SLACK_NAME}: whether segment ${request.index + 1} was posted cannot be checked (${reason}); look in the channel`);
    }
  }

  private segmentRef(posted: PostedMessage, threadTs: string | undefined, url: string): SegmentRef {
    return { post_id: posted.ts, post_url: url, ref: { ts: posted.ts, channel: posted.channel, thread_ts: threadTs ?? posted.ts } };
  }

  private async uploadFiles(workspace: SlackWorkspace, media: readonly MediaAttachment[], signal?: AbortSignal): Promise<Array<{ id: string; title: string }>> {
    const files: Array<{ id: string; title: string }> = [];
    for (const [i, attachment] of media.entries()) {
      const { bytes, mime } = await attachment.load();
      if (bytes.length > SLACK_MAX_FILE_BYTES) throw new PlatformError('rejected', `${SLACK_NAME} takes files up to ${SLACK_MAX_FILE_BYTES} bytes; ${attachment.kind} ${i + 1} has ${bytes.length}`);
      const name = fileName(attachment.kind, mime, i);
      // https://api.slack.com/methods/files.getUploadURLExternal
      const target = await this.call<{ upload_url?: string; file_id?: string }>(workspace, 'files.getUploadURLExternal', { form: uploadUrlForm(name, bytes.length, attachment.alt_text), signal });
      if (!target.upload_url || !target.file_id) throw new PlatformError('transient', `${SLACK_NAME} gave no upload URL for ${name}`);
      await this.upload(target.upload_url, bytes, mime, name, signal);
      files.push({ id: target.file_id, title: attachment.alt_text?.trim() || name });
    }
    return files;
  }

  /** The bytes go to the URL Slack handed out (raw body; Slack answers 200 when it has them). */
  private async upload(url: string, bytes: Buffer, mime: string, name: string, signal?: AbortSignal): Promise<void> {
    let response: JsonResponse;
    try {
      response = await requestJson(url, { method: 'POST', headers: { 'content-type': mime }, body: new Uint8Array(bytes), signal, timeoutMs: this.options.uploadTimeoutMs ?? 120_000, label: SLACK_NAME });
    } catch (err) {
      // Nothing is shared until completeUploadExternal, so a lost upload can simply be redone.
      if (err instanceof PlatformError && err.kind === 'unknown_outcome') throw new PlatformError('transient', err.message, err.details);
      throw err;
    }
    if (!response.ok) {
      const failure = slackFailure(response, this.now());
      throw failure.kind === 'rejected' ? new PlatformError('rejected', `${SLACK_NAME} refused the upload of ${name} (HTTP ${response.status})`, failure.details) : failure;
    }
  }

  /** Files are shared asynchronously: the sharing message's ts shows up in `files.info` once done. */
  private async sharedTs(workspace: SlackWorkspace, fileId: string, channel: string, signal?: AbortSignal): Promise<string> {
    const deadline = this.now() + (this.options.shareTimeoutMs ?? 30_000);
    const interval = this.options.pollIntervalMs ?? 1_000;
    for (;;) {
      let ts: string | undefined;
      try {
        // https://api.slack.com/methods/files.info
        const info = await this.call<{ file?: unknown }>(workspace, 'files.info', { query: { file: fileId }, signal });
        ts = shareTs(info.file, channel);
      } catch (err) {
        throw new PlatformError('unknown_outcome', `${SLACK_NAME} shared the files but the message could not be read back (${err instanceof Error ? err.message : String(err)})`);
      }
      if (ts) return ts;
      if (this.now() + interval > deadline) throw new PlatformError('unknown_outcome', `${SLACK_NAME} took the files but had not shared them in ${channel} after ${this.options.shareTimeoutMs ?? 30_000} ms`);
      await delay(interval, signal, () => new PlatformError('unknown_outcome', `${SLACK_NAME} wait for the file share was cancelled`));
    }
  }

  /** The message's permalink; undefined when Slack cannot say (the archive URL does instead). */
  private async permalink(workspace: SlackWorkspace, posted: PostedMessage, signal?: AbortSignal): Promise<string | undefined> {
    try {
      // https://api.slack.com/methods/chat.getPermalink
      const answer = await this.call<{ permalink?: string }>(workspace, 'chat.getPermalink', { query: { channel: posted.channel, message_ts: posted.ts }, signal });
      return typeof answer.permalink === 'string' ? answer.permalink : undefined;
    } catch {
      return undefined;
    }
  }

  private async call<T>(workspace: SlackWorkspace, method: string, call: SlackCall): Promise<T> {
    const url = new URL(`${workspace.base}/${method}`);
    for (const [key, value] of Object.entries(call.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = { authorization: `Bearer ${workspace.token}` };
    let body: string | undefined;
    if (call.json !== undefined) {
      // Without the charset Slack answers with a `missing_charset` warning.
      headers['content-type'] = 'application/json; charset=utf-8';
      body = JSON.stringify(call.json);
    } else if (call.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = call.form.toString();
    }
    let response: JsonResponse;
    try {
      response = await requestJson(url, { method: body === undefined ? 'GET' : 'POST', headers, body, signal: call.signal, timeoutMs: this.options.timeoutMs, label: SLACK_NAME });
    } catch (err) {
      if (err instanceof PlatformError && err.kind === 'unknown_outcome' && !POSTING_METHODS.has(method)) throw new PlatformError('transient', err.message, err.details);
      throw err;
    }
    const answer = response.body as ({ ok?: unknown } & T) | undefined;
    if (response.ok && answer?.ok === true) return answer;
    throw slackFailure(response, this.now());
  }
}

interface SlackHistoryMessage {
  ts?: string;
  text?: string;
  user?: string;
  bot_id?: string;
}
