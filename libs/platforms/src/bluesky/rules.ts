import { PlatformRules, rulesOf } from '../../../domain';

export const BLUESKY_RULES: PlatformRules = rulesOf('bluesky');
export const BLUESKY_NAME = BLUESKY_RULES.name;

/** The public PDS entryway; an account's `base_url` points at another PDS. */
export const BLUESKY_DEFAULT_SERVICE = 'https://bsky.social';
export const BLUESKY_POST_COLLECTION = 'app.bsky.feed.post';
export const BLUESKY_APP_URL = 'https://bsky.app';

/** `app.bsky.embed.images`: blob size cap per image. */
export const BLUESKY_MAX_IMAGE_BYTES = BLUESKY_RULES.media.maxImageBytes ?? 2_000_000;
/** `app.bsky.embed.video`: an MP4 of at most 100 MB. */
export const BLUESKY_MAX_VIDEO_BYTES = 100_000_000;
export const BLUESKY_VIDEO_TYPES: readonly string[] = ['video/mp4'];
/** `app.bsky.embed.video#alt` is capped at 1,000 graphemes (images take the rules' `maxAltText`). */
export const BLUESKY_MAX_VIDEO_ALT = 1000;

/** The PDS tells when a rate limit resets in epoch seconds. */
export const BLUESKY_RATE_LIMIT_HEADERS: readonly string[] = ['ratelimit-reset'];
