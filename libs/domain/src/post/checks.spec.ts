import { checkPost } from './checks';
import { threadFor } from './thread';
import type { PostContent } from './post';

const post = (over: Partial<PostContent>): PostContent => ({
  content: 'hello',
  platforms: ['twitter'],
  media: null,
  segments: null,
  tags: [],
  platform_overrides: {},
  platform_settings: {},
  timezone: 'UTC',
  accounts: null,
  ...over,
});

describe('checkPost', () => {
  it('accepts a post every platform takes', () => {
    expect(checkPost(post({ platforms: ['twitter', 'bluesky', 'mastodon', 'linkedin'] }))).toEqual([]);
  });

  it('names the platform and the field of each problem', () => {
    const problems = checkPost(
      post({
        content: 'x'.repeat(400),
        platforms: ['twitter', 'bluesky', 'mastodon', 'instagram', 'youtube'],
        segments: [{ content: 'y'.repeat(290) }],
        platform_overrides: { mastodon: 'short' },
      }),
    );
    const seen = problems.map((p) => `${p.platform}:${p.field}:${p.code}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        'twitter:content:too_long',
        'twitter:segments[0].content:too_long',
        'bluesky:content:too_long',
        'instagram:media:media_required',
        'youtube:media.video:video_required',
      ]),
    );
    expect(seen.filter((s) => s.startsWith('mastodon'))).toEqual([]);
    expect(seen).not.toContain('bluesky:segments[0].content:too_long');
  });

  it('uses the caption limit when a Telegram post carries media', () => {
    const withImage = post({ platforms: ['telegram'], content: 'x'.repeat(2000), media: { images: [{ url: 'https://a/i.png' }], video: null } });
    expect(checkPost(withImage)).toEqual([expect.objectContaining({ platform: 'telegram', code: 'too_long' })]);
    expect(checkPost({ ...withImage, media: null })).toEqual([]);
  });

  it('checks platform settings against the rules', () => {
    const problems = checkPost(
      post({ platforms: ['youtube'], media: { images: [], video: { url: 'https://a/v.mp4' } }, platform_settings: { youtube: { title: 'x'.repeat(101), privacy: 'secret', colour: 'red' } } }),
    );
    expect(problems.map((p) => p.field).sort()).toEqual(['platform_settings.youtube.colour', 'platform_settings.youtube.privacy', 'platform_settings.youtube.title']);
  });
});

describe('threadFor', () => {
  it('adds (i/n) counters for platforms that post threads as separate posts', () => {
    const thread = threadFor(post({ segments: [{ content: 'two' }, { content: 'three' }] }), 'tiktok');
    expect(thread.map((s) => s.text)).toEqual(['hello (1/3)', 'two (2/3)', 'three (3/3)']);
  });

  it('uses the platform override for the main post only', () => {
    const thread = threadFor(post({ platform_overrides: { bluesky: 'hi bsky' }, segments: [{ content: 'r', media_urls: ['https://a/v.mp4', 'https://a/i.jpg'] }] }), 'bluesky');
    expect(thread[0].text).toBe('hi bsky');
    expect(thread[1]).toEqual({ text: 'r', media: [{ kind: 'video', url: 'https://a/v.mp4' }, { kind: 'image', url: 'https://a/i.jpg' }] });
  });
});
