import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { FakeTiktok } from '../../../libs/platforms/testing';
import { waitFor } from '../../../libs/publishing/testing';
import { startTestApp, type TestApp } from '../../support/app';

/**
 * Connecting a TikTok creator with Login Kit through the API, against TikTok's local
 * server: connect → publish → the token dies → publish (refreshed; TikTok rotates the
 * refresh token) → revoked → a clear failure → reconnect (same account) → retry finishes.
 */

const PUBLIC_URL = 'http://postloom.test';
const BACK = 'https://app.example/connected';

function mp4Bytes(): Buffer {
  const box = (type: string, payload: Buffer) => {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(8 + payload.length);
    return Buffer.concat([size, Buffer.from(type, 'latin1'), payload]);
  };
  const ftyp = box('ftyp', Buffer.concat([Buffer.from('isom', 'latin1'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2avc1mp41', 'latin1')]));
  return Buffer.concat([ftyp, box('free', Buffer.alloc(0)), box('mdat', Buffer.alloc(2048, 0x42))]);
}

describe('OAuth connect for TikTok, and the creator kept connected', () => {
  let app: TestApp;
  let tiktok: FakeTiktok;
  let media: http.Server;
  let videoUrl: string;

  beforeAll(async () => {
    tiktok = await FakeTiktok.start({ processingPolls: 0 });
    const video = mp4Bytes();
    media = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(video.length) }).end(video));
    await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
    videoUrl = `http://127.0.0.1:${(media.address() as AddressInfo).port}/launch.mp4`;
    app = await startTestApp({
      env: {
        POSTLOOM_PUBLIC_URL: PUBLIC_URL,
        TIKTOK_CLIENT_ID: 'fake-client-id',
        TIKTOK_CLIENT_SECRET: 'fake-client-secret',
        TIKTOK_AUTHORIZE_URL: `${tiktok.url}/v2/auth/authorize/`,
        TIKTOK_TOKEN_URL: `${tiktok.url}/v2/oauth/token/`,
        MEDIA_ALLOW_PRIVATE_NETWORKS: 'true',
        PUBLISH_RETRY_INITIAL_MS: '50',
        PUBLISH_RETRY_MAX_MS: '100',
      },
    });
  }, 30_000);

  afterAll(async () => {
    await app?.stop();
    await tiktok?.close();
    media?.closeAllConnections();
    await new Promise((resolve) => media?.close(resolve));
  });

  async function connect(key: string): Promise<URL> {
    const started = await app.request('POST', '/v1/accounts/connect', { key, body: { platform: 'tiktok', base_url: tiktok.url, redirect_url: BACK } });
    expect(started.status).toBe(201);
    const authorize = new URL(started.body.authorize_url);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({ client_key: 'fake-client-id', scope: expect.stringContaining('video.publish') });
    const consent = await fetch(started.body.authorize_url, { redirect: 'manual' });
    const location = new URL(consent.headers.get('location') as string);
    expect(location.origin).toBe(PUBLIC_URL);
    const back = await fetch(`${app.url}${location.pathname}${location.search}`, { redirect: 'manual' });
    expect(back.status).toBe(302);
    return new URL(back.headers.get('location') as string);
  }

  async function publish(key: string, accountId: string, title: string): Promise<any> {
    const created = await app.request('POST', '/v1/posts', {
      key,
      body: { content: `${title}: the description`, platforms: ['tiktok'], accounts: [accountId], media: { video: { url: videoUrl } }, platform_settings: { tiktok: { privacy_level: 'PUBLIC_TO_EVERYONE' } } },
    });
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

  it('connect → publish → expired → refreshed → revoked → reconnect → retry', async () => {
    const key = await app.createKey('oauth-tiktok');
    const done = await connect(key);
    expect(done.searchParams.get('status')).toBe('connected');
    const accountId = done.searchParams.get('account_id') as string;
    expect((await app.request('GET', `/v1/accounts/${accountId}`, { key })).body).toMatchObject({
      status: 'active',
      connected_via: 'oauth',
      platform_user: { id: tiktok.openId, username: 'postloom' },
    });
    expect((await publish(key, accountId, 'First video')).status).toBe('published');

    tiktok.oauth.expireAccessToken();
    expect((await publish(key, accountId, 'After a day')).status).toBe('published');
    expect(tiktok.oauth.refreshes).toBe(1);

    tiktok.oauth.revoke();
    const failed = await publish(key, accountId, 'While revoked');
    expect(failed.status).toBe('failed');
    expect(failed.platform_results.tiktok.error).toContain(accountId);
    expect((await app.request('GET', `/v1/accounts/${accountId}`, { key })).body).toMatchObject({ status: 'reconnect_required', status_reason: expect.stringContaining('Refresh token is invalid or expired.') });

    expect((await connect(key)).searchParams.get('account_id')).toBe(accountId);
    expect((await app.request('POST', `/v1/posts/${failed.id}/retry`, { key })).status).toBe(202);
    expect((await finished(key, failed.id)).status).toBe('published');
    expect((await app.request('GET', '/v1/accounts', { key })).body.accounts).toHaveLength(1);
  }, 60_000);
});
