import { PlatformRules, rulesOf } from '../../../domain';

export const LINKEDIN_RULES: PlatformRules = rulesOf('linkedin');
export const LINKEDIN_NAME = LINKEDIN_RULES.name;

/** https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api */
export const LINKEDIN_API_BASE = 'https://api.linkedin.com';
export const LINKEDIN_WEB = 'https://www.linkedin.com';

/**
 * `LinkedIn-Version` (YYYYMM). Each version is served for about a year: 202510 was sunset
 * on 2026-10-15; 202607 (July 2026) is the latest listed. Override with the adapter's `version`.
 * https://learn.microsoft.com/linkedin/marketing/versioning
 */
export const LINKEDIN_VERSION = '202607';
/** Rest.li protocol of the versioned API; required on every call. */
export const RESTLI_PROTOCOL_VERSION = '2.0.0';

/** A comment's `message.text` (Comments API). */
export const LINKEDIN_COMMENT_MAX = 1250;
/** `multiImage` holds 2 to 20 images. */
export const LINKEDIN_MAX_IMAGES = LINKEDIN_RULES.media.maxImages;

/**
 * Characters the "little" text format of `commentary` reserves; unescaped, LinkedIn
 * drops the rest of the post from the first one.
 * https://learn.microsoft.com/linkedin/marketing/community-management/shares/little-text-format
 */
export const LITTLE_TEXT_RESERVED = '\\|{}@[]()<>#*_~';

const WORD = /[\p{L}\p{N}_]/u;
const TAG_START = /[\p{L}\p{N}]/u;

// `#word` is little's HashtagElement: it stays a live hashtag, any other `#` is escaped.
function startsHashtag(text: string, i: number): boolean {
  const previous = i > 0 ? text[i - 1] : '';
  return (previous === '' || !WORD.test(previous)) && TAG_START.test(text[i + 1] ?? '');
}

/** `commentary` in little text: every reserved character backslash-escaped except the `#` of a hashtag. */
export function littleText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    out += LITTLE_TEXT_RESERVED.includes(c) && !(c === '#' && startsHashtag(text, i)) ? `\\${c}` : c;
  }
  return out;
}
