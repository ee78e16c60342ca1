import { checkLength } from '../../../domain';
import { reconnectMessage } from '../http/failure';
import { PlatformAccount, PlatformError, SegmentRequest } from '../port';
import { SLACK_CONVERSATION_ID, SLACK_MAX_ALT_TEXT, SLACK_NAME, SLACK_RULES } from './rules';

export interface SlackWorkspace {
  base: string;
  token: string;
  /** As connected: a conversation id (`C0123456789`) or a channel name. */
  channel: string;
}

export function workspaceOf(account: PlatformAccount, defaultBase: string): SlackWorkspace {
  const token = account.credentials.bot_token;
  const channel = account.credentials.channel;
  if (!token) throw new PlatformError('auth', reconnectMessage(SLACK_NAME, 'no bot token is stored'));
  if (!channel) throw new PlatformError('auth', reconnectMessage(SLACK_NAME, 'no channel is stored'));
  return { base: (account.base_url ?? defaultBase).replace(/\/+$/, ''), token, channel: channel.replace(/^#/, '') };
}

export function isConversationId(channel: string): boolean {
  return SLACK_CONVERSATION_ID.test(channel);
}

/**
 * Slack reads `text` as mrkdwn, where `<...>` are links and mentions and `&` starts an
 * entity: a post's plain text has exactly these three escaped (Slack: "Escaping text").
 */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function unescapeText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** What Slack would refuse in this segment, found without any request. */
export function segmentProblems({ text, media }: Pick<SegmentRequest, 'text' | 'media'>): string[] {
  const problems: string[] = [];
  const length = checkLength(escapeText(text), SLACK_RULES.text);
  if (!length.ok) problems.push(`the text is ${length.length} characters (with &, < and > escaped); Slack takes at most ${length.max} in a message`);
  if (text.trim() === '' && media.length === 0) problems.push('a Slack message needs text');
  if (media.length > SLACK_RULES.media.maxImages) problems.push(`${media.length} files; Slack shares at most ${SLACK_RULES.media.maxImages} in one message`);
  media.forEach((m, i) => {
    if (m.alt_text && [...m.alt_text].length > SLACK_MAX_ALT_TEXT) problems.push(`alt text of ${m.kind} ${i + 1} is longer than ${SLACK_MAX_ALT_TEXT} characters`);
  });
  return problems;
}

/** The thread every later segment goes into: the first segment's message. */
export function threadOf(request: Pick<SegmentRequest, 'index' | 'root'>): string | undefined {
  if (request.index === 0) return undefined;
  const ts = request.root?.ref?.ts ?? request.root?.post_id;
  if (!ts) throw new PlatformError('rejected', `the first segment's ${SLACK_NAME} message ts is missing, so this reply cannot be threaded`);
  return ts;
}

/** Where the segment goes: the first segment's conversation id once known (the account may name the channel). */
export function channelOf(request: Pick<SegmentRequest, 'index' | 'root'>, workspace: SlackWorkspace): string {
  return (request.index > 0 ? request.root?.ref?.channel : undefined) ?? workspace.channel;
}

/** `chat.postMessage` body. */
export function postMessageBody(channel: string, text: string, threadTs?: string): Record<string, unknown> {
  return { channel, text: escapeText(text), ...(threadTs ? { thread_ts: threadTs } : {}) };
}

/** `files.getUploadURLExternal` arguments (form-encoded). */
export function uploadUrlForm(filename: string, length: number, altText?: string): URLSearchParams {
  const form = new URLSearchParams({ filename, length: String(length) });
  if (altText) form.set('alt_txt', altText);
  return form;
}

/** `files.completeUploadExternal` body: shares the uploaded files in one message with the text. */
export function completeUploadBody(files: ReadonlyArray<{ id: string; title: string }>, channelId: string, text: string, threadTs?: string): Record<string, unknown> {
  return {
    files: files.map((f) => ({ id: f.id, title: f.title })),
    channel_id: channelId,
    ...(text.trim() !== '' ? { initial_comment: escapeText(text) } : {}),
    ...(threadTs ? { thread_ts: threadTs } : {}),
  };
}

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp', 'video/mp4': 'mp4', 'video/quicktime': 'mov', 'video/webm': 'webm' };

export function fileName(kind: 'image' | 'video', mime: string, index: number): string {
  return `${kind}-${index + 1}.${EXTENSIONS[mime] ?? 'bin'}`;
}

/** A message's web link when `chat.getPermalink` cannot be asked: Slack's archive URL form. */
export function archiveUrl(channel: string, ts: string, threadTs?: string): string {
  const base = `https://slack.com/archives/${channel}/p${ts.replace('.', '')}`;
  return threadTs && threadTs !== ts ? `${base}?thread_ts=${threadTs}&cid=${channel}` : base;
}

/** The ts of the message sharing a file in `channel`, from `files.info`'s `file.shares`. */
export function shareTs(file: unknown, channel: string): string | undefined {
  const shares = (file as { shares?: Record<string, Record<string, Array<{ ts?: unknown }>>> } | undefined)?.shares;
  for (const visibility of ['public', 'private'] as const) {
    const ts = shares?.[visibility]?.[channel]?.[0]?.ts;
    if (typeof ts === 'string') return ts;
  }
  return undefined;
}
