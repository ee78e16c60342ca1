import { PlatformRules, rulesOf } from '../../../domain';

export const TELEGRAM_RULES: PlatformRules = rulesOf('telegram');
export const TELEGRAM_NAME = TELEGRAM_RULES.name;

/** Bot API host; an account's `base_url` points at another (a local Bot API server, a test fake). */
export const TELEGRAM_API_BASE = 'https://api.telegram.org';
export const TELEGRAM_PUBLIC_LINK_BASE = 'https://t.me';

/** sendPhoto: a photo of at most 10 MB, width + height at most 10,000. */
export const TELEGRAM_MAX_PHOTO_BYTES = TELEGRAM_RULES.media.maxImageBytes ?? 10_000_000;
export const TELEGRAM_MAX_PHOTO_SIDES = 10_000;
/** Any other file a bot uploads (video, animation): 50 MB. */
export const TELEGRAM_MAX_UPLOAD_BYTES = 50_000_000;
/** sendMediaGroup: an album of 2 to 10 photos and videos. */
export const TELEGRAM_MIN_ALBUM = 2;
export const TELEGRAM_MAX_ALBUM = TELEGRAM_RULES.media.maxImages;

/** Supergroups and channels have ids `-100<n>`; their private links use `<n>`. */
export const TELEGRAM_SUPERGROUP_PREFIX = '-100';
