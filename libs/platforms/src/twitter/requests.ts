import { reconnectMessage } from '../http/failure';
import { PlatformAccount, PlatformError, SegmentRequest } from '../port';
import { tweetLength, TWITTER_NAME, TWITTER_RULES, X_REPLY_SETTINGS, X_WEB } from './rules';

export function tokenOf(account: PlatformAccount): string {
  const token = account.credentials.access_token;
  if (!token) throw new PlatformError('auth', reconnectMessage(TWITTER_NAME, 'no OAuth 2.0 access token is stored'));
  return token;
}

export function replySettingsOf(settings: Record<string, unknown>): string | undefined {
  const value = settings.who_can_reply;
  return typeof value === 'string' ? X_REPLY_SETTINGS[value] : undefined;
}

/** What X would refuse in this segment, found without a request. */
export function segmentProblems(request: Pick<SegmentRequest, 'text' | 'media' | 'settings'>): string[] {
  const problems: string[] = [];
  const max = TWITTER_RULES.text.max;
  const length = tweetLength(request.text);
  if (length > max) problems.push(`text is ${length} characters as X counts them (links 23, emoji and CJK 2); X takes at most ${max}`);
  if (request.text.trim() === '' && request.media.length === 0) problems.push('a post needs text or media');
  const images = request.media.filter((m) => m.kind === 'image').length;
  const videos = request.media.filter((m) => m.kind === 'video').length;
  const rules = TWITTER_RULES.media;
  if (images > rules.maxImages) problems.push(`${images} images; X takes at most ${rules.maxImages}`);
  if (videos > rules.maxVideos) problems.push(`${videos} videos; X takes at most ${rules.maxVideos}`);
  if (images > 0 && videos > 0) problems.push('X takes up to 4 images or one video in a post, not both');
  request.media.forEach((m, i) => {
    if (m.alt_text && rules.maxAltText !== undefined && [...m.alt_text].length > rules.maxAltText) problems.push(`alt text of ${m.kind} ${i + 1} is longer than ${rules.maxAltText} characters`);
  });
  const who = request.settings.who_can_reply;
  if (who !== undefined && (typeof who !== 'string' || !(who in X_REPLY_SETTINGS))) problems.push(`who_can_reply must be one of ${Object.keys(X_REPLY_SETTINGS).join(', ')}`);
  return problems;
}

export function authorization(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** `POST /2/tweets` body (https://docs.x.com/x-api/posts/create-post). */
export function tweetBody(request: Pick<SegmentRequest, 'text' | 'parent' | 'settings'>, mediaIds: readonly string[]): Record<string, unknown> {
  const replySettings = replySettingsOf(request.settings);
  return {
    text: request.text,
    ...(mediaIds.length > 0 ? { media: { media_ids: mediaIds } } : {}),
    ...(request.parent ? { reply: { in_reply_to_tweet_id: request.parent.ref?.id ?? request.parent.post_id } } : {}),
    ...(replySettings ? { reply_settings: replySettings } : {}),
  };
}

function blob(bytes: Buffer, mime: string): Blob {
  return new Blob([new Uint8Array(bytes)], { type: mime });
}

/** `POST /2/media/upload`: one image in one request (https://docs.x.com/x-api/media/upload-media). */
export function imageUploadForm(bytes: Buffer, mime: string): FormData {
  const form = new FormData();
  form.append('media', blob(bytes, mime), `upload.${mime.split('/')[1] ?? 'bin'}`);
  form.append('media_category', 'tweet_image');
  form.append('media_type', mime);
  return form;
}

/** `POST /2/media/upload/initialize` (https://docs.x.com/x-api/media/initialize-media-upload). */
export function initializeBody(totalBytes: number, mime: string, category: 'tweet_video' | 'tweet_gif'): Record<string, unknown> {
  return { media_type: mime, total_bytes: totalBytes, media_category: category };
}

/** `POST /2/media/upload/{id}/append`: one chunk (https://docs.x.com/x-api/media/append-media-upload). */
export function appendForm(chunk: Buffer, segmentIndex: number): FormData {
  const form = new FormData();
  form.append('media', blob(chunk, 'application/octet-stream'), 'chunk');
  form.append('segment_index', String(segmentIndex));
  return form;
}

/** `POST /2/media/metadata` with the alt text (https://docs.x.com/x-api/media/create-media-metadata). */
export function altTextBody(mediaId: string, altText: string): Record<string, unknown> {
  return { id: mediaId, metadata: { alt_text: { text: altText } } };
}

export function postUrl(id: string): string {
  return `${X_WEB}/i/web/status/${id}`;
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const LINK = /https?:\/\/\S+/g;

/**
 * A post's text reduced to what survives X's rewriting, to recognise it among the
 * account's posts: X returns `&`, `<` and `>` as entities, every link as a t.co link
 * and appends a t.co link for attached media; a reply may start with @mentions.
 */
export function comparableText(text: string, dropLeadingMentions: boolean): string {
  let out = text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity).normalize('NFC');
  if (dropLeadingMentions) out = out.replace(/^(@\w+\s+)+/, '');
  return out.replace(LINK, ' ').replace(/\s+/g, ' ').trim();
}
