import { parseTweet } from 'twitter-text';
import { TextLimit } from './platforms';

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
// Good enough to find URLs the way Mastodon does (http/https with a host).
const URL_PATTERN = /https?:\/\/[^\s<>"']+/gi;

export function graphemeCount(text: string): number {
  let n = 0;
  for (const _ of graphemes.segment(text)) n++;
  return n;
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function codePointCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Length of `text` in the unit the limit is expressed in. */
export function measure(text: string, limit: TextLimit): number {
  switch (limit.unit) {
    case 'weighted':
      return parseTweet(text).weightedLength;
    case 'graphemes':
      return graphemeCount(text);
    case 'characters': {
      if (limit.urlLength === undefined) return codePointCount(text);
      let length = 0;
      let last = 0;
      for (const match of text.matchAll(URL_PATTERN)) {
        length += codePointCount(text.slice(last, match.index)) + limit.urlLength;
        last = (match.index ?? 0) + match[0].length;
      }
      return length + codePointCount(text.slice(last));
    }
  }
}

export interface LengthCheck {
  length: number;
  max: number;
  bytes?: number;
  maxBytes?: number;
  ok: boolean;
}

export function checkLength(text: string, limit: TextLimit): LengthCheck {
  const length = measure(text, limit);
  if (limit.maxBytes === undefined) return { length, max: limit.max, ok: length <= limit.max };
  const bytes = utf8Bytes(text);
  return { length, max: limit.max, bytes, maxBytes: limit.maxBytes, ok: length <= limit.max && bytes <= limit.maxBytes };
}
