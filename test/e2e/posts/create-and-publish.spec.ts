import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMastodon } from '../../../libs/platforms/src/mastodon/testing/fake-mastodon';
import { DelayingProxy, waitFor } from '../../../libs/publishing/testing';
import { startTestApp, type TestApp } from '../../support/app';
import { TsChild } from '../publishing/support/child-process';
import { POST_ID, expectError } from './posts-client';

/** `POST /v1/posts/create-and-publish` (from `seeds/004`): one command, one append. */
describe('POST /v1/posts/create-and-publish', () => {
  let mastodon: FakeMastodon;

  beforeAll(async () => {
    mastodon = await FakeMastodon.start();
  });
  afterAll(async () => {
    await mastodon?.close();
  });

  const statusesWith = (text: string) => mastodon.statuses.filter((s) => s.text === text);

  describe('in the embedded app', () => {
    let app: TestApp;
    let key: string;

    beforeAll(async () => {
      app = await startTestApp({ env: { MEDIA_ALLOW_PRIVATE_NETWORKS: 'true' } });
      key = await app.createKey('create-and-publish');
      const account = await app.request('POST', '/v1/accounts', {
        key,
        body: { platform: 'mastodon', name: 'main', credentials: { access_token: mastodon.accessToken }, base_url: mastodon.url },
      });
      expect(account.status).toBe(201);
    });
    afterAll(async () => {
      await app?.stop();
    });

    const until = (id: string, status: string) =>
      waitFor(
        async () => {
          const got = await app.request('GET', `/v1/posts/${id}`, { key });
          return got.body.status === status ? got.body : null;
        },
        `post ${id} is ${status}`,
        15_000,
        20,
      );

    it('answers 202 with the post publishing; created and publish-requested are one append; it publishes', async () => {
      const res = await app.request('POST', '/v1/posts/create-and-publish', { key, body: { content: 'Now, at once', platforms: ['mastodon'], tags: ['launch'] } });
      expect(res.status).toBe(202);
      expect(res.body.id).toMatch(POST_ID);
      expect(res.body).toMatchObject({ content: 'Now, at once', platforms: ['mastodon'], status: 'publishing', tags: ['launch'], scheduled_for: null });

      const history = (await app.request('GET', `/v1/posts/${res.body.id}/history`, { key })).body.events;
      expect(history.slice(0, 2).map((e: { type: string }) => e.type)).toEqual(['PostCreated', 'PublishRequested']);
      expect(history[1].data).toMatchObject({ trigger: 'api', targets: [{ platform: 'mastodon', account_id: expect.stringMatching(/^acc_/) }] });
      // One append: both events carry the same instant and the same request.
      expect(history[1].at).toBe(history[0].at);

      const post = await until(res.body.id, 'published');
      expect(post.platform_results.mastodon.success).toBe(true);
      expect(statusesWith('Now, at once')).toHaveLength(1);
    });

    it('with an Idempotency-Key, a retry answers the same and makes no second post', async () => {
      const idempotencyKey = `cap-${randomBytes(6).toString('hex')}`;
      const body = { content: 'Exactly once please', platforms: ['mastodon'] };
      const first = await app.request('POST', '/v1/posts/create-and-publish', { key, body, headers: { 'idempotency-key': idempotencyKey } });
      const second = await app.request('POST', '/v1/posts/create-and-publish', { key, body, headers: { 'idempotency-key': idempotencyKey } });
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.body.id).toBe(first.body.id);
      await until(first.body.id, 'published');
      const listed = (await app.request('GET', '/v1/posts?limit=100', { key })).body.posts.filter((p: { content: string }) => p.content === 'Exactly once please');
      expect(listed).toHaveLength(1);
      expect(statusesWith('Exactly once please')).toHaveLength(1);
      const other = await app.request('POST', '/v1/posts/create-and-publish', { key, body: { ...body, content: 'other' }, headers: { 'idempotency-key': idempotencyKey } });
      expectError(other, 409, 'conflict');
    });

    it('refuses what a create or a publish would refuse, and stores nothing', async () => {
      const count = async () => (await app.request('GET', '/v1/posts?limit=1', { key })).body.total;
      const before = await count();
      expectError(await app.request('POST', '/v1/posts/create-and-publish', { key, body: { platforms: ['mastodon'] } }), 422, 'validation_error', ['content']);
      const noAccount = await app.request('POST', '/v1/posts/create-and-publish', { key, body: { content: 'x', platforms: ['mastodon', 'bluesky'] } });
      expectError(noAccount, 422, 'validation_error', ['platforms']);
      expect(noAccount.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ platform: 'bluesky', code: 'no_account' })]));
      expectError(await app.request('POST', '/v1/posts/create-and-publish', { key, body: { content: 'x'.repeat(501), platforms: ['mastodon'] } }), 422, 'validation_error', [
        'content',
      ]);
      expectError(
        await app.request('POST', '/v1/posts/create-and-publish', { key, body: { content: 'x', platforms: ['mastodon'], scheduled_for: new Date(Date.now() + 3_600_000).toISOString() } }),
        422,
        'validation_error',
        ['scheduled_for'],
      );
      expect(await count()).toBe(before);
    });
  });

  it('killed with SIGKILL right after the 202: after a restart the post publishes, once', async () => {
    // A slow instance, so the kill lands before the status reaches it.
    const slow = await DelayingProxy.start(mastodon.url, 2000);
    const dataDir = mkdtempSync(join(tmpdir(), 'postloom-cap-crash-'));
    const apiKey = `pl_test_${randomBytes(16).toString('hex')}`;
    const env = { DATA_DIR: dataDir, POSTLOOM_API_KEY: apiKey, MEDIA_ALLOW_PRIVATE_NETWORKS: 'true', PLATFORM_ALLOW_PRIVATE_NETWORKS: 'true', LOG_LEVEL: 'info' };
    const started = async (): Promise<{ child: TsChild; url: string }> => {
      const child = TsChild.start('apps/embedded/main.ts', env);
      await child.waitForOutput(/Postloom listening on (http:\/\/\S+)/, 30_000);
      return { child, url: /Postloom listening on (http:\/\/\S+)/.exec(child.text)![1] };
    };
    const call = async (url: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    let running: TsChild | null = null;
    try {
      const first = await started();
      running = first.child;
      const account = await call(first.url, 'POST', '/v1/accounts', {
        platform: 'mastodon',
        name: 'main',
        credentials: { access_token: mastodon.accessToken },
        base_url: slow.url,
      });
      expect(account.status).toBe(201);
      const res = await call(first.url, 'POST', '/v1/posts/create-and-publish', { content: 'Survives a crash', platforms: ['mastodon'] });
      first.child.kill('SIGKILL');
      expect(res.status).toBe(202);
      expect((await first.child.exited).signal).toBe('SIGKILL');
      // The crash came before the platform heard of the post: only the stored events remain.
      expect(statusesWith('Survives a crash')).toHaveLength(0);
      const postId = res.body.id as string;

      const second = await started();
      running = second.child;
      const post = await waitFor(
        async () => {
          const got = await call(second.url, 'GET', `/v1/posts/${postId}`);
          return got.body.status === 'published' || got.body.status === 'failed' ? got.body : null;
        },
        'the post finished publishing after the restart',
        30_000,
        50,
      );
      expect(post.status).toBe('published');
      expect(statusesWith('Survives a crash')).toHaveLength(1);
      const history = (await call(second.url, 'GET', `/v1/posts/${postId}/history`)).body.events.map((e: { type: string }) => e.type);
      expect(history.filter((t: string) => t === 'PublishRequested')).toHaveLength(1);
      expect(history.filter((t: string) => t === 'SegmentPublished')).toHaveLength(1);
      expect(history.filter((t: string) => t === 'PlatformPublished')).toHaveLength(1);
      const stopped = await second.child.stop();
      expect(stopped.code).toBe(0);
    } finally {
      if (running?.running) await running.stop();
      await slow.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
