import { utf8Bytes } from '../../../domain';
import { reconnectMessage } from '../http/failure';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import {
  YOUTUBE_API_ORIGIN,
  YOUTUBE_DATA_PATH,
  YOUTUBE_DEFAULT_PRIVACY,
  YOUTUBE_MAX_COMMENT,
  YOUTUBE_MAX_DESCRIPTION_BYTES,
  YOUTUBE_MAX_TAGS_LENGTH,
  YOUTUBE_MAX_TITLE,
  YOUTUBE_NAME,
  YOUTUBE_QUOTA_TIME_ZONE,
  YOUTUBE_UPLOAD_PATH,
  YOUTUBE_WATCH_URL,
} from './rules';

export interface YoutubeChannel {
  origin: string;
  token: string;
}

export function channelOf(account: PlatformAccount, defaultOrigin: string = YOUTUBE_API_ORIGIN): YoutubeChannel {
  const token = account.credentials.access_token;
  if (!token) throw new PlatformError('auth', reconnectMessage(YOUTUBE_NAME, 'no access token is stored'));
  return { origin: (account.base_url ?? defaultOrigin).replace(/\/+$/, ''), token };
}

export interface YoutubeSettings {
  title?: string;
  privacy: string;
  madeForKids?: boolean;
  tags: string[];
}

export function settingsOf(settings: Record<string, unknown>): YoutubeSettings {
  return {
    ...(typeof settings.title === 'string' && settings.title.trim() !== '' ? { title: settings.title } : {}),
    privacy: typeof settings.privacy === 'string' ? settings.privacy : YOUTUBE_DEFAULT_PRIVACY,
    ...(typeof settings.made_for_kids === 'boolean' ? { madeForKids: settings.made_for_kids } : {}),
    tags: Array.isArray(settings.tags) ? settings.tags.filter((t): t is string => typeof t === 'string') : [],
  };
}

/** How YouTube counts `snippet.tags` against its 500: each tag, a comma between, quotes around one with a space. */
export function tagsLength(tags: readonly string[]): number {
  return tags.reduce((sum, tag, i) => sum + [...tag].length + (tag.includes(' ') ? 2 : 0) + (i > 0 ? 1 : 0), 0);
}

const ANGLE_BRACKETS = /[<>]/;

type CheckInput = Pick<SegmentRequest, 'text' | 'media' | 'index' | 'total' | 'settings'>;

/** What YouTube would refuse: the video post (index 0) or a comment on it (later segments). */
export function segmentProblems(request: CheckInput): string[] {
  const problems: string[] = [];
  const settings = settingsOf(request.settings);
  if (request.index > 0) {
    if (request.media.length > 0) problems.push(`segment ${request.index + 1} is a comment on the video, and YouTube comments take no images or videos`);
    if (request.text.trim() === '') problems.push(`segment ${request.index + 1} is a comment on the video and needs text`);
    if ([...request.text].length > YOUTUBE_MAX_COMMENT) problems.push(`segment ${request.index + 1} is ${[...request.text].length} characters; a YouTube comment takes at most ${YOUTUBE_MAX_COMMENT}`);
    return problems;
  }
  const videos = request.media.filter((m) => m.kind === 'video').length;
  const images = request.media.length - videos;
  if (videos !== 1 || images > 0) problems.push(`YouTube needs exactly one video and nothing else; this has ${videos} video${videos === 1 ? '' : 's'} and ${images} image${images === 1 ? '' : 's'}`);
  if (settings.title === undefined) problems.push('YouTube needs a title: set platform_settings.youtube.title');
  else {
    if ([...settings.title].length > YOUTUBE_MAX_TITLE) problems.push(`the title is ${[...settings.title].length} characters; YouTube takes at most ${YOUTUBE_MAX_TITLE}`);
    if (ANGLE_BRACKETS.test(settings.title)) problems.push('YouTube titles cannot contain < or >');
  }
  const bytes = utf8Bytes(request.text);
  if (bytes > YOUTUBE_MAX_DESCRIPTION_BYTES) problems.push(`the description is ${bytes} bytes (UTF-8); YouTube takes at most ${YOUTUBE_MAX_DESCRIPTION_BYTES}`);
  if (ANGLE_BRACKETS.test(request.text)) problems.push('YouTube descriptions cannot contain < or > (the text is the video description)');
  if (tagsLength(settings.tags) > YOUTUBE_MAX_TAGS_LENGTH) problems.push(`the tags add up to ${tagsLength(settings.tags)} characters; YouTube takes at most ${YOUTUBE_MAX_TAGS_LENGTH}`);
  if (settings.madeForKids && request.total > 1) problems.push("made-for-kids videos have comments turned off, so this thread's replies cannot be posted as comments");
  return problems;
}

/** `videos.insert` metadata (`part=snippet,status`). */
export function videoResource(request: Pick<SegmentRequest, 'text' | 'settings'>): Record<string, unknown> {
  const settings = settingsOf(request.settings);
  return {
    snippet: { title: settings.title ?? '', description: request.text, ...(settings.tags.length > 0 ? { tags: settings.tags } : {}) },
    status: { privacyStatus: settings.privacy, ...(settings.madeForKids !== undefined ? { selfDeclaredMadeForKids: settings.madeForKids } : {}) },
  };
}

export function uploadStartUrl(channel: YoutubeChannel): string {
  return `${channel.origin}${YOUTUBE_UPLOAD_PATH}?uploadType=resumable&part=snippet,status`;
}

export function dataUrl(channel: YoutubeChannel, resource: string, query: Record<string, string>): string {
  const url = new URL(`${channel.origin}${YOUTUBE_DATA_PATH}/${resource}`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.href;
}

/** `commentThreads.insert`: a top-level comment on the video. */
/**
 * `commentThreads.insert`: "you must specify a value for the following properties:
 * snippet.channelId, snippet.videoId, snippet.topLevelComment.snippet.textOriginal"
 * (https://developers.google.com/youtube/v3/docs/commentThreads/insert); without
 * `channelId` YouTube answers 400 `channelOrVideoIdMissing`.
 */
export function commentThreadBody(channelId: string, videoId: string, text: string): Record<string, unknown> {
  return { snippet: { channelId, videoId, topLevelComment: { snippet: { textOriginal: text } } } };
}

/** `comments.insert`: a reply to a top-level comment. */
export function commentReplyBody(parentId: string, text: string): Record<string, unknown> {
  return { snippet: { parentId, textOriginal: text } };
}

export function watchUrl(videoId: string, commentId?: string): string {
  const url = new URL(YOUTUBE_WATCH_URL);
  url.searchParams.set('v', videoId);
  if (commentId) url.searchParams.set('lc', commentId);
  return url.href;
}

/** The uploaded video; `channel_id` (from the upload's answer) is what its comment threads need. */
export function videoRef(videoId: string, channelId?: string): SegmentRef {
  return { post_id: videoId, post_url: watchUrl(videoId), ref: { video_id: videoId, ...(channelId ? { channel_id: channelId } : {}) } };
}

/** A comment segment: `thread_comment_id` is the top-level comment the later segments reply to. */
export function commentRef(videoId: string, commentId: string, threadCommentId: string): SegmentRef {
  return { post_id: commentId, post_url: watchUrl(videoId, commentId), ref: { video_id: videoId, comment_id: commentId, thread_comment_id: threadCommentId } };
}

export function videoIdOf(request: Pick<SegmentRequest, 'root'>): string {
  const id = request.root?.ref?.video_id ?? request.root?.post_id;
  if (!id) throw new PlatformError('rejected', `the video's ${YOUTUBE_NAME} id is missing, so this comment cannot be posted`);
  return id;
}

/** Where an interrupted upload stands: the next byte to send, from a 308's `Range: bytes=0-<last>`. */
export function nextByte(range: string | null): number {
  const match = range ? /bytes=0-(\d+)/.exec(range) : null;
  return match ? Number(match[1]) + 1 : 0;
}

/**
 * Milliseconds until the daily quota resets at midnight Pacific Time (an hour off on the
 * two days clocks change, which only moves a retry by that hour).
 */
export function untilQuotaReset(now: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: YOUTUBE_QUOTA_TIME_ZONE, hourCycle: 'h23', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(now));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const elapsed = ((part('hour') * 60 + part('minute')) * 60 + part('second')) * 1000 + (now % 1000);
  return 86_400_000 - elapsed;
}
