import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { FakeTwitter } from '../../../libs/platforms/testing';
import { waitFor } from '../../../libs/publishing/testing';
import { startTestApp, type TestApp } from '../../support/app';

/**
 * Connecting an X account with OAuth 2.0 (PKCE) through the API, against X's local
 * server: connect → publish → the token dies → publish (refreshed once) → the person
 * revokes the app → a clear failure naming the account → reconnect the same user (same
 * account id) → retry finishes the post. Plus the callback's bad input.
 */

const PUBLIC_URL = 'http://postloom.test';

/** Receives webhook deliveries on 127.0.0.1. */
class Receiver {
  readonly received: any[] = [];
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<Receiver> {
    const server = http.createServer();
    const receiver = new Receiver(server);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        receiver.received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
const BACK = 'https://app.example/connected';

describe('OAuth connect for X, and the account kept alive', () => {
  let app: TestApp;
  let x: FakeTwitter;
  let receiver: Receiver;

  beforeAll(async () => {
    x = await FakeTwitter.start();
    receiver = await Receiver.start();
    app = await startTestApp({
      env: {
        POSTLOOM_PUBLIC_URL: PUBLIC_URL,
        TWITTER_CLIENT_ID: 'fake-client-id',
        TWITTER_CLIENT_SECRET: 'fake-client-secret',
        TWITTER_AUTHORIZE_URL: `${x.url}/i/oauth2/authorize`,
        TWITTER_TOKEN_URL: `${x.url}/2/oauth2/token`,
        PUBLISH_RETRY_INITIAL_MS: '50',
        PUBLISH_RETRY_MAX_MS: '100',
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    });
  }, 30_000);

  afterAll(async () => {
    await app?.stop();
    await x?.close();
    await receiver?.close();
  });

  /** The platform's answer to the browser, sent to this app instead of the public URL. */
  const callback = (location: string, key: string | null = null): Promise<Response> => {
    const target = new URL(location);
    expect(target.origin).toBe(PUBLIC_URL);
    return fetch(`${app.url}${target.pathname}${target.search}`, { redirect: 'manual', headers: key ? { authorization: `Bearer ${key}` } : {} });
  };

  /** Runs a whole connect as a browser would; returns where the person ends up. */
  async function connect(key: string, body: Record<string, unknown> = {}): Promise<URL> {
    const started = await app.request('POST', '/v1/accounts/connect', { key, body: { platform: 'twitter', base_url: x.url, redirect_url: BACK, ...body } });
    expect(started.status).toBe(201);
    const consent = await fetch(started.body.authorize_url, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = await callback(consent.headers.get('location') as string);
    expect(back.status).toBe(302);
    return new URL(back.headers.get('location') as string);
  }

  async function publish(key: string, accountId: string, text: string): Promise<any> {
    const created = await app.request('POST', '/v1/posts', { key, body: { content: text, platforms: ['twitter'], accounts: [accountId] } });
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

  it('connects, refreshes once when the token dies, fails clearly when revoked, and finishes after a reconnect', async () => {
    const key = await app.createKey('oauth-x');
    expect((await app.request('POST', '/v1/webhooks', { key, body: { url: receiver.url, events: ['account.reconnect_required'] } })).status).toBe(201);
    const started = await app.request('POST', '/v1/accounts/connect', { key, body: { platform: 'twitter', redirect_url: BACK } });
    expect(started.status).toBe(201);
    const authorize = new URL(started.body.authorize_url);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'fake-client-id',
      redirect_uri: `${PUBLIC_URL}/v1/oauth/callback/twitter`,
      scope: expect.stringContaining('offline.access'),
      state: started.body.state,
      code_challenge_method: 'S256',
    });
    expect(Date.parse(started.body.expires_at) - Date.now()).toBeGreaterThan(9 * 60_000);

    const done = await connect(key);
    expect(done.origin + done.pathname).toBe(BACK);
    expect(done.searchParams.get('status')).toBe('connected');
    const accountId = done.searchParams.get('account_id') as string;
    const account = await app.request('GET', `/v1/accounts/${accountId}`, { key });
    expect(account.body).toMatchObject({
      id: accountId,
      platform: 'twitter',
      name: '@fakeposter',
      status: 'active',
      status_reason: null,
      connected_via: 'oauth',
      platform_user: { id: x.userId, username: 'fakeposter' },
    });
    expect(Date.parse(account.body.expires_at)).toBeGreaterThan(Date.now() + 60 * 60_000);
    expect(JSON.stringify(account.body)).not.toContain(x.accessToken);

    expect((await publish(key, accountId, 'Connected with OAuth')).status).toBe('published');

    // The token dies early at X: the publisher refreshes once and tries again.
    x.oauth.expireAccessToken();
    const refreshesBefore = x.oauth.refreshes;
    expect((await publish(key, accountId, 'After the token died')).status).toBe('published');
    expect(x.oauth.refreshes).toBe(refreshesBefore + 1);

    // POST /v1/accounts/:id/refresh renews now.
    const refreshed = await app.request('POST', `/v1/accounts/${accountId}/refresh`, { key });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ id: accountId, status: 'active' });
    expect(x.oauth.refreshes).toBe(refreshesBefore + 2);

    // The person revokes the app: the refresh is refused for good.
    x.oauth.revoke();
    const failed = await publish(key, accountId, 'While revoked');
    expect(failed.status).toBe('failed');
    expect(failed.platform_results.twitter.error).toContain(accountId);
    expect(failed.platform_results.twitter.error).toContain('reconnect');
    const dead = await app.request('GET', `/v1/accounts/${accountId}`, { key });
    expect(dead.body).toMatchObject({ status: 'reconnect_required', status_reason: expect.stringContaining('Value passed for the token was invalid.') });
    const [hook] = await waitFor(() => (receiver.received.length > 0 ? receiver.received : null), 'account.reconnect_required arrives');
    expect(hook).toMatchObject({ type: 'account.reconnect_required', data: { account: { id: accountId, platform: 'twitter', status: 'reconnect_required', status_reason: expect.stringContaining('Value passed') } } });

    // Reconnecting the same X user updates the same account.
    const again = await connect(key);
    expect(again.searchParams.get('account_id')).toBe(accountId);
    const accounts = await app.request('GET', '/v1/accounts', { key });
    expect(accounts.body.accounts.map((a: any) => a.id)).toEqual([accountId]);
    expect(accounts.body.accounts[0]).toMatchObject({ status: 'active', status_reason: null });

    const retried = await app.request('POST', `/v1/posts/${failed.id}/retry`, { key });
    expect(retried.status).toBe(202);
    expect((await finished(key, failed.id)).status).toBe('published');

    const history = await app.request('GET', `/v1/accounts/${accountId}/history`, { key });
    expect(history.status).toBe(200);
    const types = history.body.history.map((h: any) => h.type);
    expect(types[0]).toBe('connected');
    expect(types).toEqual(expect.arrayContaining(['refreshed', 'refresh_failed', 'status_changed', 'reconnected']));
    expect(history.body.history.every((h: any) => typeof h.at === 'string')).toBe(true);
    expect(JSON.stringify(history.body)).not.toMatch(/at-[0-9a-f]{24}|rt-[0-9a-f]{24}/);
  }, 60_000);

  it('refuses unknown, reused and expired states with 400 and stores nothing', async () => {
    const key = await app.createKey('oauth-x-bad-state');
    const unknown = await fetch(`${app.url}/v1/oauth/callback/twitter?code=c&state=nope`, { redirect: 'manual' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: unknown }).error).toMatchObject({ code: 'bad_request' });

    const started = await app.request('POST', '/v1/accounts/connect', { key, body: { platform: 'twitter', base_url: x.url, redirect_url: BACK } });
    const consent = await fetch(started.body.authorize_url, { redirect: 'manual' });
    const location = consent.headers.get('location') as string;
    expect((await callback(location)).status).toBe(302);
    expect((await callback(location)).status).toBe(400);
    expect((await app.request('GET', '/v1/accounts', { key })).body.accounts).toHaveLength(1);
  });

  it('sends the person back with status=denied when they refuse', async () => {
    const key = await app.createKey('oauth-x-denied');
    x.oauth.denyNext = true;
    const back = await connect(key);
    expect(back.searchParams.get('status')).toBe('denied');
    expect(back.searchParams.get('account_id')).toBeNull();
    expect((await app.request('GET', '/v1/accounts', { key })).body.accounts).toEqual([]);
  });

  it('says which variables are missing for a platform without a client, and validates the body', async () => {
    const key = await app.createKey('oauth-x-config');
    const missing = await app.request('POST', '/v1/accounts/connect', { key, body: { platform: 'youtube' } });
    expect(missing.status).toBe(422);
    expect(JSON.stringify(missing.body.error)).toContain('YOUTUBE_CLIENT_ID');
    expect(JSON.stringify(missing.body.error)).toContain('YOUTUBE_CLIENT_SECRET');
    const bad = await app.request('POST', '/v1/accounts/connect', { key, body: { platform: 'nope', redirect_url: 'javascript:alert(1)' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: any) => d.field).sort()).toEqual(['platform', 'redirect_url']);
  });

  it('makes one account when two connects of the same user race', async () => {
    const key = await app.createKey('oauth-x-race');
    const [a, b] = await Promise.all([connect(key), connect(key)]);
    expect(a.searchParams.get('status')).toBe('connected');
    expect(b.searchParams.get('account_id')).toBe(a.searchParams.get('account_id'));
    expect((await app.request('GET', '/v1/accounts', { key })).body.accounts).toHaveLength(1);
  });
});
