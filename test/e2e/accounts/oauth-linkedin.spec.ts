import { FakeLinkedIn } from '../../../libs/platforms/testing';
import { waitFor } from '../../../libs/publishing/testing';
import { startTestApp, type TestApp } from '../../support/app';

/**
 * Connecting a LinkedIn member with OAuth through the API, against LinkedIn's local
 * server: connect → publish → the token dies → publish (refreshed) → revoked → a clear
 * failure → reconnect (same account) → retry.
 */

const PUBLIC_URL = 'http://postloom.test';
const BACK = 'https://app.example/connected';

describe('OAuth connect for LinkedIn, and the member kept connected', () => {
  let app: TestApp;
  let linkedin: FakeLinkedIn;

  beforeAll(async () => {
    linkedin = await FakeLinkedIn.start({ processingPolls: 0 });
    app = await startTestApp({
      env: {
        POSTLOOM_PUBLIC_URL: PUBLIC_URL,
        LINKEDIN_CLIENT_ID: 'fake-client-id',
        LINKEDIN_CLIENT_SECRET: 'fake-client-secret',
        LINKEDIN_AUTHORIZE_URL: `${linkedin.url}/oauth/v2/authorization`,
        LINKEDIN_TOKEN_URL: `${linkedin.url}/oauth/v2/accessToken`,
        PUBLISH_RETRY_INITIAL_MS: '50',
        PUBLISH_RETRY_MAX_MS: '100',
      },
    });
  }, 30_000);

  afterAll(async () => {
    await app?.stop();
    await linkedin?.close();
  });

  async function connect(key: string): Promise<URL> {
    const started = await app.request('POST', '/v1/accounts/connect', { key, body: { platform: 'linkedin', base_url: linkedin.url, redirect_url: BACK } });
    expect(started.status).toBe(201);
    expect(new URL(started.body.authorize_url).searchParams.get('scope')).toContain('w_member_social');
    const consent = await fetch(started.body.authorize_url, { redirect: 'manual' });
    const location = new URL(consent.headers.get('location') as string);
    const back = await fetch(`${app.url}${location.pathname}${location.search}`, { redirect: 'manual' });
    expect(back.status).toBe(302);
    return new URL(back.headers.get('location') as string);
  }

  async function publish(key: string, accountId: string, text: string): Promise<any> {
    const created = await app.request('POST', '/v1/posts', { key, body: { content: text, platforms: ['linkedin'], accounts: [accountId] } });
    expect(created.status).toBe(201);
    expect((await app.request('POST', `/v1/posts/${created.body.id}/publish`, { key })).status).toBe(202);
    return finished(key, created.body.id);
  }

  function finished(key: string, postId: string): Promise<any> {
    return waitFor(
      async () => {
        const got = await app.request('GET', `/v1/posts/${postId}`, { key });
        return got.body.status === 'published' || got.body.status === 'failed' ? got.body : null;
      },
      `post ${postId} finished publishing`,
      15_000,
      25,
    );
  }

  it('connect → publish → expired → refreshed → revoked → reconnect (same account) → retry', async () => {
    const key = await app.createKey('oauth-linkedin');
    const done = await connect(key);
    expect(done.searchParams.get('status')).toBe('connected');
    const accountId = done.searchParams.get('account_id') as string;
    const account = (await app.request('GET', `/v1/accounts/${accountId}`, { key })).body;
    expect(account).toMatchObject({ status: 'active', connected_via: 'oauth', platform_user: { id: '8675309', username: 'Fake Poster' } });
    expect(Date.parse(account.expires_at)).toBeGreaterThan(Date.now() + 59 * 24 * 3600_000);
    expect((await publish(key, accountId, 'Connected with OAuth')).status).toBe('published');
    expect(linkedin.posts.at(-1)?.author).toBe(linkedin.author);

    linkedin.oauth.expireAccessToken();
    expect((await publish(key, accountId, 'After the token died')).status).toBe('published');
    expect(linkedin.oauth.refreshes).toBe(1);

    linkedin.oauth.revoke();
    const failed = await publish(key, accountId, 'While revoked');
    expect(failed.status).toBe('failed');
    expect(failed.platform_results.linkedin.error).toContain(accountId);
    expect((await app.request('GET', `/v1/accounts/${accountId}`, { key })).body).toMatchObject({ status: 'reconnect_required' });

    expect((await connect(key)).searchParams.get('account_id')).toBe(accountId);
    expect((await app.request('POST', `/v1/posts/${failed.id}/retry`, { key })).status).toBe(202);
    expect((await finished(key, failed.id)).status).toBe('published');
    expect((await app.request('GET', '/v1/accounts', { key })).body.accounts).toHaveLength(1);
  }, 60_000);
});
