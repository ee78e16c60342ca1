import { PlatformRules, rulesOf } from '../../../domain';

export const TIKTOK_RULES: PlatformRules = rulesOf('tiktok');
export const TIKTOK_NAME = TIKTOK_RULES.name;

/** Content Posting API host; an account's `base_url` points at another (a test fake). */
export const TIKTOK_API_BASE = 'https://open.tiktokapis.com';
export const TIKTOK_WEB = 'https://www.tiktok.com';
/** TikTok documents its JSON endpoints with this exact content type. */
export const TIKTOK_JSON = 'application/json; charset=UTF-8';

/** A video's caption (`post_info.title`): 2,200 UTF-16 code units. */
export const TIKTOK_MAX_VIDEO_CAPTION = TIKTOK_RULES.text.max;
/** A photo post's `title` (90) and `description` (4,000), in UTF-16 code units. */
export const TIKTOK_MAX_PHOTO_TITLE = TIKTOK_RULES.settings.title?.type === 'string' ? TIKTOK_RULES.settings.title.maxLength : 90;
export const TIKTOK_MAX_PHOTO_DESCRIPTION = 4000;
export const TIKTOK_MIN_PHOTOS = 2;
export const TIKTOK_MAX_PHOTOS = TIKTOK_RULES.media.maxImages;
/** Photo posts take JPEG and WebP only (no PNG), each up to 20 MB. */
export const TIKTOK_PHOTO_TYPES: readonly string[] = ['image/jpeg', 'image/webp'];
export const TIKTOK_MAX_PHOTO_BYTES = 20_000_000;

/** `/v2/post/publish/*` init allows 6 requests a minute per token (a sliding minute). */
export const TIKTOK_RATE_WINDOW_MS = 60_000;
/** The daily posting cap (`spam_risk_too_many_posts`) has no reset time; try again in an hour. */
export const TIKTOK_DAILY_CAP_RETRY_MS = 60 * 60_000;
