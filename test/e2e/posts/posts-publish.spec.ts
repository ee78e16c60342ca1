import type { Platform } from '../../../libs/domain';
import { PostCommands } from '../../../libs/posts';
import { startTestApp, type TestApp } from '../../support/app';
import { connectAccounts, createPost, expectError } from './posts-client';

describe('posts: publish, retry, validate (HTTP)', () => {
  let app: TestApp;

  beforeAll(async () => {
    // These tests record publish results themselves (as publishers report them), so no real
    // publisher may race them; real publishing is covered in test/e2e/publishing and platforms.
    app = await startTestApp({ publishing: false });
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** A workspace of its own, so accounts connected by one test do not help another. */
  const workspace = async (name: string) => app.createKey(name);
  const history = async (id: string, key?: string) => (await app.request('GET', `/v1/posts/${id}/history`, { key })).body.events as any[];

  describe('POST /v1/posts/:id/publish', () => {
    it('answers 422 naming the platforms without a connected account, then 202 once they are connected, then 409', async () => {
      const key = await workspace('publishing');
      const post = await createPost(app, { content: 'Excited to announce our Series A!', platforms: ['twitter', 'bluesky'] }, key);

      const refused = await app.request('POST', `/v1/posts/${post.id}/publish`, { key });
      expectError(refused, 422, 'validation_error', ['platforms']);
      expect(refused.body.error.details).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'platforms', platform: 'twitter', code: 'no_account' }),
          expect.objectContaining({ field: 'platforms', platform: 'bluesky', code: 'no_account' }),
        ]),
      );
      expect((await app.request('GET', `/v1/posts/${post.id}`, { key })).body.status).toBe('draft');

      await connectAccounts(app, ['twitter'], key);
      const stillOne = await app.request('POST', `/v1/posts/${post.id}/publish`, { key });
      expectError(stillOne, 422, 'validation_error', ['platforms']);
      expect(stillOne.body.error.details).toEqual([expect.objectContaining({ platform: 'bluesky', code: 'no_account' })]);

      const accounts = await connectAccounts(app, ['bluesky'], key);
      const res = await app.request('POST', `/v1/posts/${post.id}/publish`, { key });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ id: post.id, status: 'publishing', published_at: null, content: post.content });
      // Every platform in flight reads as pending until it finishes.
      for (const result of Object.values(res.body.platform_results as Record<string, unknown>)) expect(result).toMatchObject({ pending: true });

      const got = await app.request('GET', `/v1/posts/${post.id}`, { key });
      expect(['publishing', 'published', 'failed']).toContain(got.body.status);
      expectError(await app.request('POST', `/v1/posts/${post.id}/publish`, { key }), 409, 'conflict');
      expectError(await app.request('PUT', `/v1/posts/${post.id}`, { key, body: { content: 'too late' } }), 409, 'conflict');

      const requested = (await history(post.id, key)).find((e) => e.type === 'PublishRequested');
      expect(requested.data).toMatchObject({ trigger: 'api', publish_id: expect.stringMatching(/^pub_[0-9A-Za-z]{16,}$/) });
      expect(requested.data.targets).toEqual(
        expect.arrayContaining([
          { platform: 'bluesky', account_id: accounts.bluesky },
          { platform: 'twitter', account_id: expect.stringMatching(/^acc_/) },
        ]),
      );
    });

    it('publishes a scheduled post at once (the seed status rule: draft or scheduled)', async () => {
      const key = await workspace('scheduled-publish');
      await connectAccounts(app, ['mastodon'], key);
      const post = await createPost(app, { content: 'soon', platforms: ['mastodon'], scheduled_for: new Date(Date.now() + 86_400_000).toISOString() }, key);
      const res = await app.request('POST', `/v1/posts/${post.id}/publish`, { key });
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('publishing');
    });

    it('answers 422 naming the field and platform when the content exceeds a limit', async () => {
      const key = await workspace('too-long');
      await connectAccounts(app, ['twitter', 'mastodon'], key);
      const post = await createPost(app, { content: 'x'.repeat(300), platforms: ['twitter', 'mastodon'] }, key);
      expect(post.warnings).toEqual([expect.objectContaining({ platform: 'twitter', field: 'content', code: 'too_long' })]);
      const res = await app.request('POST', `/v1/posts/${post.id}/publish`, { key });
      expectError(res, 422, 'validation_error', ['content']);
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'content', platform: 'twitter', code: 'too_long' })]);
      // Fixed with an override for the tight platform, it goes.
      await app.request('PUT', `/v1/posts/${post.id}`, { key, body: { platform_overrides: { twitter: 'short enough' } } });
      expect((await app.request('POST', `/v1/posts/${post.id}/publish`, { key })).status).toBe(202);
    });

    it('publishes through the accounts the post names', async () => {
      const key = await workspace('named-accounts');
      const first = await connectAccounts(app, ['bluesky'], key);
      const second = await connectAccounts(app, ['bluesky'], key);
      const post = await createPost(app, { content: 'from the second account', platforms: ['bluesky'], accounts: [second.bluesky] }, key);
      expect(post.accounts).toEqual([second.bluesky]);
      expect((await app.request('POST', `/v1/posts/${post.id}/publish`, { key })).status).toBe(202);
      const requested = (await history(post.id, key)).find((e) => e.type === 'PublishRequested');
      expect(requested.data.targets).toEqual([{ platform: 'bluesky', account_id: second.bluesky }]);
      expect(first.bluesky).not.toBe(second.bluesky);
    });

    it('refuses accounts that are not the workspace\'s or not of the post\'s platforms (422 accounts[i])', async () => {
      const key = await workspace('account-checks');
      const other = await workspace('account-checks-other');
      const mine = await connectAccounts(app, ['bluesky', 'mastodon'], key);
      const theirs = await connectAccounts(app, ['bluesky'], other);
      const base = { content: 'x', platforms: ['bluesky'] };
      expectError(await app.request('POST', '/v1/posts', { key, body: { ...base, accounts: [theirs.bluesky] } }), 422, 'validation_error', ['accounts[0]']);
      expectError(await app.request('POST', '/v1/posts', { key, body: { ...base, accounts: [mine.bluesky, mine.mastodon] } }), 422, 'validation_error', ['accounts[1]']);
      const post = await createPost(app, { ...base, accounts: [mine.bluesky] }, key);
      expectError(await app.request('PUT', `/v1/posts/${post.id}`, { key, body: { accounts: [mine.mastodon] } }), 422, 'validation_error', ['accounts[0]']);
      // Dropping bluesky from the platforms would leave the named account orphaned.
      expectError(await app.request('PUT', `/v1/posts/${post.id}`, { key, body: { platforms: ['mastodon'] } }), 422, 'validation_error', ['accounts[0]']);
      const both = await app.request('PUT', `/v1/posts/${post.id}`, { key, body: { platforms: ['mastodon', 'bluesky'], accounts: [mine.mastodon, mine.bluesky] } });
      expect(both.status).toBe(200);
      expect(both.body.accounts).toEqual([mine.mastodon, mine.bluesky]);
    });

    it('answers 404 for an unknown post', async () => {
      expectError(await app.request('POST', '/v1/posts/post_doesnotexist000000/publish'), 404, 'not_found');
    });
  });

  describe('POST /v1/posts/:id/retry', () => {
    /** The results the publishers would record, through the same command side. */
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
            { retries: 5 },
          );
          await posts.execute(postId, { type: 'RecordPlatformPublished', publish_id: publishId, platform, attempts: 1 }, meta, { retries: 5 });
        } else {
          await posts.execute(
            postId,
            { type: 'RecordPlatformFailed', publish_id: publishId, platform, error: 'Token expired. Reconnect your account.', code: 'auth', retryable: false, attempts: 1 },
            meta,
            { retries: 5 },
          );
        }
      }
    }

    async function waitForStatus(id: string, key: string, status: string) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const res = await app.request('GET', `/v1/posts/${id}`, { key });
        if (res.body.status === status) return res.body;
        if (Date.now() > deadline) throw new Error(`post ${id} is ${res.body.status}, not ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    it('answers 409 unless the post failed or partly failed', async () => {
      const key = await workspace('retry-conflicts');
      await connectAccounts(app, ['twitter'], key);
      const post = await createPost(app, { content: 'x', platforms: ['twitter'] }, key);
      expectError(await app.request('POST', `/v1/posts/${post.id}/retry`, { key }), 409, 'conflict');
      await app.request('POST', `/v1/posts/${post.id}/publish`, { key });
      expectError(await app.request('POST', `/v1/posts/${post.id}/retry`, { key }), 409, 'conflict');
      await recordResults(post.id, { twitter: 'published' });
      await waitForStatus(post.id, key, 'published');
      expectError(await app.request('POST', `/v1/posts/${post.id}/retry`, { key }), 409, 'conflict');
      expectError(await app.request('POST', '/v1/posts/post_doesnotexist000000/retry', { key }), 404, 'not_found');
    });

    it('re-publishes a failed post: 202, only its failed platforms; a failed post cannot be published again', async () => {
      const key = await workspace('retry-failed');
      await connectAccounts(app, ['twitter', 'bluesky'], key);
      const post = await createPost(app, { content: 'x', platforms: ['twitter', 'bluesky'] }, key);
      await app.request('POST', `/v1/posts/${post.id}/publish`, { key });
      await recordResults(post.id, { twitter: 'failed', bluesky: 'failed' });
      const failed = await waitForStatus(post.id, key, 'failed');
      expect(failed.platform_results.twitter).toMatchObject({ success: false, error: 'Token expired. Reconnect your account.' });
      expectError(await app.request('POST', `/v1/posts/${post.id}/publish`, { key }), 409, 'conflict');

      const res = await app.request('POST', `/v1/posts/${post.id}/retry`, { key });
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('publishing');
      const last = (await history(post.id, key)).at(-1);
      expect(last).toMatchObject({ type: 'PublishRequested', data: { trigger: 'retry' } });
      expect(last.data.targets.map((t: { platform: string }) => t.platform).sort()).toEqual(['bluesky', 'twitter']);
      expectError(await app.request('POST', `/v1/posts/${post.id}/retry`, { key }), 409, 'conflict');
    });

    it('re-publishes only the failed platforms of a partly failed post', async () => {
      const key = await workspace('retry-partly');
      await connectAccounts(app, ['twitter', 'bluesky', 'mastodon'], key);
      const post = await createPost(app, { content: 'x', platforms: ['twitter', 'bluesky', 'mastodon'] }, key);
      await app.request('POST', `/v1/posts/${post.id}/publish`, { key });
      await recordResults(post.id, { twitter: 'published', bluesky: 'failed', mastodon: 'published' });
      const published = await waitForStatus(post.id, key, 'published');
      expect(published.platform_results).toMatchObject({ twitter: { success: true }, bluesky: { success: false }, mastodon: { success: true } });

      const res = await app.request('POST', `/v1/posts/${post.id}/retry`, { key });
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('publishing');
      const last = (await history(post.id, key)).at(-1);
      expect(last.data.targets).toEqual([{ platform: 'bluesky', account_id: expect.stringMatching(/^acc_/) }]);
    });

    it('answers 422 when a failed platform lost its account', async () => {
      const key = await workspace('retry-no-account');
      const accounts = await connectAccounts(app, ['twitter'], key);
      const post = await createPost(app, { content: 'x', platforms: ['twitter'] }, key);
      await app.request('POST', `/v1/posts/${post.id}/publish`, { key });
      await recordResults(post.id, { twitter: 'failed' });
      await waitForStatus(post.id, key, 'failed');
      expect((await app.request('DELETE', `/v1/accounts/${accounts.twitter}`, { key })).status).toBe(204);
      const res = await app.request('POST', `/v1/posts/${post.id}/retry`, { key });
      expectError(res, 422, 'validation_error', ['platforms']);
      expect(res.body.error.details).toEqual([expect.objectContaining({ platform: 'twitter', code: 'no_account' })]);
    });
  });

  describe('POST /v1/posts/validate', () => {
    it('answers each platform\'s problems, no_account included, and stores nothing', async () => {
      const key = await workspace('validate');
      await connectAccounts(app, ['twitter'], key);
      const body = {
        content: 'x'.repeat(300),
        platforms: ['twitter', 'mastodon', 'instagram'],
        platform_settings: { mastodon: { visibility: 'everyone' } },
      };
      const res = await app.request('POST', '/v1/posts/validate', { key, body });
      expect(res.status).toBe(200);
      expect(res.body.valid).toBe(false);
      expect(res.body.problems).toEqual(
        expect.arrayContaining([
          { platform: 'twitter', field: 'content', code: 'too_long', message: expect.any(String) },
          { platform: 'instagram', field: 'media', code: 'media_required', message: expect.any(String) },
          { platform: 'mastodon', field: 'platform_settings.mastodon.visibility', code: 'invalid_setting', message: expect.any(String) },
          { platform: 'mastodon', field: 'platforms', code: 'no_account', message: expect.any(String) },
          { platform: 'instagram', field: 'platforms', code: 'no_account', message: expect.any(String) },
        ]),
      );
      expect(res.body.problems.filter((p: { platform: string; code: string }) => p.platform === 'twitter' && p.code === 'no_account')).toEqual([]);
      expect((await app.request('GET', '/v1/posts', { key })).body.total).toBe(0);
    });

    it("reports what a platform's own API would refuse, and a publish is refused with it", async () => {
      const key = await workspace('validate-adapters');
      await connectAccounts(app, ['youtube'], key);
      // A public URL: nothing is fetched by a check.
      const body = { content: 'Our launch video', platforms: ['youtube'], media: { video: { url: 'https://cdn.example.com/launch.mp4' } } };
      const res = await app.request('POST', '/v1/posts/validate', { key, body });
      expect(res.status).toBe(200);
      expect(res.body.valid).toBe(false);
      expect(res.body.problems).toEqual([{ platform: 'youtube', field: 'content', code: 'refused_by_platform', message: expect.stringMatching(/title/) }]);

      const post = await createPost(app, body, key);
      const refused = await app.request('POST', `/v1/posts/${post.id}/publish`, { key });
      expectError(refused, 422, 'validation_error', ['content']);
      expect(refused.body.error.details).toEqual([expect.objectContaining({ platform: 'youtube', code: 'refused_by_platform' })]);

      const titled = { ...body, platform_settings: { youtube: { title: 'Launch' } } };
      expect((await app.request('POST', '/v1/posts/validate', { key, body: titled })).body).toEqual({ valid: true, problems: [] });
      await app.request('PUT', `/v1/posts/${post.id}`, { key, body: { platform_settings: titled.platform_settings } });
      expect((await app.request('POST', `/v1/posts/${post.id}/publish`, { key })).status).toBe(202);
    });

    it('answers valid for a post every platform takes', async () => {
      const key = await workspace('validate-ok');
      await connectAccounts(app, ['twitter', 'bluesky'], key);
      const res = await app.request('POST', '/v1/posts/validate', { key, body: { content: 'Hello from the Octopost API!', platforms: ['twitter', 'bluesky'] } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ valid: true, problems: [] });
    });

    it('answers shape errors with 422 like a create', async () => {
      expectError(await app.request('POST', '/v1/posts/validate', { body: { platforms: ['twitter'] } }), 422, 'validation_error', ['content']);
      expectError(await app.request('POST', '/v1/posts/validate', { body: { content: 'x', platforms: ['nope'] } }), 422, 'validation_error', ['platforms']);
      expectError(
        await app.request('POST', '/v1/posts/validate', { body: { content: 'x', platforms: ['twitter'], scheduled_for: '2001-01-01T00:00:00Z' } }),
        422,
        'validation_error',
        ['scheduled_for'],
      );
    });
  });
});
