import { reconnectMessage } from '../http/failure';
import { MediaAttachment, PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import {
  TIKTOK_API_BASE,
  TIKTOK_MAX_PHOTO_DESCRIPTION,
  TIKTOK_MAX_PHOTO_TITLE,
  TIKTOK_MAX_PHOTOS,
  TIKTOK_MAX_VIDEO_CAPTION,
  TIKTOK_MIN_PHOTOS,
  TIKTOK_NAME,
  TIKTOK_WEB,
} from './rules';

export interface TiktokCreator {
  base: string;
  token: string;
}

export function creatorOf(account: PlatformAccount, defaultBase: string = TIKTOK_API_BASE): TiktokCreator {
  const token = account.credentials.access_token;
  if (!token) throw new PlatformError('auth', reconnectMessage(TIKTOK_NAME, 'no access token is stored'));
  return { base: (account.base_url ?? defaultBase).replace(/\/+$/, ''), token };
}

export interface TiktokSettings {
  privacyLevel?: string;
  allowComment?: boolean;
  allowDuet?: boolean;
  allowStitch?: boolean;
  title?: string;
}

export function settingsOf(settings: Record<string, unknown>): TiktokSettings {
  const flag = (key: string) => (typeof settings[key] === 'boolean' ? (settings[key] as boolean) : undefined);
  const out: TiktokSettings = {};
  if (typeof settings.privacy_level === 'string') out.privacyLevel = settings.privacy_level;
  if (flag('allow_comment') !== undefined) out.allowComment = flag('allow_comment');
  if (flag('allow_duet') !== undefined) out.allowDuet = flag('allow_duet');
  if (flag('allow_stitch') !== undefined) out.allowStitch = flag('allow_stitch');
  if (typeof settings.title === 'string' && settings.title.trim() !== '') out.title = settings.title;
  return out;
}

export type TiktokPostKind = 'video' | 'photo';

export function postKind(media: readonly Pick<MediaAttachment, 'kind'>[]): TiktokPostKind {
  return media.some((m) => m.kind === 'video') ? 'video' : 'photo';
}

/** TikTok counts its limits in UTF-16 code units ("runes"), which is what `length` gives. */
function units(text: string): number {
  return text.length;
}

type CheckInput = Pick<SegmentRequest, 'text' | 'media' | 'index' | 'total' | 'settings'>;

/** What TikTok would refuse in this segment (each segment is its own post), found without any request. */
export function segmentProblems(request: CheckInput): string[] {
  const problems: string[] = [];
  const which = request.total > 1 ? `segment ${request.index + 1}` : 'the post';
  const videos = request.media.filter((m) => m.kind === 'video').length;
  const photos = request.media.length - videos;
  if (request.media.length === 0) {
    problems.push(`${which} has no video or photos; TikTok posts need a video or ${TIKTOK_MIN_PHOTOS} to ${TIKTOK_MAX_PHOTOS} photos, so it cannot be posted to TikTok`);
    return problems;
  }
  if (videos > 0 && photos > 0) problems.push(`${which} mixes a video and photos; a TikTok post is a video or photos, not both`);
  else if (videos > 1) problems.push(`${which} has ${videos} videos; a TikTok post takes one`);
  else if (videos === 0 && (photos < TIKTOK_MIN_PHOTOS || photos > TIKTOK_MAX_PHOTOS)) {
    problems.push(`${which} has ${photos} photo${photos === 1 ? '' : 's'}; a TikTok photo post takes ${TIKTOK_MIN_PHOTOS} to ${TIKTOK_MAX_PHOTOS}`);
  }
  if (videos > 0 && units(request.text) > TIKTOK_MAX_VIDEO_CAPTION) problems.push(`the caption of ${which} is ${units(request.text)} characters (UTF-16); TikTok takes at most ${TIKTOK_MAX_VIDEO_CAPTION}`);
  if (videos === 0) {
    if (units(request.text) > TIKTOK_MAX_PHOTO_DESCRIPTION) problems.push(`the description of ${which} is ${units(request.text)} characters (UTF-16); TikTok takes at most ${TIKTOK_MAX_PHOTO_DESCRIPTION}`);
    const title = settingsOf(request.settings).title;
    if (title !== undefined && units(title) > TIKTOK_MAX_PHOTO_TITLE) problems.push(`the photo title is ${units(title)} characters; TikTok takes at most ${TIKTOK_MAX_PHOTO_TITLE}`);
  }
  return problems;
}

/** What `creator_info/query` says about the account. */
export interface CreatorInfo {
  username?: string;
  privacyOptions: string[];
  commentDisabled: boolean;
  duetDisabled: boolean;
  stitchDisabled: boolean;
}

export function creatorInfoOf(data: unknown): CreatorInfo {
  const d = (data ?? {}) as Record<string, unknown>;
  return {
    ...(typeof d.creator_username === 'string' && d.creator_username !== '' ? { username: d.creator_username } : {}),
    privacyOptions: Array.isArray(d.privacy_level_options) ? d.privacy_level_options.filter((o): o is string => typeof o === 'string') : [],
    commentDisabled: d.comment_disabled === true,
    duetDisabled: d.duet_disabled === true,
    stitchDisabled: d.stitch_disabled === true,
  };
}

/**
 * The privacy level to post with: the person's choice, never a default (TikTok's Direct
 * Post guidelines: "the privacy level ... must be selected by the user manually, with no
 * default value", https://developers.tiktok.com/doc/content-sharing-guidelines). It must be
 * one of the account's `privacy_level_options` from creator_info (TikTok refuses others).
 */
export function privacyFor(settings: TiktokSettings, creator: CreatorInfo): string {
  const options = creator.privacyOptions;
  const wanted = settings.privacyLevel;
  if (wanted === undefined) throw new PlatformError('rejected', `${TIKTOK_NAME} needs the privacy level chosen for each post: set platform_settings.tiktok.privacy_level to one of this account's options: ${options.join(', ')}`);
  if (!options.includes(wanted)) throw new PlatformError('rejected', `${TIKTOK_NAME} does not allow privacy_level ${wanted} for this account; it allows ${options.join(', ') || 'none'}`);
  return wanted;
}

/** The interaction switches, inverted into TikTok's `disable_*`; what the creator turned off stays off. */
function disabled(allowed: boolean | undefined, creatorDisabled: boolean): boolean {
  return creatorDisabled || allowed === false;
}

/** `POST /v2/post/publish/video/init/` body: direct post of a video TikTok pulls from its URL. */
export function videoInitBody(text: string, settings: TiktokSettings, creator: CreatorInfo, privacy: string, videoUrl: string): Record<string, unknown> {
  return {
    post_info: {
      title: text,
      privacy_level: privacy,
      disable_duet: disabled(settings.allowDuet, creator.duetDisabled),
      disable_comment: disabled(settings.allowComment, creator.commentDisabled),
      disable_stitch: disabled(settings.allowStitch, creator.stitchDisabled),
    },
    source_info: { source: 'PULL_FROM_URL', video_url: videoUrl },
  };
}

/** `POST /v2/post/publish/content/init/` body: direct post of photos TikTok pulls from their URLs. */
export function photoInitBody(text: string, settings: TiktokSettings, creator: CreatorInfo, privacy: string, photoUrls: readonly string[]): Record<string, unknown> {
  return {
    post_info: {
      ...(settings.title !== undefined ? { title: settings.title } : {}),
      description: text,
      privacy_level: privacy,
      disable_comment: disabled(settings.allowComment, creator.commentDisabled),
    },
    source_info: { source: 'PULL_FROM_URL', photo_images: [...photoUrls], photo_cover_index: 0 },
    post_mode: 'DIRECT_POST',
    media_type: 'PHOTO',
  };
}

/**
 * Post ids exactly as TikTok wrote them: they are 64-bit integers, which `JSON.parse`
 * would round, so they are read from the raw body (`publicaly_available_post_id`, sic).
 */
export function publicPostIds(rawBody: string): string[] {
  const match = /"publicaly_available_post_id"\s*:\s*\[([^\]]*)\]/.exec(rawBody);
  if (!match) return [];
  return match[1]
    .split(',')
    .map((id) => id.trim().replace(/^"|"$/g, ''))
    .filter((id) => /^\d+$/.test(id));
}

/**
 * A post's public URL: `https://www.tiktok.com/@<username>/video/<id>` (`/photo/` for photo
 * posts). The username comes from `creator_info/query`, which the adapter calls anyway;
 * without it the embed player's URL, which needs no username, is used.
 */
export function postUrl(username: string | undefined, id: string, kind: TiktokPostKind): string {
  if (!username) return `${TIKTOK_WEB}/player/v1/${id}`;
  return `${TIKTOK_WEB}/@${username}/${kind}/${id}`;
}

/** A published post whose id TikTok withholds (private posts, moderation still going): its publish_id and the profile. */
export function unlistedRef(username: string | undefined, publishId: string): SegmentRef {
  return { post_id: publishId, post_url: username ? `${TIKTOK_WEB}/@${username}` : TIKTOK_WEB, ref: { publish_id: publishId } };
}

export function postRef(username: string | undefined, id: string, kind: TiktokPostKind, publishId: string): SegmentRef {
  return { post_id: id, post_url: postUrl(username, id, kind), ref: { post_id: id, publish_id: publishId } };
}
