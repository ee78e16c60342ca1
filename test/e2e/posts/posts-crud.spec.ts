import { startTestApp, type TestApp } from '../../support/app';
import { ISO_UTC, POST_ID, createPost, daysFromNow, expectError } from './posts-client';

/** The seed's example date (April 10, 09:00 UTC) in a year where it is still ahead of us. */
function nextApril10(): string {
  const now = new Date();
  const thisYear = Date.UTC(now.getUTCFullYear(), 3, 10, 9, 0, 0);
  const year = thisYear > now.getTime() ? now.getUTCFullYear() : now.getUTCFullYear() + 1;
  return `${year}-04-10T09:00:00Z`;
}

describe('posts: create, read, update, delete, duplicate (HTTP)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  describe('POST /v1/posts', () => {
    it('creates the seed draft exactly as seeds/000 shows it', async () => {
      const res = await app.request('POST', '/v1/posts', {
        body: { content: 'Excited to announce our Series A!', platforms: ['twitter', 'linkedin', 'bluesky'] },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        content: 'Excited to announce our Series A!',
        platforms: ['twitter', 'linkedin', 'bluesky'],
        status: 'draft',
        scheduled_for: null,
        media: null,
        segments: null,
        platform_results: null,
        published_at: null,
        tags: [],
        platform_overrides: {},
        platform_settings: {},
        timezone: 'UTC',
      });
      expect(res.body.id).toMatch(POST_ID);
      expect(res.body.created_at).toMatch(ISO_UTC);
      expect(res.body.updated_at).toBe(res.body.created_at);
      expect(res.body).not.toHaveProperty('warnings');
      expect(res.headers['x-request-id']).toBeTruthy();

      // Read-your-writes: the very next GET and list see it.
      const got = await app.request('GET', `/v1/posts/${res.body.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(res.body);
      const list = await app.request('GET', '/v1/posts?limit=100');
      expect(list.body.posts.map((p: { id: string }) => p.id)).toContain(res.body.id);
    });

    it('creates the seed overview example', async () => {
      const res = await app.request('POST', '/v1/posts', { body: { content: 'Hello from the Octopost API!', platforms: ['twitter', 'bluesky'] } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ content: 'Hello from the Octopost API!', platforms: ['twitter', 'bluesky'], status: 'draft' });
      expect(res.body.id).toMatch(POST_ID);
    });

    it('creates the seed thread (segments) example', async () => {
      const res = await app.request('POST', '/v1/posts', {
        body: {
          content: 'I shipped a new macOS app for managing Claude rules.',
          platforms: ['twitter', 'threads', 'bluesky', 'mastodon'],
          segments: [{ content: 'https://rulebook.app' }],
        },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ status: 'draft', segments: [{ content: 'https://rulebook.app' }] });
    });

    it('creates the seed scheduled post with media (its 2026-04 date moved ahead: it is in the past now)', async () => {
      const when = nextApril10();
      const res = await app.request('POST', '/v1/posts', {
        body: {
          content: 'New blog post: Building a cross-posting API',
          platforms: ['twitter', 'bluesky'],
          scheduled_for: when,
          media: { images: [{ url: 'https://example.com/blog-header.png', alt_text: 'Blog post header image' }] },
        },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        content: 'New blog post: Building a cross-posting API',
        platforms: ['twitter', 'bluesky'],
        status: 'scheduled',
        media: { images: [{ url: 'https://example.com/blog-header.png', alt_text: 'Blog post header image' }], video: null },
        platform_results: null,
        published_at: null,
      });
      expect(Date.parse(res.body.scheduled_for)).toBe(Date.parse(when));
      expect(res.body.scheduled_for).toMatch(ISO_UTC);
    });

    it('reads a scheduled_for without offset in the post time zone', async () => {
      // Next January 15, 09:00 in New York (EST, UTC-5) is 14:00 UTC.
      const now = new Date();
      const year = Date.UTC(now.getUTCFullYear(), 0, 15, 14) > now.getTime() ? now.getUTCFullYear() : now.getUTCFullYear() + 1;
      const res = await app.request('POST', '/v1/posts', {
        body: { content: 'NY morning', platforms: ['mastodon'], scheduled_for: `${year}-01-15T09:00`, timezone: 'America/New_York' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ status: 'scheduled', timezone: 'America/New_York', scheduled_for: `${year}-01-15T14:00:00.000Z` });
    });

    it('reports platform limits as warnings, not errors', async () => {
      const res = await app.request('POST', '/v1/posts', { body: { content: 'x'.repeat(290), platforms: ['twitter', 'bluesky'] } });
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([{ platform: 'twitter', field: 'content', code: 'too_long', message: expect.stringContaining('280') }]);
      // Warnings describe the request; they are not part of the stored post.
      const got = await app.request('GET', `/v1/posts/${res.body.id}`);
      expect(got.body).not.toHaveProperty('warnings');
    });

    it('keeps tags, overrides, settings; ignores unknown fields', async () => {
      const res = await app.request('POST', '/v1/posts', {
        body: {
          content: 'Launch',
          platforms: ['mastodon', 'twitter'],
          tags: ['launch', 'q3'],
          platform_overrides: { mastodon: 'Launch, longer for the fediverse' },
          platform_settings: { mastodon: { visibility: 'unlisted' } },
          color: 'blue',
          id: 'post_chosenbytheclient00',
          status: 'published',
        },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        status: 'draft',
        tags: ['launch', 'q3'],
        platform_overrides: { mastodon: 'Launch, longer for the fediverse' },
        platform_settings: { mastodon: { visibility: 'unlisted' } },
      });
      expect(res.body.id).not.toBe('post_chosenbytheclient00');
      expect(res.body).not.toHaveProperty('color');
    });

    it.each<[string, object, string[]]>([
      ['no content', { platforms: ['twitter'] }, ['content']],
      ['empty content', { content: '', platforms: ['twitter'] }, ['content']],
      ['blank content', { content: '   ', platforms: ['twitter'] }, ['content']],
      ['a number for content', { content: 42, platforms: ['twitter'] }, ['content']],
      ['no platforms', { content: 'x' }, ['platforms']],
      ['empty platforms', { content: 'x', platforms: [] }, ['platforms']],
      ['an unknown platform', { content: 'x', platforms: ['twitter', 'myspace'] }, ['platforms']],
      ['duplicate platforms', { content: 'x', platforms: ['twitter', 'twitter'] }, ['platforms']],
      ['an unparsable scheduled_for', { content: 'x', platforms: ['twitter'], scheduled_for: 'next tuesday' }, ['scheduled_for']],
      ['a past scheduled_for', { content: 'x', platforms: ['twitter'], scheduled_for: '2020-01-01T00:00:00Z' }, ['scheduled_for']],
      ['scheduled_for over 365 days ahead', { content: 'x', platforms: ['twitter'], scheduled_for: daysFromNow(400) }, ['scheduled_for']],
      ['an unknown time zone', { content: 'x', platforms: ['twitter'], scheduled_for: '2030-01-01T10:00', timezone: 'Mars/Olympus' }, ['timezone']],
      ['five images', { content: 'x', platforms: ['twitter'], media: { images: [1, 2, 3, 4, 5].map((i) => ({ url: `https://e.com/${i}.png` })) } }, ['media.images']],
      ['images and a video', { content: 'x', platforms: ['twitter'], media: { images: [{ url: 'https://e.com/a.png' }], video: { url: 'https://e.com/v.mp4' } } }, ['media.video']],
      ['a non-http image url', { content: 'x', platforms: ['twitter'], media: { images: [{ url: 'ftp://e.com/a.png' }] } }, ['media.images[0].url']],
      ['an image without url', { content: 'x', platforms: ['twitter'], media: { images: [{ alt_text: 'a' }] } }, ['media.images[0].url']],
      ['media as a string', { content: 'x', platforms: ['twitter'], media: 'cat.png' }, ['media']],
      ['25 segments', { content: 'x', platforms: ['twitter'], segments: Array.from({ length: 25 }, () => ({ content: 'y' })) }, ['segments']],
      ['a 5001-character segment', { content: 'x', platforms: ['twitter'], segments: [{ content: 'y'.repeat(5001) }] }, ['segments[0].content']],
      ['a segment with five media urls', { content: 'x', platforms: ['twitter'], segments: [{ content: 'y', media_urls: [1, 2, 3, 4, 5].map((i) => `https://e.com/${i}.png`) }] }, ['segments[0].media_urls']],
      ['a 51-character tag', { content: 'x', platforms: ['twitter'], tags: ['t'.repeat(51)] }, ['tags']],
      ['21 tags', { content: 'x', platforms: ['twitter'], tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, ['tags']],
      ['an override for an unknown platform', { content: 'x', platforms: ['twitter'], platform_overrides: { myspace: 'y' } }, ['platform_overrides.myspace']],
      ['an override for a platform the post lacks', { content: 'x', platforms: ['twitter'], platform_overrides: { bluesky: 'y' } }, ['platform_overrides.bluesky']],
      ['a number as override', { content: 'x', platforms: ['twitter'], platform_overrides: { twitter: 5 } }, ['platform_overrides.twitter']],
      ['settings that are not an object', { content: 'x', platforms: ['mastodon'], platform_settings: { mastodon: 'public' } }, ['platform_settings.mastodon']],
      ['settings of an unknown platform', { content: 'x', platforms: ['mastodon'], platform_settings: { myspace: {} } }, ['platform_settings.myspace']],
      ['a constructor key in settings', { content: 'x', platforms: ['mastodon'], platform_settings: { mastodon: { constructor: 'x' } } }, ['platform_settings.mastodon.constructor']],
      ['an unknown account', { content: 'x', platforms: ['twitter'], accounts: ['acc_doesnotexist00000000'] }, ['accounts[0]']],
    ])('answers 422 naming the field for %s', async (_name, body, fields) => {
      const before = (await app.request('GET', '/v1/posts?limit=1')).body.total;
      const res = await app.request('POST', '/v1/posts', { body });
      expectError(res, 422, 'validation_error', fields);
      expect((await app.request('GET', '/v1/posts?limit=1')).body.total).toBe(before);
    });

    it('never answers hostile input with a 5xx', async () => {
      const bodies: unknown[] = [
        '{"content":',
        '[]',
        '"text"',
        'null',
        { content: null, platforms: null, media: null, segments: null, tags: null, platform_overrides: null, platform_settings: null, accounts: null, timezone: null, scheduled_for: null },
        { content: {}, platforms: {}, media: [], segments: {}, tags: {}, platform_overrides: 'x', platform_settings: [], accounts: {}, timezone: [], scheduled_for: {} },
        { content: ['x'], platforms: [['twitter']], media: { images: [[]], video: 'x' }, segments: [[], null, 1] },
        { content: 'x', platforms: ['twitter'], media: { images: [{ url: 'https://e.com/a.png', alt_text: ['x'] }], video: null } },
        JSON.parse('{"content":"x","platforms":["twitter"],"platform_overrides":{"__proto__":{"polluted":true}}}'),
        { content: 'x', platforms: ['twitter'], platform_overrides: { constructor: { prototype: { polluted: true } } } },
        { content: 'x', platforms: ['twitter'], platform_settings: { twitter: { who_can_reply: { constructor: 1 } } } },
        { content: 'x', platforms: ['twitter'], platform_settings: { twitter: { a: { b: { c: { d: { e: { f: { g: { h: { i: { j: { k: {} } } } } } } } } } } } } },
        { content: 'x'.repeat(200_000), platforms: ['twitter'] },
        { content: 'x', platforms: ['twitter'], scheduled_for: '2030-13-45T99:99:99Z' },
        { content: 'x', platforms: ['twitter'], scheduled_for: '+275760-09-13T00:00:00.000Z' },
        { content: 'x', platforms: ['twitter'], timezone: 'x'.repeat(10_000) },
        { content: '\u0000\ud800', platforms: ['twitter', 'bluesky', 'mastodon', 'linkedin', 'threads', 'instagram', 'facebook', 'tiktok', 'youtube', 'discord', 'slack', 'telegram'] },
      ];
      for (const body of bodies) {
        for (const [method, path] of [
          ['POST', '/v1/posts'],
          ['POST', '/v1/posts/validate'],
        ]) {
          const res = await app.request(method, path, { body });
          if (res.status >= 500) throw new Error(`${method} ${path} ${JSON.stringify(body).slice(0, 200)} -> ${res.status} ${res.text}`);
          if (res.status >= 400) expect(res.body.error.details.every((d: { field: string }) => typeof d.field === 'string' && d.field.length > 0)).toBe(true);
        }
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('GET /v1/posts/:id', () => {
    it('answers 404 not_found for unknown and malformed ids', async () => {
      expectError(await app.request('GET', '/v1/posts/post_doesnotexist000000'), 404, 'not_found');
      expectError(await app.request('GET', '/v1/posts/not-an-id'), 404, 'not_found');
      expectError(await app.request('GET', `/v1/posts/post_${'a'.repeat(500)}`), 404, 'not_found');
    });

    it('answers 401 without a key', async () => {
      const post = await createPost(app, { content: 'private', platforms: ['twitter'] });
      const res = await app.request('GET', `/v1/posts/${post.id}`, { key: null });
      expectError(res, 401, 'unauthorized');
    });
  });

  describe('GET /v1/posts', () => {
    let key: string;
    const ids: string[] = [];

    beforeAll(async () => {
      key = await app.createKey('listing');
      for (let i = 0; i < 12; i++) {
        const scheduled = i % 4 === 0;
        const post = await createPost(
          app,
          { content: `post ${i}`, platforms: ['bluesky'], tags: i % 3 === 0 ? ['third'] : [], ...(scheduled ? { scheduled_for: daysFromNow(3) } : {}) },
          key,
        );
        ids.push(post.id);
      }
    });

    it('lists newest first, 10 by default, with the total', async () => {
      const res = await app.request('GET', '/v1/posts', { key });
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(12);
      expect(res.body.posts.map((p: { id: string }) => p.id)).toEqual([...ids].reverse().slice(0, 10));
      expect(res.body.posts[0]).toEqual((await app.request('GET', `/v1/posts/${ids[11]}`, { key })).body);
    });

    it('pages with limit and offset', async () => {
      const first = await app.request('GET', '/v1/posts?limit=5&offset=0', { key });
      const second = await app.request('GET', '/v1/posts?limit=5&offset=5', { key });
      const last = await app.request('GET', '/v1/posts?limit=5&offset=10', { key });
      const beyond = await app.request('GET', '/v1/posts?limit=5&offset=50', { key });
      const all = [first, second, last].flatMap((r) => r.body.posts.map((p: { id: string }) => p.id));
      expect(all).toEqual([...ids].reverse());
      expect([first, second, last, beyond].map((r) => r.body.total)).toEqual([12, 12, 12, 12]);
      expect(beyond.body.posts).toEqual([]);
      expect((await app.request('GET', '/v1/posts?limit=100', { key })).body.posts).toHaveLength(12);
    });

    it('filters by status (the seed example query) and by tag', async () => {
      const scheduled = await app.request('GET', '/v1/posts?status=scheduled&limit=5&offset=0', { key });
      expect(scheduled.body.total).toBe(3);
      expect(scheduled.body.posts.every((p: { status: string }) => p.status === 'scheduled')).toBe(true);
      const drafts = await app.request('GET', '/v1/posts?status=draft', { key });
      expect(drafts.body.total).toBe(9);
      const published = await app.request('GET', '/v1/posts?status=published&limit=5&offset=0', { key });
      expect(published.body).toEqual({ posts: [], total: 0 });
      const tagged = await app.request('GET', '/v1/posts?tag=third', { key });
      expect(tagged.body.posts.map((p: { id: string }) => p.id)).toEqual([ids[9], ids[6], ids[3], ids[0]]);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=2.5', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=x', 'offset'],
      ['status=archived', 'status'],
      ['status=draft&status=failed', 'status'],
    ])('answers 422 naming the parameter for ?%s', async (query, field) => {
      expectError(await app.request('GET', `/v1/posts?${query}`, { key }), 422, 'validation_error', [field]);
    });
  });

  describe('PUT /v1/posts/:id', () => {
    it('updates the seed example: only the given fields change', async () => {
      const post = await createPost(app, {
        content: 'Excited to announce our Series A!',
        platforms: ['twitter', 'linkedin', 'bluesky'],
        tags: ['funding'],
        media: { images: [{ url: 'https://example.com/a.png' }] },
      });
      const res = await app.request('PUT', `/v1/posts/${post.id}`, {
        body: { content: 'Excited to announce our Series A! Read more on our blog.', platforms: ['twitter', 'linkedin', 'bluesky', 'threads'] },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: post.id,
        content: 'Excited to announce our Series A! Read more on our blog.',
        platforms: ['twitter', 'linkedin', 'bluesky', 'threads'],
        status: 'draft',
        scheduled_for: null,
        tags: ['funding'],
        media: post.media,
        platform_results: null,
        created_at: post.created_at,
        published_at: null,
      });
      expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(post.updated_at));
      expect((await app.request('GET', `/v1/posts/${post.id}`)).body).toEqual(res.body);
    });

    it('schedules, reschedules and unschedules', async () => {
      const post = await createPost(app, { content: 'later', platforms: ['bluesky'] });
      const when = daysFromNow(2);
      const scheduled = await app.request('PUT', `/v1/posts/${post.id}`, { body: { scheduled_for: when } });
      expect(scheduled.body).toMatchObject({ status: 'scheduled', scheduled_for: when });
      const unscheduled = await app.request('PUT', `/v1/posts/${post.id}`, { body: { scheduled_for: null } });
      expect(unscheduled.body).toMatchObject({ status: 'draft', scheduled_for: null, content: 'later' });
      expectError(await app.request('PUT', `/v1/posts/${post.id}`, { body: { scheduled_for: '2001-01-01T00:00:00Z' } }), 422, 'validation_error', ['scheduled_for']);
    });

    it('removes media with null and the thread with [] or null; omitted segments stay', async () => {
      const post = await createPost(app, {
        content: 'thread',
        platforms: ['bluesky'],
        media: { video: { url: 'https://e.com/v.mp4', thumbnail_url: 'https://e.com/t.png' } },
        segments: [{ content: 'one' }, { content: 'two', media_urls: ['https://e.com/2.png'] }],
      });
      expect(post.media).toEqual({ images: [], video: { url: 'https://e.com/v.mp4', thumbnail_url: 'https://e.com/t.png' } });
      const kept = await app.request('PUT', `/v1/posts/${post.id}`, { body: { content: 'thread, edited' } });
      expect(kept.body.segments).toEqual(post.segments);
      const noMedia = await app.request('PUT', `/v1/posts/${post.id}`, { body: { media: null } });
      expect(noMedia.body).toMatchObject({ media: null, segments: post.segments });
      const noThread = await app.request('PUT', `/v1/posts/${post.id}`, { body: { segments: [] } });
      expect(noThread.body.segments).toBeNull();
      const again = await app.request('PUT', `/v1/posts/${post.id}`, { body: { segments: [{ content: 'back' }] } });
      expect(again.body.segments).toEqual([{ content: 'back' }]);
      const nulled = await app.request('PUT', `/v1/posts/${post.id}`, { body: { segments: null } });
      expect(nulled.body.segments).toBeNull();
    });

    it('answers 422 naming the field, and changes nothing', async () => {
      const post = await createPost(app, { content: 'keep me', platforms: ['twitter'] });
      expectError(await app.request('PUT', `/v1/posts/${post.id}`, { body: { content: null } }), 422, 'validation_error', ['content']);
      expectError(await app.request('PUT', `/v1/posts/${post.id}`, { body: { content: '' } }), 422, 'validation_error', ['content']);
      expectError(await app.request('PUT', `/v1/posts/${post.id}`, { body: { platforms: [] } }), 422, 'validation_error', ['platforms']);
      expectError(await app.request('PUT', `/v1/posts/${post.id}`, { body: { timezone: 'Nowhere/Land' } }), 422, 'validation_error', ['timezone']);
      expectError(await app.request('PUT', `/v1/posts/${post.id}`, { body: { media: { images: 'x' } } }), 422, 'validation_error', ['media.images']);
      expect((await app.request('GET', `/v1/posts/${post.id}`)).body).toEqual(post);
    });

    it('an empty update changes nothing and answers the post', async () => {
      const post = await createPost(app, { content: 'same', platforms: ['twitter'] });
      const res = await app.request('PUT', `/v1/posts/${post.id}`, { body: {} });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(post);
      expect((await app.request('GET', `/v1/posts/${post.id}/history`)).body.events).toHaveLength(1);
    });

    it('answers 404 for an unknown post', async () => {
      expectError(await app.request('PUT', '/v1/posts/post_doesnotexist000000', { body: { content: 'x' } }), 404, 'not_found');
    });
  });

  describe('DELETE /v1/posts/:id', () => {
    it('answers 204, then the post is gone from GET and list', async () => {
      const post = await createPost(app, { content: 'short-lived', platforms: ['twitter'] });
      const res = await app.request('DELETE', `/v1/posts/${post.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectError(await app.request('GET', `/v1/posts/${post.id}`), 404, 'not_found');
      const list = await app.request('GET', '/v1/posts?limit=100');
      expect(list.body.posts.map((p: { id: string }) => p.id)).not.toContain(post.id);
      expectError(await app.request('DELETE', `/v1/posts/${post.id}`), 404, 'not_found');
      expectError(await app.request('PUT', `/v1/posts/${post.id}`, { body: { content: 'x' } }), 404, 'not_found');
      expectError(await app.request('POST', `/v1/posts/${post.id}/publish`), 404, 'not_found');
    });
  });

  describe('POST /v1/posts/:id/duplicate', () => {
    it('makes a new draft with the same content, not scheduled', async () => {
      const original = await createPost(app, {
        content: 'copy me',
        platforms: ['twitter', 'mastodon'],
        scheduled_for: daysFromNow(5),
        media: { images: [{ url: 'https://e.com/a.png', alt_text: 'a' }] },
        segments: [{ content: 'reply' }],
        tags: ['x'],
        platform_overrides: { mastodon: 'copy me, fediverse' },
        platform_settings: { mastodon: { visibility: 'public' } },
        timezone: 'Europe/Paris',
      });
      const res = await app.request('POST', `/v1/posts/${original.id}/duplicate`);
      expect(res.status).toBe(201);
      expect(res.body.id).toMatch(POST_ID);
      expect(res.body.id).not.toBe(original.id);
      const { id: _a, status: _b, scheduled_for: _c, created_at: _d, updated_at: _e, ...content } = original;
      expect(res.body).toMatchObject({ ...content, status: 'draft', scheduled_for: null });
      expect((await app.request('GET', `/v1/posts/${res.body.id}`)).body).toEqual(res.body);
      expect((await app.request('GET', `/v1/posts/${original.id}`)).body).toEqual(original);
      expectError(await app.request('POST', '/v1/posts/post_doesnotexist000000/duplicate'), 404, 'not_found');
    });
  });
});
