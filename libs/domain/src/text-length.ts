import { parseTweet } from 'twitter-text';
import { TextLimit } from './platforms';

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
// Good enough to find URLs the way Mastodon does (http/https with a host).
const URL_PATTERN = /https?:\/\/[^\s<>"']+/gi;

/**
 * Counting stops after `stopAfter` graphemes: segmenting is slow on long texts (it grows
 * faster than the length on Node 20), and a limit check only needs to know "over".
 */
export function graphemeCount(text: string, stopAfter = Number.POSITIVE_INFINITY): number {
  // Without combining marks, ZWJ sequences, surrogates or CR LF, every UTF-16 unit is a grapheme.
  if (/^[\u0020-\u007e\u00a0-\u02ff]*$/.test(text)) return Math.min(text.length, stopAfter);
  let n = 0;
  for (const _ of graphemes.segment(text)) {
    if (++n >= stopAfter) return n;
  }
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

/** Length of `text` in the unit the limit is expressed in (graphemes: counted up to `stopAfter`). */
export function measure(text: string, limit: TextLimit, stopAfter?: number): number {
  switch (limit.unit) {
    case 'weighted':
      return parseTweet(text).weightedLength;
    case 'graphemes':
      return graphemeCount(text, stopAfter);
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
  /** When `atLeast`, counting stopped there: the text is at least this long. */
  length: number;
  atLeast?: boolean;
  max: number;
  bytes?: number;
  maxBytes?: number;
  ok: boolean;
}

export function checkLength(text: string, limit: TextLimit): LengthCheck {
  const stopAfter = limit.unit === 'graphemes' ? limit.max + 1 : undefined;
  const length = measure(text, limit, stopAfter);
  const atLeast = stopAfter !== undefined && length >= stopAfter ? { atLeast: true } : {};
  if (limit.maxBytes === undefined) return { length, max: limit.max, ok: length <= limit.max, ...atLeast };
  const bytes = utf8Bytes(text);
  return { length, max: limit.max, bytes, maxBytes: limit.maxBytes, ok: length <= limit.max && bytes <= limit.maxBytes, ...atLeast };
}
