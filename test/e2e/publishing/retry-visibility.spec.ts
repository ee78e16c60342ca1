import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeMastodon } from '../../../libs/platforms/src/mastodon/testing/fake-mastodon';
import { waitFor } from '../../../libs/publishing/testing';
import { startTestApp, type TestApp } from '../../support/app';

/**
 * A platform that fails twice before it takes the post: while it is in flight the post
 * says so (pending, attempts, last error, when the next attempt is due), history lists
 * every attempt, and subscribers hear `post.platform_retrying`.
 */
describe('publishing that retries is visible', () => {
  let app: TestApp;
  let mastodon: FakeMastodon;
  let hooks: http.Server;
  const received: { type: string; data: { platform?: string; post: { platform_results: Record<string, unknown> } } }[] = [];

  beforeAll(async () => {
    mastodon = await FakeMastodon.start();
    hooks = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    // Attempts a second or more apart, so each in-flight state can be seen before the next one.
    app = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', PUBLISH_RETRY_INITIAL_MS: '1500', PUBLISH_RETRY_MAX_MS: '3000', PUBLISH_MAX_ATTEMPTS: '5' } });
  });
  afterAll(async () => {
    await app?.stop();
    await mastodon?.close();
    hooks.closeAllConnections();
    await new Promise((resolve) => hooks.close(resolve));
  });

  it('shows pending with the attempt count and last error, lists the attempts in history, and sends post.platform_retrying', async () => {
    const hook = await app.request('POST', '/v1/webhooks', { body: { url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`, events: ['post.platform_retrying', 'post.published'] } });
    expect(hook.status).toBe(201);
    const account = await app.request('POST', '/v1/accounts', { body: { platform: 'mastodon', name: 'main', credentials: { access_token: mastodon.accessToken }, base_url: mastodon.url } });
    expect(account.status).toBe(201);
    mastodon.failNext('POST /api/v1/statuses', { status: 503, body: { error: 'Service temporarily overloaded' } });
    mastodon.failNext('POST /api/v1/statuses', { status: 502, body: { error: 'Bad gateway upstream' } });

    const post = await app.request('POST', '/v1/posts', { body: { content: 'third time lucky', platforms: ['mastodon'] } });
    expect((await app.request('POST', `/v1/posts/${post.body.id}/publish`)).status).toBe(202);

    const inFlight = async (attempts: number) =>
      waitFor(async () => {
        const res = await app.request('GET', `/v1/posts/${post.body.id}`);
        const result = res.body.platform_results?.mastodon;
        return result?.pending === true && result.attempts === attempts ? res.body : null;
      }, `attempt ${attempts} shown as pending`, 10_000);

    const first = await inFlight(1);
    expect(first.status).toBe('publishing');
    expect(first.platform_results.mastodon).toEqual({ pending: true, attempts: 1, last_error: expect.stringMatching(/Service temporarily overloaded/), next_attempt_at: expect.any(String) });
    expect(Date.parse(first.platform_results.mastodon.next_attempt_at)).toBeGreaterThan(Date.now() - 1_000);
    const second = await inFlight(2);
    expect(second.platform_results.mastodon.last_error).toMatch(/Bad gateway upstream/);

    const done = await waitFor(async () => {
      const res = await app.request('GET', `/v1/posts/${post.body.id}`);
      return res.body.status === 'published' ? res.body : null;
    }, 'published', 15_000);
    expect(done.platform_results.mastodon).toMatchObject({ success: true, attempts: 3 });

    const history = await app.request('GET', `/v1/posts/${post.body.id}/history`);
    const attempts = (history.body.events as { type: string; data: { attempt: number; error: string } }[]).filter((e) => e.type === 'PlatformAttemptFailed');
    expect(attempts.map((e) => e.data.attempt)).toEqual([1, 2]);
    expect(attempts[0].data.error).toMatch(/Service temporarily overloaded/);

    await waitFor(async () => (received.filter((r) => r.type === 'post.platform_retrying').length >= 2 ? true : null), 'two retrying webhooks', 10_000);
    const retrying = received.filter((r) => r.type === 'post.platform_retrying');
    expect(retrying.map((r) => r.data.platform)).toEqual(['mastodon', 'mastodon']);
    expect(retrying[0].data.post.platform_results.mastodon).toMatchObject({ pending: true, attempts: 1 });
  });
});
