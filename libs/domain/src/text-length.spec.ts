import { checkLength, measure } from './text-length';
import { PLATFORM_RULES } from './platforms';

describe('measure', () => {
  it('counts X text the weighted way: URLs 23, CJK and emoji 2', () => {
    expect(measure('hello', PLATFORM_RULES.twitter.text)).toBe(5);
    expect(measure('see https://example.com/a/very/long/path/that/is/long', PLATFORM_RULES.twitter.text)).toBe(4 + 23);
    expect(measure('日本語', PLATFORM_RULES.twitter.text)).toBe(6);
    expect(measure('👍', PLATFORM_RULES.twitter.text)).toBe(2);
  });

  it('counts Bluesky graphemes and caps bytes', () => {
    expect(measure('👨‍👩‍👧‍👦', PLATFORM_RULES.bluesky.text)).toBe(1);
    const family = '👨‍👩‍👧‍👦'.repeat(200); // 200 graphemes, 5,000 bytes
    const check = checkLength(family, PLATFORM_RULES.bluesky.text);
    expect(check.length).toBe(200);
    expect(check.ok).toBe(false);
    expect(check.bytes).toBeGreaterThan(3000);
  });

  it('counts Mastodon URLs as 23 characters', () => {
    expect(measure('a https://example.com/' + 'x'.repeat(100) + ' b', PLATFORM_RULES.mastodon.text)).toBe(2 + 23 + 2);
  });

  it('counts code points elsewhere', () => {
    expect(measure('é😀', PLATFORM_RULES.linkedin.text)).toBe(2);
  });
});

describe('checkLength on long texts', () => {
  it('stops counting graphemes past the limit, so a huge text is cheap to refuse', () => {
    const check = checkLength('é👍'.repeat(50_000), PLATFORM_RULES.bluesky.text);
    expect(check).toMatchObject({ ok: false, atLeast: true, length: 301 });
  });

  it('counts Latin text exactly without segmenting', () => {
    expect(checkLength('ça va', PLATFORM_RULES.bluesky.text)).toMatchObject({ ok: true, length: 5 });
  });
});
