import { checkLength } from '../../../domain';
import { reconnectMessage } from '../http/failure';
import { PlatformAccount, PlatformError, SegmentRequest } from '../port';
import { LINKEDIN_COMMENT_MAX, LINKEDIN_MAX_IMAGES, LINKEDIN_NAME, LINKEDIN_RULES, LINKEDIN_WEB, littleText, RESTLI_PROTOCOL_VERSION } from './rules';

export interface LinkedInCredentials {
  token: string;
  /** `urn:li:person:...` or `urn:li:organization:...`: who posts and comments. */
  author: string;
}

const AUTHOR = /^urn:li:(person|organization):[^\s]+$/;

export function credentialsOf(account: PlatformAccount): LinkedInCredentials {
  const token = account.credentials.access_token;
  const author = account.credentials.author_urn;
  if (!token || !author) throw new PlatformError('auth', reconnectMessage(LINKEDIN_NAME, 'no access token or author URN is stored'));
  if (!AUTHOR.test(author)) throw new PlatformError('rejected', `the ${LINKEDIN_NAME} account's author_urn "${author}" is not a person or organization URN (urn:li:person:... or urn:li:organization:...)`);
  return { token, author };
}

/** Headers every versioned call needs (https://learn.microsoft.com/linkedin/marketing/versioning). */
export function apiHeaders(token: string, version: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'linkedin-version': version, 'x-restli-protocol-version': RESTLI_PROTOCOL_VERSION };
}

/** What LinkedIn would refuse in this segment, found without a request. */
export function segmentProblems(request: Pick<SegmentRequest, 'text' | 'media' | 'index'>): string[] {
  const problems: string[] = [];
  const images = request.media.filter((m) => m.kind === 'image').length;
  const videos = request.media.filter((m) => m.kind === 'video').length;
  if (request.index > 0) {
    // Later segments are comments: text and at most one image.
    const length = checkLength(request.text, { max: LINKEDIN_COMMENT_MAX, unit: 'characters' });
    if (!length.ok) problems.push(`comment ${request.index} is ${length.length} characters; a LinkedIn comment takes at most ${LINKEDIN_COMMENT_MAX}`);
    if (videos > 0 || images > 1) problems.push(`comment ${request.index} has ${request.media.length} attachments; a LinkedIn comment takes one image at most`);
    if (request.text.trim() === '') problems.push(`comment ${request.index} is empty`);
    return problems;
  }
  const length = checkLength(request.text, LINKEDIN_RULES.text);
  if (!length.ok) problems.push(`text is ${length.length} characters; LinkedIn takes at most ${length.max}`);
  if (images > LINKEDIN_MAX_IMAGES) problems.push(`${images} images; a LinkedIn post takes at most ${LINKEDIN_MAX_IMAGES}`);
  if (videos > 1) problems.push(`${videos} videos; a LinkedIn post takes one`);
  if (images > 0 && videos > 0) problems.push('a LinkedIn post takes images or a video, not both');
  const maxAlt = LINKEDIN_RULES.media.maxAltText;
  request.media.forEach((m, i) => {
    if (m.alt_text && maxAlt !== undefined && [...m.alt_text].length > maxAlt) problems.push(`alt text of ${m.kind} ${i + 1} is longer than ${maxAlt} characters`);
  });
  return problems;
}

export interface UploadedMedia {
  urn: string;
  altText?: string;
}

/** `content` of a post: one image or video, or a `multiImage` of several. */
export function postContent(media: readonly UploadedMedia[], kind: 'image' | 'video'): Record<string, unknown> | undefined {
  if (media.length === 0) return undefined;
  if (media.length === 1) return { media: { id: media[0].urn, ...(kind === 'image' && media[0].altText ? { altText: media[0].altText } : {}) } };
  return { multiImage: { images: media.map((m) => ({ id: m.urn, ...(m.altText ? { altText: m.altText } : {}) })) } };
}

/** `POST /rest/posts` body (https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api#create-a-post). */
export function postBody(author: string, text: string, settings: Record<string, unknown>, content: Record<string, unknown> | undefined): Record<string, unknown> {
  const visibility = typeof settings.visibility === 'string' ? settings.visibility : 'PUBLIC';
  return {
    author,
    commentary: littleText(text),
    visibility,
    distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
    ...(content ? { content } : {}),
    lifecycleState: 'PUBLISHED',
    isReshareDisabledByAuthor: false,
  };
}

/**
 * `POST /rest/socialActions/{post urn}/comments` body. A comment's `message.text` is plain
 * text with attributes, not little text: nothing is escaped.
 * https://learn.microsoft.com/linkedin/marketing/community-management/shares/comments-api#create-a-comment
 */
export function commentBody(author: string, postUrn: string, text: string, imageUrn: string | undefined): Record<string, unknown> {
  return { actor: author, object: postUrn, message: { text }, ...(imageUrn ? { content: [{ entity: { image: imageUrn } }] } : {}) };
}

/** `POST /rest/images?action=initializeUpload` (https://learn.microsoft.com/linkedin/marketing/community-management/shares/images-api). */
export function initializeImageBody(owner: string): Record<string, unknown> {
  return { initializeUploadRequest: { owner } };
}

/** `POST /rest/videos?action=initializeUpload` (https://learn.microsoft.com/linkedin/marketing/community-management/shares/videos-api). */
export function initializeVideoBody(owner: string, fileSizeBytes: number): Record<string, unknown> {
  return { initializeUploadRequest: { owner, fileSizeBytes, uploadCaptions: false, uploadThumbnail: false } };
}

export function finalizeVideoBody(video: string, uploadToken: string, uploadedPartIds: readonly string[]): Record<string, unknown> {
  return { finalizeUploadRequest: { video, uploadToken, uploadedPartIds } };
}

export function urnPath(urn: string): string {
  return encodeURIComponent(urn);
}

export function postUrl(urn: string): string {
  return `${LINKEDIN_WEB}/feed/update/${urn}`;
}

export function commentUrl(postUrn: string, commentUrn: string): string {
  return `${postUrl(postUrn)}?commentUrn=${encodeURIComponent(commentUrn)}`;
}
