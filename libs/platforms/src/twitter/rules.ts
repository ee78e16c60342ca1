import { parseTweet } from 'twitter-text';
import { PlatformRules, rulesOf } from '../../../domain';

export const TWITTER_RULES: PlatformRules = rulesOf('twitter');
export const TWITTER_NAME = TWITTER_RULES.name;

/** X API v2 (https://docs.x.com/x-api). */
export const X_API_BASE = 'https://api.x.com';
export const X_WEB = 'https://x.com';

/**
 * When a limit resets, in epoch seconds: the endpoint's 15-minute window, and the
 * 24-hour caps on posting (https://docs.x.com/x-api/fundamentals/rate-limits).
 */
export const X_RATE_LIMIT_RESET = 'x-rate-limit-reset';
export const X_USER_DAILY_REMAINING = 'x-user-limit-24hour-remaining';
export const X_USER_DAILY_RESET = 'x-user-limit-24hour-reset';
export const X_APP_DAILY_REMAINING = 'x-app-limit-24hour-remaining';
export const X_APP_DAILY_RESET = 'x-app-limit-24hour-reset';

/** Media limits of a post (https://docs.x.com/x-api/media/quickstart/best-practices). */
export const X_MAX_IMAGE_BYTES = TWITTER_RULES.media.maxImageBytes ?? 5_000_000;
export const X_MAX_GIF_BYTES = 15_000_000;
export const X_MAX_VIDEO_BYTES = 512_000_000;
export const X_IMAGE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/webp'];
export const X_VIDEO_TYPES: readonly string[] = ['video/mp4', 'video/quicktime'];
/** APPEND takes chunks of at most 5 MB; smaller chunks fail less on slow links. */
export const X_CHUNK_BYTES = 4 * 1024 * 1024;

/** `who_can_reply` setting to the API's `reply_settings`; everyone is the default and is not sent. */
export const X_REPLY_SETTINGS: Readonly<Record<string, string | undefined>> = {
  everyone: undefined,
  following: 'following',
  mentionedUsers: 'mentionedUsers',
  subscribers: 'subscribers',
  verified: 'verified',
};

/** X's weighted length (URLs 23, CJK and emoji 2, NFC), as `twitter-text` computes it. */
export function tweetLength(text: string): number {
  return parseTweet(text).weightedLength;
}
