import { checkLength } from '../../../domain';
import { MediaAttachment, PlatformAccount, PlatformError, SegmentRequest } from '../port';
import { reconnectMessage } from '../http/failure';
import { GraphParams } from './graph';
import { FACEBOOK_COMMENT_MAX, FACEBOOK_NAME, FACEBOOK_RULES, FACEBOOK_WEB } from './rules';

export interface PageCredentials {
  token: string;
  pageId: string;
}

export function pageOf(account: PlatformAccount): PageCredentials {
  const token = account.credentials.page_access_token;
  const pageId = account.credentials.page_id;
  if (!token || !pageId) throw new PlatformError('auth', reconnectMessage(FACEBOOK_NAME, 'no page access token or page id is stored'));
  return { token, pageId };
}

export type VideoType = 'reel' | 'video';

export function videoTypeOf(settings: Record<string, unknown>): VideoType {
  return settings.video_type === 'reel' ? 'reel' : 'video';
}

/** What Facebook would refuse in this segment, found without a request. */
export function segmentProblems(request: Pick<SegmentRequest, 'text' | 'media' | 'index'>): string[] {
  const problems: string[] = [];
  const images = request.media.filter((m) => m.kind === 'image').length;
  const videos = request.media.filter((m) => m.kind === 'video').length;
  if (request.index > 0) {
    // Later segments are comments: text and at most one photo (`attachment_url`).
    const length = checkLength(request.text, { max: FACEBOOK_COMMENT_MAX, unit: 'characters' });
    if (!length.ok) problems.push(`comment ${request.index} is ${length.length} characters; a Facebook comment takes at most ${FACEBOOK_COMMENT_MAX}`);
    if (videos > 0) problems.push(`comment ${request.index} has a video; a Facebook comment takes one photo at most`);
    if (images > 1) problems.push(`comment ${request.index} has ${images} images; a Facebook comment takes one photo at most`);
    if (request.text.trim() === '' && images === 0) problems.push(`comment ${request.index} is empty`);
    return problems;
  }
  const length = checkLength(request.text, FACEBOOK_RULES.text);
  if (!length.ok) problems.push(`text is ${length.length} characters; Facebook takes at most ${length.max}`);
  const rules = FACEBOOK_RULES.media;
  if (images > rules.maxImages) problems.push(`${images} images; a Facebook post takes at most ${rules.maxImages}`);
  if (videos > rules.maxVideos) problems.push(`${videos} videos; a Facebook post takes at most ${rules.maxVideos}`);
  if (images > 0 && videos > 0 && !rules.mixImagesAndVideo) problems.push('a Facebook post takes photos or a video, not both');
  if (request.text.trim() === '' && request.media.length === 0) problems.push('a Facebook post needs text or media');
  return problems;
}

export function graphBase(host: string, version: string): string {
  return `${host.replace(/\/+$/, '')}/${version}`;
}

/** `POST /{page_id}/feed`: a text post, or one with photos uploaded unpublished (https://developers.facebook.com/docs/pages-api/posts). */
export function feedParams(text: string, photoIds: readonly string[] = []): GraphParams {
  return {
    message: text,
    ...(photoIds.length > 0 ? { attached_media: JSON.stringify(photoIds.map((id) => ({ media_fbid: id }))) } : {}),
  };
}

/** `POST /{page_id}/photos`: Meta fetches the photo from `url` (https://developers.facebook.com/docs/graph-api/reference/page/photos#Creating). */
export function photoParams(image: MediaAttachment, options: { caption?: string; published: boolean }): GraphParams {
  return {
    url: image.url,
    ...(options.caption !== undefined ? { caption: options.caption } : {}),
    ...(image.alt_text ? { alt_text_custom: image.alt_text } : {}),
    ...(options.published ? {} : { published: false }),
  };
}

/** `POST /{page_id}/videos` with a hosted file (https://developers.facebook.com/docs/video-api/guides/publishing). */
export function videoParams(video: MediaAttachment, text: string): GraphParams {
  return { file_url: video.url, description: text };
}

/** `POST /{page_id}/video_reels?upload_phase=start` (https://developers.facebook.com/docs/video-api/guides/reels-publishing). */
export function reelStartParams(): GraphParams {
  return { upload_phase: 'start' };
}

/** `POST /{page_id}/video_reels?upload_phase=finish`: publishes the uploaded reel with its description. */
export function reelFinishParams(videoId: string, text: string): GraphParams {
  return { upload_phase: 'finish', video_id: videoId, video_state: 'PUBLISHED', description: text };
}

/** Headers of the hosted-file upload to `rupload.facebook.com/video-upload/{version}/{video_id}`. */
export function reelUploadHeaders(token: string, video: MediaAttachment): Record<string, string> {
  return { authorization: `OAuth ${token}`, file_url: video.url };
}

/** `POST /{object_id}/comments` (https://developers.facebook.com/docs/graph-api/reference/object/comments#publish). */
export function commentParams(text: string, image: MediaAttachment | undefined): GraphParams {
  return { message: text, ...(image ? { attachment_url: image.url } : {}) };
}

export function postUrl(postId: string): string {
  return `${FACEBOOK_WEB}/${postId}`;
}

export function videoUrl(pageId: string, videoId: string): string {
  return `${FACEBOOK_WEB}/${pageId}/videos/${videoId}`;
}

export function reelUrl(videoId: string): string {
  return `${FACEBOOK_WEB}/reel/${videoId}`;
}

/** A comment's id is `{post}_{comment}`; the page links to it with the comment part. */
export function commentUrl(rootUrl: string, commentId: string): string {
  const part = commentId.includes('_') ? commentId.slice(commentId.lastIndexOf('_') + 1) : commentId;
  return `${rootUrl}${rootUrl.includes('?') ? '&' : '?'}comment_id=${encodeURIComponent(part)}`;
}
