import { PlatformRules, rulesOf } from '../../../domain';

export const MASTODON_RULES: PlatformRules = rulesOf('mastodon');
export const MASTODON_NAME = MASTODON_RULES.name;

/** What an instance allows; each instance says in `GET /api/v2/instance`. */
export interface InstanceLimits {
  maxCharacters: number;
  charactersReservedPerUrl: number;
  maxMediaAttachments: number;
  /** Longest media description (alt text). */
  descriptionLimit: number;
  imageSizeLimit: number;
  videoSizeLimit: number;
}

/** Mastodon's own defaults, used for whatever an instance does not report. */
export const MASTODON_DEFAULT_LIMITS: InstanceLimits = {
  maxCharacters: MASTODON_RULES.text.max,
  charactersReservedPerUrl: MASTODON_RULES.text.urlLength ?? 23,
  maxMediaAttachments: MASTODON_RULES.media.maxImages,
  descriptionLimit: MASTODON_RULES.media.maxAltText ?? 1500,
  imageSizeLimit: MASTODON_RULES.media.maxImageBytes ?? 16_777_216,
  videoSizeLimit: 103_809_024,
};

/** An instance's limits are read again after this long. */
export const INSTANCE_LIMITS_TTL_MS = 60 * 60 * 1000;

/** Mastodon tells when a rate limit resets as an ISO time. */
export const MASTODON_RATE_LIMIT_HEADERS: readonly string[] = ['x-ratelimit-reset'];

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
// As Mastodon's extractor: only URLs with a scheme; trailing punctuation is not part of the URL.
const URL_PATTERN = /https?:\/\/[^\s<>"']+?(?=[.,:;!?)\]'"]*(?:\s|$))/gi;
// Account::MENTION_RE: `@user@domain` counts only as `@user`.
const MENTION_PATTERN = /(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)@[\w]+(?:[.-]+[\w]+)*/gi;

/**
 * Length as Mastodon's StatusLengthValidator counts it: grapheme clusters of the content
 * warning plus the text, every URL as `charactersReservedPerUrl`, remote mentions
 * without their domain.
 */
export function statusLength(text: string, spoilerText: string, charactersReservedPerUrl: number): number {
  const countable = text.replace(URL_PATTERN, 'x'.repeat(charactersReservedPerUrl)).replace(MENTION_PATTERN, '@$1');
  let n = 0;
  for (const _ of graphemes.segment(spoilerText + countable)) n++;
  return n;
}
