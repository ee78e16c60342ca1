import { reconnectMessage } from '../http/failure';
import { GraphParams } from '../facebook/graph';
import { MediaAttachment, PlatformAccount, PlatformError, SegmentRequest } from '../port';
import { THREADS_CAROUSEL_MAX, THREADS_NAME, THREADS_REPLY_CONTROLS, THREADS_RULES, threadsLength } from './rules';

export interface ThreadsCredentials {
  token: string;
  userId: string;
}

export function credentialsOf(account: PlatformAccount): ThreadsCredentials {
  const token = account.credentials.access_token;
  const userId = account.credentials.user_id;
  if (!token || !userId) throw new PlatformError('auth', reconnectMessage(THREADS_NAME, 'no access token or Threads user id is stored'));
  return { token, userId };
}

/** What Threads would refuse in this segment, found without a request. */
export function segmentProblems(request: Pick<SegmentRequest, 'text' | 'media' | 'settings'>): string[] {
  const problems: string[] = [];
  const max = THREADS_RULES.text.max;
  const length = threadsLength(request.text);
  if (length > max) problems.push(`text is ${length} characters (an emoji counts as its UTF-8 bytes); Threads takes at most ${max}`);
  if (request.text.trim() === '' && request.media.length === 0) problems.push('a Threads post needs text or media');
  if (request.media.length > THREADS_CAROUSEL_MAX) problems.push(`${request.media.length} images and videos; a Threads carousel takes at most ${THREADS_CAROUSEL_MAX}`);
  const maxAlt = THREADS_RULES.media.maxAltText;
  request.media.forEach((m, i) => {
    if (m.alt_text && maxAlt !== undefined && [...m.alt_text].length > maxAlt) problems.push(`alt text of ${m.kind} ${i + 1} is longer than ${maxAlt} characters`);
  });
  const control = request.settings.reply_control;
  if (control !== undefined && (typeof control !== 'string' || !THREADS_REPLY_CONTROLS.includes(control))) problems.push(`reply_control must be one of ${THREADS_REPLY_CONTROLS.join(', ')}`);
  return problems;
}

function mediaParams(item: MediaAttachment): GraphParams {
  return {
    media_type: item.kind === 'video' ? 'VIDEO' : 'IMAGE',
    ...(item.kind === 'video' ? { video_url: item.url } : { image_url: item.url }),
    ...(item.alt_text ? { alt_text: item.alt_text } : {}),
  };
}

/** Parameters every top-level container of the segment shares: the reply link and who may reply. */
function threadingParams(request: Pick<SegmentRequest, 'parent' | 'settings'>): GraphParams {
  const control = request.settings.reply_control;
  return {
    ...(request.parent ? { reply_to_id: request.parent.ref?.id ?? request.parent.post_id } : {}),
    ...(typeof control === 'string' ? { reply_control: control } : {}),
  };
}

/**
 * `POST /{threads-user-id}/threads` for a text post or a single image or video
 * (https://developers.facebook.com/docs/threads/reference/publishing#post---threads-user-id--threads).
 */
export function singleContainerParams(request: Pick<SegmentRequest, 'text' | 'media' | 'parent' | 'settings'>): GraphParams {
  const item = request.media[0];
  return {
    ...(item ? mediaParams(item) : { media_type: 'TEXT' }),
    ...(request.text !== '' ? { text: request.text } : {}),
    ...threadingParams(request),
  };
}

/** An item of a carousel (https://developers.facebook.com/docs/threads/posts#carousel-posts). */
export function carouselItemParams(item: MediaAttachment): GraphParams {
  return { ...mediaParams(item), is_carousel_item: true };
}

export function carouselParams(request: Pick<SegmentRequest, 'text' | 'parent' | 'settings'>, childIds: readonly string[]): GraphParams {
  return { media_type: 'CAROUSEL', children: childIds.join(','), ...(request.text !== '' ? { text: request.text } : {}), ...threadingParams(request) };
}

/** `POST /{threads-user-id}/threads_publish`. */
export function publishParams(containerId: string): GraphParams {
  return { creation_id: containerId };
}
