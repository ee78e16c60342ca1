import type { Platform } from '../../../libs/domain';
import { PostCommands } from '../../../libs/posts';
import { startTestApp, type TestApp } from '../../support/app';
import { connectAccounts, createPost, expectError } from './posts-client';

/** What the peer seed APIs (`seeds/002`, `seeds/004`) do, in our naming: CONTRACT.md v1.1. */
describe('posts: PATCH, groups, failed_platforms (HTTP)', () => {
  let app: TestApp;

  beforeAll(async () => {
    // Results are recorded by the test itself, standing in for publishers.
    app = await startTestApp({ publishing: false });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const history = async (id: string, key?: string) => (await app.request('GET', `/v1/posts/${id}/history`, { key })).body.events as any[];

  async function recordResults(postId: string, results: Partial<Record<Platform, 'published' | 'failed'>>): Promise<void> {
    const posts = new PostCommands(app.runtime.eventStore, app.runtime.clock);
    const { state } = await posts.load(postId);
    const publishId = state.round!.publish_id;
    for (const [platform, outcome] of Object.entries(results) as [Platform, 'published' | 'failed'][]) {
      const meta = { workspace_id: state.workspace_id, actor: `publisher:${platform}` };
      if (outcome === 'published') {
        await posts.execute(
          postId,
          { type: 'RecordSegmentPublished', publish_id: publishId, platform, segment_index: 0, segment_count: 1, post_id: `${platform}-1`, post_url: `https://${platform}.example/1`, ref: null },
          meta,
        );
        await posts.execute(postId, { type: 'RecordPlatformPublished', publish_id: publishId, platform, attempts: 1 }, meta);
      } else {
        await posts.execute(
          postId,
          { type: 'RecordPlatformFailed', publish_id: publishId, platform, error: 'HTTP 401: token revoked', code: 'auth', retryable: false, attempts: 1 },
          meta,
        );
      }
    }
  }

  async function untilStatus(id: string, key: string, status: string) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await app.request('GET', `/v1/posts/${id}`, { key });
      if (res.body.status === status) return res.body;
      if (Date.now() > deadline) throw new Error(`post ${id} is ${res.body.status}, not ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  describe('PATCH /v1/posts/:id', () => {
    it('changes only the given fields; null clears an optional field; per-platform maps merge', async () => {
      const post = await createPost(app, {
        content: 'Draft one',
        platforms: ['twitter', 'bluesky', 'mastodon'],
        tags: ['launch'],
        scheduled_for: new Date(Date.now() + 86_400_000).toISOString(),
        platform_overrides: { twitter: 'For X', bluesky: 'For Bluesky' },
        platform_settings: { mastodon: { visibility: 'unlisted', sensitive: true } },
        group_id: 'campaign-1',
      });
      expect(post.status).toBe('scheduled');

      const res = await app.request('PATCH', `/v1/posts/${post.id}`, {
        body: { content: 'Draft two', platform_overrides: { twitter: null, mastodon: 'For Mastodon' }, platform_settings: { mastodon: { sensitive: null } } },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: post.id,
        content: 'Draft two',
        platforms: ['twitter', 'bluesky', 'mastodon'],
        tags: ['launch'],
        status: 'scheduled',
        scheduled_for: post.scheduled_for,
        platform_overrides: { bluesky: 'For Bluesky', mastodon: 'For Mastodon' },
        platform_settings: { mastodon: { visibility: 'unlisted' } },
        group_id: 'campaign-1',
      });
      expect(res.body.platform_overrides).not.toHaveProperty('twitter');
      expect((await app.request('GET', `/v1/posts/${post.id}`)).body).toEqual(res.body);

      const cleared = await app.request('PATCH', `/v1/posts/${post.id}`, { body: { scheduled_for: null, tags: null, group_id: null } });
      expect(cleared.status).toBe(200);
      expect(cleared.body).toMatchObject({ status: 'draft', scheduled_for: null, tags: [], group_id: null, content: 'Draft two' });

      const updates = (await history(post.id)).filter((e) => e.type === 'PostUpdated');
      expect(updates[0].data.changes).toEqual({
        content: 'Draft two',
        platform_overrides: { bluesky: 'For Bluesky', mastodon: 'For Mastodon' },
        platform_settings: { mastodon: { visibility: 'unlisted' } },
      });
    });

    it('an empty PATCH changes nothing and records nothing', async () => {
      const post = await createPost(app, { content: 'Still', platforms: ['bluesky'] });
      const res = await app.request('PATCH', `/v1/posts/${post.id}`, { body: {} });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(post);
      expect((await history(post.id)).map((e) => e.type)).toEqual(['PostCreated']);
    });

    it('refuses null for a required field and bad values, naming the field (422)', async () => {
      const post = await createPost(app, { content: 'x', platforms: ['bluesky'] });
      expectError(await app.request('PATCH', `/v1/posts/${post.id}`, { body: { content: null } }), 422, 'validation_error', ['content']);
      expectError(await app.request('PATCH', `/v1/posts/${post.id}`, { body: { platforms: null } }), 422, 'validation_error', ['platforms']);
      expectError(await app.request('PATCH', `/v1/posts/${post.id}`, { body: { platform_overrides: { myspace: 'hi' } } }), 422, 'validation_error', [
        'platform_overrides.myspace',
      ]);
      expectError(await app.request('PATCH', `/v1/posts/${post.id}`, { body: { group_id: 'g'.repeat(129) } }), 422, 'validation_error', ['group_id']);
      expectError(await app.request('PATCH', '/v1/posts/post_doesnotexist000000', { body: { content: 'y' } }), 404, 'not_found');
    });

    it('answers 409 once the post is publishing or published, like PUT', async () => {
      const key = await app.createKey('patch-409');
      await connectAccounts(app, ['bluesky'], key);
      const post = await createPost(app, { content: 'Going out', platforms: ['bluesky'] }, key);
      expect((await app.request('POST', `/v1/posts/${post.id}/publish`, { key })).status).toBe(202);
      expectError(await app.request('PATCH', `/v1/posts/${post.id}`, { key, body: { content: 'Too late' } }), 409, 'conflict');
      await recordResults(post.id, { bluesky: 'published' });
      await untilStatus(post.id, key, 'published');
      expectError(await app.request('PATCH', `/v1/posts/${post.id}`, { key, body: { content: 'Too late' } }), 409, 'conflict');
      expectError(await app.request('PATCH', `/v1/posts/${post.id}`, { key, body: {} }), 409, 'conflict');
    });
  });

  describe('groups', () => {
    it('lists a group oldest first with its total; another workspace sees none of it', async () => {
      const key = await app.createKey('groups-list');
      const group = `3a6f1e9e-4c2b-4a1d-9e3a-${Date.now().toString().padStart(12, '0').slice(-12)}`;
      const first = await createPost(app, { content: 'first', platforms: ['bluesky'], group_id: group }, key);
      const second = await createPost(app, { content: 'second', platforms: ['bluesky'], group_id: group }, key);
      await createPost(app, { content: 'elsewhere', platforms: ['bluesky'], group_id: 'other' }, key);
      const loner = await createPost(app, { content: 'joins later', platforms: ['bluesky'] }, key);
      expect(first.group_id).toBe(group);
      expect(loner.group_id).toBeNull();
      expect((await app.request('PUT', `/v1/posts/${loner.id}`, { key, body: { group_id: group } })).body.group_id).toBe(group);

      const res = await app.request('GET', `/v1/posts/group/${group}`, { key });
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(3);
      expect(res.body.posts.map((p: { id: string }) => p.id)).toEqual([first.id, second.id, loner.id]);
      const page = await app.request('GET', `/v1/posts/group/${group}?limit=1&offset=1`, { key });
      expect(page.body).toMatchObject({ total: 3, posts: [{ id: second.id }] });

      expect((await app.request('GET', `/v1/posts/group/${group}`)).body).toEqual({ posts: [], total: 0 });
      expect((await app.request('GET', '/v1/posts/group/nothing-here', { key })).body).toEqual({ posts: [], total: 0 });
    });

    it('deletes every post of a group, each its own PostDeleted, and says how many', async () => {
      const key = await app.createKey('groups-delete');
      const members = [];
      for (let i = 0; i < 3; i++) members.push(await createPost(app, { content: `member ${i}`, platforms: ['bluesky'], group_id: 'to-go' }, key));
      const stays = await createPost(app, { content: 'stays', platforms: ['bluesky'], group_id: 'stays' }, key);
      const other = await app.createKey('groups-delete-other');
      const foreign = await createPost(app, { content: 'foreign', platforms: ['bluesky'], group_id: 'to-go' }, other);

      const res = await app.request('DELETE', '/v1/posts/group/to-go', { key });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(res.headers['deleted-count']).toBe('3');
      for (const member of members) {
        expect((await app.request('GET', `/v1/posts/${member.id}`, { key })).status).toBe(404);
      }
      expect((await app.request('GET', '/v1/posts/group/to-go', { key })).body).toEqual({ posts: [], total: 0 });
      expect((await app.request('GET', `/v1/posts/${stays.id}`, { key })).status).toBe(200);
      expect((await app.request('GET', `/v1/posts/${foreign.id}`, { key: other })).status).toBe(200);
      // Each deletion is its own event in its own post's stream.
      const posts = new PostCommands(app.runtime.eventStore, app.runtime.clock);
      for (const member of members) {
        const { events } = await posts.load(member.id);
        expect(events.map((e) => e.type)).toEqual(['PostCreated', 'PostDeleted']);
      }

      const again = await app.request('DELETE', '/v1/posts/group/to-go', { key });
      expect(again.status).toBe(204);
      expect(again.headers['deleted-count']).toBe('0');
    });

    it('refuses a group id over 128 characters (422 group_id)', async () => {
      expectError(await app.request('POST', '/v1/posts', { body: { content: 'x', platforms: ['bluesky'], group_id: 'g'.repeat(129) } }), 422, 'validation_error', [
        'group_id',
      ]);
      expectError(await app.request('POST', '/v1/posts', { body: { content: 'x', platforms: ['bluesky'], group_id: 42 } }), 422, 'validation_error', ['group_id']);
      expectError(await app.request('GET', `/v1/posts/group/${'g'.repeat(129)}`), 422, 'validation_error', ['group_id']);
      expectError(await app.request('DELETE', `/v1/posts/group/${'g'.repeat(129)}`), 422, 'validation_error', ['group_id']);
      const ok = await app.request('POST', '/v1/posts', { body: { content: 'x', platforms: ['bluesky'], group_id: 'g'.repeat(128) } });
      expect(ok.status).toBe(201);
    });
  });

  describe('link_url', () => {
    it('is kept with its title and description; a URL that is not http(s) answers 422 naming link_url', async () => {
      const post = await createPost(app, { content: 'Read', platforms: ['bluesky'], link_url: 'https://example.com/post', link_title: 'A post', link_description: 'Words' });
      expect(post).toMatchObject({ link_url: 'https://example.com/post', link_title: 'A post', link_description: 'Words' });
      const cleared = await app.request('PATCH', `/v1/posts/${post.id}`, { body: { link_url: null } });
      expect(cleared.body).toMatchObject({ link_url: null, link_title: 'A post' });
      for (const link_url of ['ftp://example.com/x', 'javascript:alert(1)', 'not a url', 42]) {
        expectError(await app.request('POST', '/v1/posts', { body: { content: 'x', platforms: ['bluesky'], link_url } }), 422, 'validation_error', ['link_url']);
      }
      // The URL counts where it goes in the text: 281 weighted characters on X with it.
      const validation = await app.request('POST', '/v1/posts/validate', { body: { content: 'x'.repeat(256), platforms: ['twitter'], link_url: 'https://example.com/post' } });
      expect(validation.body.problems).toEqual(expect.arrayContaining([expect.objectContaining({ platform: 'twitter', code: 'too_long' })]));
    });
  });

  describe('failed_platforms', () => {
    it('lists the platforms whose last publish failed, on every view; a retry takes them out', async () => {
      const key = await app.createKey('failed-platforms');
      await connectAccounts(app, ['twitter', 'bluesky', 'mastodon'], key);
      const post = await createPost(app, { content: 'Partly', platforms: ['twitter', 'bluesky', 'mastodon'] }, key);
      expect(post.failed_platforms).toEqual([]);
      await app.request('POST', `/v1/posts/${post.id}/publish`, { key });
      await recordResults(post.id, { twitter: 'published', bluesky: 'failed', mastodon: 'failed' });
      const partly = await untilStatus(post.id, key, 'published');
      expect(partly.failed_platforms).toEqual(['bluesky', 'mastodon']);
      const listed = (await app.request('GET', '/v1/posts?limit=100', { key })).body.posts.find((p: { id: string }) => p.id === post.id);
      expect(listed.failed_platforms).toEqual(['bluesky', 'mastodon']);

      const retry = await app.request('POST', `/v1/posts/${post.id}/retry`, { key });
      expect(retry.status).toBe(202);
      expect(retry.body.failed_platforms).toEqual([]);
      await recordResults(post.id, { bluesky: 'published', mastodon: 'failed' });
      const after = await untilStatus(post.id, key, 'published');
      expect(after.failed_platforms).toEqual(['mastodon']);
      expect(after.platform_results.bluesky.success).toBe(true);
    });
  });
});
