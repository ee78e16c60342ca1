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

describe('checkPost with media library files', () => {
  const file = (over: Partial<import('./post').MediaFile>): import('./post').MediaFile => ({
    sha256: 'a'.repeat(64),
    kind: 'image',
    mime: 'image/jpeg',
    bytes: 1000,
    width: 10,
    height: 10,
    duration_s: null,
    ...over,
  });
  const base = {
    content: 'hello',
    media: null,
    segments: null,
    tags: [],
    platform_overrides: {},
    platform_settings: {},
    timezone: 'UTC',
    accounts: null,
  };

  it('refuses an image over the limit of a platform that fetches it, and leaves it to be fitted where Postloom uploads', () => {
    const big = file({ bytes: 9_000_000 });
    const problems = checkPost({ ...base, platforms: ['threads', 'bluesky'], media: { images: [{ media_id: 'med_big', file: big }], video: null } });
    expect(problems).toEqual([
      { platform: 'threads', field: 'media.images[0].media_id', code: 'image_too_large', message: 'Threads fetches images itself and takes up to 8000000 bytes; this one is 9000000' },
    ]);
  });

  it('refuses a video longer than the platform takes, naming the segment item', () => {
    const long = file({ kind: 'video', mime: 'video/mp4', duration_s: 200 });
    const problems = checkPost({ ...base, platforms: ['twitter', 'mastodon'], segments: [{ content: 'reply', media_urls: ['https://example.com/a.png'], media_ids: ['med_v'], media_files: [long] }] });
    expect(problems.filter((p) => p.code === 'video_too_long')).toEqual([
      { platform: 'twitter', field: 'segments[0].media_ids[0]', code: 'video_too_long', message: 'X (Twitter) takes videos up to 140 s; this one is 200 s' },
    ]);
  });
});
