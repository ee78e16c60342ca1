import { PlatformRules, rulesOf } from '../../../domain';

export const YOUTUBE_RULES: PlatformRules = rulesOf('youtube');
export const YOUTUBE_NAME = YOUTUBE_RULES.name;

/** Google's API host, serving both the upload and the Data API paths; an account's `base_url` replaces it. */
export const YOUTUBE_API_ORIGIN = 'https://www.googleapis.com';
export const YOUTUBE_UPLOAD_PATH = '/upload/youtube/v3/videos';
export const YOUTUBE_DATA_PATH = '/youtube/v3';
export const YOUTUBE_WATCH_URL = 'https://www.youtube.com/watch';

/** videos.insert: `snippet.title` 1–100 characters, `snippet.description` up to 5,000 bytes, neither with `<` or `>`. */
export const YOUTUBE_MAX_TITLE = YOUTUBE_RULES.settings.title?.type === 'string' ? YOUTUBE_RULES.settings.title.maxLength : 100;
export const YOUTUBE_MAX_DESCRIPTION_BYTES = 5000;
/** `snippet.tags`: 500 characters in all, a tag with a space counting its quotes. */
export const YOUTUBE_MAX_TAGS_LENGTH = 500;
/** A comment's `textOriginal`. */
export const YOUTUBE_MAX_COMMENT = 10_000;
export const YOUTUBE_DEFAULT_PRIVACY = 'public';

/** Daily quota resets at midnight Pacific Time. */
export const YOUTUBE_QUOTA_TIME_ZONE = 'America/Los_Angeles';
