import { PlatformRules, rulesOf } from '../../../domain';

export const THREADS_RULES: PlatformRules = rulesOf('threads');
export const THREADS_NAME = THREADS_RULES.name;

/** https://developers.facebook.com/docs/threads/reference/publishing */
export const THREADS_GRAPH_HOST = 'https://graph.threads.net';
export const THREADS_API_VERSION = 'v1.0';
export const THREADS_WEB = 'https://www.threads.net';

/** A carousel holds 2 to 20 images and videos. */
export const THREADS_CAROUSEL_MAX = THREADS_RULES.media.maxImages;

/** `reply_control` values the API takes (the rules' settings allow the first three). */
export const THREADS_REPLY_CONTROLS: readonly string[] = ['everyone', 'accounts_you_follow', 'mentioned_only', 'parent_post_author_only', 'followers_only'];

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;

/**
 * Length as Threads counts a post's `text`: 500 characters, where "emojis are counted
 * as the number of UTF-8 bytes" (https://developers.facebook.com/docs/threads/posts),
 * so a 😀 takes 4 of the 500 and a flag 8.
 */
export function threadsLength(text: string): number {
  let length = 0;
  for (const { segment } of graphemes.segment(text)) {
    length += EMOJI.test(segment) ? Buffer.byteLength(segment, 'utf8') : [...segment].length;
  }
  return length;
}
