import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Bytes at or above this would favour the first characters of the alphabet (256 % 62 != 0). */
const UNBIASED_LIMIT = 62 * 4;
const RANDOM_LENGTH = 20;
const POST_ID = /^post_[0-9A-Za-z]{1,64}$/;

export function randomBase62(length: number): string {
  let text = '';
  while (text.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= UNBIASED_LIMIT) continue;
      text += BASE62[byte % 62];
      if (text.length === length) break;
    }
  }
  return text;
}

export function newPostId(): string {
  return `post_${randomBase62(RANDOM_LENGTH)}`;
}

export function newPublishId(): string {
  return `pub_${randomBase62(RANDOM_LENGTH)}`;
}

/** Whether a path parameter could name a post at all (anything else is answered 404 without a lookup). */
export function isPostId(value: unknown): value is string {
  return typeof value === 'string' && POST_ID.test(value);
}
