import { checkLength } from '../../../domain';
import { reconnectMessage } from '../http/failure';
import { GraphParams } from '../facebook/graph';
import { MediaAttachment, PlatformAccount, PlatformError, SegmentRequest } from '../port';
import {
  INSTAGRAM_CAROUSEL_MAX,
  INSTAGRAM_MAX_HASHTAGS,
  INSTAGRAM_MAX_MENTIONS,
  INSTAGRAM_NAME,
  INSTAGRAM_RULES,
  InstagramPostType,
} from './rules';

export interface InstagramCredentials {
  token: string;
  igUserId: string;
}

export function credentialsOf(account: PlatformAccount): InstagramCredentials {
  const token = account.credentials.access_token;
  const igUserId = account.credentials.ig_user_id;
  if (!token || !igUserId) throw new PlatformError('auth', reconnectMessage(INSTAGRAM_NAME, 'no access token or Instagram user id is stored'));
  return { token, igUserId };
}

export interface InstagramSettings {
  postType: InstagramPostType;
  collaborators: string[];
}

export function settingsOf(settings: Record<string, unknown>): InstagramSettings {
  const postType = settings.post_type === 'story' || settings.post_type === 'reel' ? settings.post_type : 'post';
  const collaborators = Array.isArray(settings.collaborators) ? settings.collaborators.filter((c): c is string => typeof c === 'string' && c !== '').map((c) => c.replace(/^@/, '')) : [];
  return { postType, collaborators };
}

/** What the first segment becomes: one image, a reel, a story, or a carousel of 2 to 10 items. */
export type InstagramPlan =
  | { kind: 'image'; image: MediaAttachment }
  | { kind: 'reel'; video: MediaAttachment }
  | { kind: 'story'; media: MediaAttachment }
  | { kind: 'carousel'; items: MediaAttachment[] };

export function planOf(media: readonly MediaAttachment[], postType: InstagramPostType): InstagramPlan | undefined {
  if (media.length === 0) return undefined;
  if (postType === 'story') return media.length === 1 ? { kind: 'story', media: media[0] } : undefined;
  if (postType === 'reel') return media.length === 1 && media[0].kind === 'video' ? { kind: 'reel', video: media[0] } : undefined;
  if (media.length === 1) return media[0].kind === 'image' ? { kind: 'image', image: media[0] } : { kind: 'reel', video: media[0] };
  return { kind: 'carousel', items: [...media] };
}

const HASHTAG = /(^|[^\p{L}\p{N}_&])#[\p{L}\p{N}_]+/gu;
const MENTION = /(^|[^\p{L}\p{N}_.])@[A-Za-z0-9_.]+/gu;

function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}

/** What Instagram would refuse in this segment, found without a request. */
export function segmentProblems(request: Pick<SegmentRequest, 'text' | 'media' | 'index' | 'total' | 'settings'>): string[] {
  const problems: string[] = [];
  const { postType, collaborators } = settingsOf(request.settings);
  const length = checkLength(request.text, INSTAGRAM_RULES.text);
  if (request.index > 0) {
    // Later segments are comments on the first: text only.
    if (!length.ok) problems.push(`comment ${request.index} is ${length.length} characters; Instagram takes at most ${length.max}`);
    if (request.media.length > 0) problems.push(`comment ${request.index} has media; Instagram comments are text only`);
    if (request.text.trim() === '') problems.push(`comment ${request.index} is empty`);
    return problems;
  }
  if (request.media.length === 0) problems.push('Instagram needs an image or a video: text-only posts are not possible');
  if (!length.ok) problems.push(`caption is ${length.length} characters; Instagram takes at most ${length.max}`);
  const hashtags = count(request.text, HASHTAG);
  if (hashtags > INSTAGRAM_MAX_HASHTAGS) problems.push(`caption has ${hashtags} hashtags; Instagram takes at most ${INSTAGRAM_MAX_HASHTAGS}`);
  const mentions = count(request.text, MENTION);
  if (mentions > INSTAGRAM_MAX_MENTIONS) problems.push(`caption has ${mentions} @mentions; Instagram takes at most ${INSTAGRAM_MAX_MENTIONS}`);
  const videos = request.media.filter((m) => m.kind === 'video').length;
  if (postType === 'story') {
    if (request.media.length > 1) problems.push(`a story takes one image or video, not ${request.media.length}`);
    if (request.total > 1) problems.push('a story cannot be commented on, so it cannot carry a thread');
    if (collaborators.length > 0) problems.push('collaborators cannot be invited to a story');
  } else if (postType === 'reel') {
    if (request.media.length > 0 && (request.media.length !== 1 || videos !== 1)) problems.push('a reel takes exactly one video');
  } else if (request.media.length > INSTAGRAM_CAROUSEL_MAX) {
    problems.push(`${request.media.length} images and videos; an Instagram carousel takes at most ${INSTAGRAM_CAROUSEL_MAX}`);
  }
  const maxAlt = INSTAGRAM_RULES.media.maxAltText;
  request.media.forEach((m, i) => {
    if (m.alt_text && maxAlt !== undefined && [...m.alt_text].length > maxAlt) problems.push(`alt text of ${m.kind} ${i + 1} is longer than ${maxAlt} characters`);
  });
  return problems;
}

function collaboratorParam(collaborators: readonly string[]): GraphParams {
  return collaborators.length > 0 ? { collaborators: JSON.stringify(collaborators) } : {};
}

/**
 * `POST /{ig-user-id}/media` for a single image, reel or story
 * (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media#creating).
 * `alt_text` is taken for images only, not reels or stories.
 */
export function containerParams(plan: Exclude<InstagramPlan, { kind: 'carousel' }>, caption: string, settings: InstagramSettings): GraphParams {
  switch (plan.kind) {
    case 'image':
      return { image_url: plan.image.url, caption, ...(plan.image.alt_text ? { alt_text: plan.image.alt_text } : {}), ...collaboratorParam(settings.collaborators) };
    case 'reel':
      return { media_type: 'REELS', video_url: plan.video.url, caption, ...(plan.video.thumbnail_url ? { cover_url: plan.video.thumbnail_url } : {}), ...collaboratorParam(settings.collaborators) };
    case 'story':
      // Stories show no caption: the API takes none.
      return { media_type: 'STORIES', ...(plan.media.kind === 'video' ? { video_url: plan.media.url } : { image_url: plan.media.url }) };
  }
}

/** An item of a carousel: `is_carousel_item=true`, no caption of its own. */
export function carouselItemParams(item: MediaAttachment): GraphParams {
  return item.kind === 'video'
    ? { is_carousel_item: true, media_type: 'VIDEO', video_url: item.url }
    : { is_carousel_item: true, image_url: item.url, ...(item.alt_text ? { alt_text: item.alt_text } : {}) };
}

/** The carousel container, made of its finished items. */
export function carouselParams(childIds: readonly string[], caption: string, settings: InstagramSettings): GraphParams {
  return { media_type: 'CAROUSEL', children: childIds.join(','), caption, ...collaboratorParam(settings.collaborators) };
}

/** `POST /{ig-user-id}/media_publish` (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media_publish). */
export function publishParams(containerId: string): GraphParams {
  return { creation_id: containerId };
}

/** `POST /{ig-media-id}/comments` (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments#creating). */
export function commentParams(text: string): GraphParams {
  return { message: text };
}
