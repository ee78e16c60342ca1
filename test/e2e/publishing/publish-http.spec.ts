import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtpAgent } from '@atproto/api';
import { TestNetworkNoAppView } from '@atproto/dev-env';
import { FakeMastodon } from '../../../libs/platforms/src/mastodon/testing/fake-mastodon';
import { waitFor } from '../../../libs/publishing/testing';
import { verifySignature } from '../../../libs/webhook-delivery';
import { startTestApp, TestApp } from '../../support/app';

/** A webhook subscriber's endpoint, keeping the raw bodies to check their signatures. */
class WebhookReceiver {
  readonly received: { body: string; signature: string; payload: any }[] = [];
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<WebhookReceiver> {
    const server = http.createServer();
    const receiver = new WebhookReceiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        receiver.received.push({ body, signature: String(req.headers['postloom-signature']), payload: JSON.parse(body) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/postloom`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('publishing through the HTTP API (embedded mode, real PDS, fake Mastodon)', () => {
  let app: TestApp;
  let network: TestNetworkNoAppView;
  let pdsFiles: string;
  let mastodon: FakeMastodon;
  let reader: AtpAgent;
  let did: string;
  let appPassword: string;

  beforeAll(async () => {
    // The PDS keeps its SQLite files and blobs on disk: in one folder, removed afterwards.
    pdsFiles = await mkdtemp(join(tmpdir(), 'postloom-pds-'));
    await mkdir(join(pdsFiles, 'data'), { recursive: true });
    network = await TestNetworkNoAppView.create({ dbPostgresSchema: 'postloom_e2e', pds: { dataDirectory: join(pdsFiles, 'data'), blobstoreDiskLocation: join(pdsFiles, 'blobs') } });
    reader = network.pds.getClient();
    const created = await reader.createAccount({ email: 'carol@test.com', handle: 'carol.test', password: 'carol-main-password' });
    did = created.data.did;
    appPassword = (await reader.com.atproto.server.createAppPassword({ name: 'postloom' })).data.password;
    mastodon = await FakeMastodon.start();
    app = await startTestApp({ env: { MEDIA_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await mastodon?.close();
    await network?.close();
    if (pdsFiles) await rm(pdsFiles, { recursive: true, force: true });
  });

  /** A fresh workspace with accounts on both platforms (bad credentials where asked). */
  async function workspace(options: { badBluesky?: boolean; badMastodon?: boolean } = {}) {
    const key = await app.createKey(`ws-${Math.random().toString(36).slice(2)}`);
    const bluesky = await app.request('POST', '/v1/accounts', {
      key,
      body: { platform: 'bluesky', name: 'carol', credentials: { identifier: 'carol.test', app_password: options.badBluesky ? 'wrong-wrong-wrong' : appPassword }, base_url: network.pds.url },
    });
    expect(bluesky.status).toBe(201);
    const masto = await app.request('POST', '/v1/accounts', {
      key,
      body: { platform: 'mastodon', name: 'alice', credentials: { access_token: options.badMastodon ? 'revoked' : mastodon.accessToken }, base_url: mastodon.url },
    });
    expect(masto.status).toBe(201);
    return { key, bluesky: bluesky.body.id as string, mastodon: masto.body.id as string };
  }

  async function blueskyPosts(): Promise<{ uri: string; value: any }[]> {
    const { data } = await reader.com.atproto.repo.listRecords({ repo: did, collection: 'app.bsky.feed.post', limit: 100 });
    return data.records as { uri: string; value: any }[];
  }

  async function untilFinished(key: string, postId: string, timeoutMs = 15_000): Promise<any> {
    return waitFor(
      async () => {
        const got = await app.request('GET', `/v1/posts/${postId}`, { key });
        return got.body.status === 'published' || got.body.status === 'failed' ? got.body : null;
      },
      `post ${postId} finished publishing`,
      timeoutMs,
      25,
    );
  }

  async function createAndPublish(key: string, body: Record<string, unknown>): Promise<string> {
    const created = await app.request('POST', '/v1/posts', { key, body });
    expect(created.status).toBe(201);
    const published = await app.request('POST', `/v1/posts/${created.body.id}/publish`, { key });
    expect(published.status).toBe(202);
    return created.body.id;
  }

  it('publishes to Bluesky and Mastodon and shows both results', async () => {
    const { key } = await workspace();
    const before = (await blueskyPosts()).length;
    const postId = await createAndPublish(key, { content: 'Hello from the e2e test', platforms: ['bluesky', 'mastodon'] });
    const post = await untilFinished(key, postId);
    expect(post.status).toBe('published');
    expect(post.published_at).toEqual(expect.stringMatching(/Z$/));
    expect(post.platform_results.bluesky).toMatchObject({ success: true, post_id: expect.stringMatching(/^at:\/\//), post_url: expect.stringContaining('bsky.app'), attempts: 1 });
    expect(post.platform_results.mastodon).toMatchObject({ success: true, post_id: expect.any(String), attempts: 1 });
    const records = await blueskyPosts();
    expect(records).toHaveLength(before + 1);
    expect(records.find((r) => r.uri === post.platform_results.bluesky.post_id)?.value.text).toBe('Hello from the e2e test');
    expect(mastodon.statuses.find((s) => s.id === post.platform_results.mastodon.post_id)?.text).toBe('Hello from the e2e test');
  });

  it('publishes a thread of 3 as reply chains on both platforms', async () => {
    const { key } = await workspace();
    const postId = await createAndPublish(key, {
      content: 'Thread start',
      platforms: ['bluesky', 'mastodon'],
      segments: [{ content: 'Thread middle' }, { content: 'Thread end' }],
    });
    const post = await untilFinished(key, postId);
    expect(post.status).toBe('published');
    for (const platform of ['bluesky', 'mastodon']) expect(post.platform_results[platform].segments).toHaveLength(3);

    const [root, middle, end] = post.platform_results.bluesky.segments.map((s: { post_id: string }) => s.post_id);
    const records = new Map((await blueskyPosts()).map((r) => [r.uri, r.value]));
    expect(records.get(middle).reply).toMatchObject({ root: { uri: root }, parent: { uri: root } });
    expect(records.get(end).reply).toMatchObject({ root: { uri: root }, parent: { uri: middle } });
    expect(records.get(end).text).toBe('Thread end');

    const ids = post.platform_results.mastodon.segments.map((s: { post_id: string }) => s.post_id);
    const statuses = ids.map((id: string) => mastodon.statuses.find((s) => s.id === id)!);
    expect(statuses.map((s: { text: string }) => s.text)).toEqual(['Thread start', 'Thread middle', 'Thread end']);
    expect(statuses[1].in_reply_to_id).toBe(ids[0]);
    expect(statuses[2].in_reply_to_id).toBe(ids[1]);
  });

  it('one platform failing leaves the post published with its error; a retry after reconnecting publishes only that one', async () => {
    const { key, mastodon: badAccount } = await workspace({ badMastodon: true });
    const postId = await createAndPublish(key, { content: 'Partly failing', platforms: ['bluesky', 'mastodon'] });
    const partial = await untilFinished(key, postId);
    expect(partial.status).toBe('published');
    expect(partial.platform_results.bluesky.success).toBe(true);
    expect(partial.platform_results.mastodon).toMatchObject({ success: false, error: expect.stringMatching(/reconnect/i) });
    const blueskyCount = (await blueskyPosts()).length;

    expect((await app.request('DELETE', `/v1/accounts/${badAccount}`, { key })).status).toBe(204);
    const reconnected = await app.request('POST', '/v1/accounts', { key, body: { platform: 'mastodon', name: 'alice', credentials: { access_token: mastodon.accessToken }, base_url: mastodon.url } });
    expect(reconnected.status).toBe(201);
    const retry = await app.request('POST', `/v1/posts/${postId}/retry`, { key });
    expect(retry.status).toBe(202);
    const post = await waitFor(
      async () => {
        const got = (await app.request('GET', `/v1/posts/${postId}`, { key })).body;
        return got.platform_results?.mastodon?.success === true ? got : null;
      },
      'mastodon is published after the retry',
    );
    expect(post.status).toBe('published');
    expect(post.platform_results.bluesky.post_id).toBe(partial.platform_results.bluesky.post_id);
    expect((await blueskyPosts()).length).toBe(blueskyCount);
    expect(mastodon.statuses.filter((s) => s.text === 'Partly failing')).toHaveLength(1);
  });

  it('every platform failing makes the post failed', async () => {
    const { key } = await workspace({ badBluesky: true, badMastodon: true });
    const postId = await createAndPublish(key, { content: 'Failing everywhere', platforms: ['bluesky', 'mastodon'] });
    const post = await untilFinished(key, postId);
    expect(post.status).toBe('failed');
    expect(post.published_at).toBeNull();
    expect(post.platform_results.bluesky).toMatchObject({ success: false, error: expect.any(String) });
    expect(post.platform_results.mastodon).toMatchObject({ success: false, error: expect.any(String) });
  });

  it('publishes a scheduled post within a second of scheduled_for', async () => {
    const { key } = await workspace();
    const scheduledFor = new Date(Date.now() + 2_000).toISOString();
    const created = await app.request('POST', '/v1/posts', { key, body: { content: 'On time', platforms: ['mastodon'], scheduled_for: scheduledFor } });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('scheduled');
    const post = await untilFinished(key, created.body.id);
    expect(post.status).toBe('published');
    const history = await app.request('GET', `/v1/posts/${created.body.id}/history`, { key });
    const requested = history.body.events.find((e: { type: string }) => e.type === 'PublishRequested');
    const lateMs = Date.parse(requested.at) - Date.parse(scheduledFor);
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(1_000);
    expect(Date.parse(post.published_at) - Date.parse(scheduledFor)).toBeLessThan(2_000);
  });

  it('delivers signed webhooks for the platforms and the post', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const { key } = await workspace({ badMastodon: true });
      const hook = await app.request('POST', '/v1/webhooks', {
        key,
        body: { url: receiver.url, events: ['post.published', 'post.failed', 'post.platform_published', 'post.platform_failed'] },
      });
      expect(hook.status).toBe(201);
      const secret: string = hook.body.secret;
      const postId = await createAndPublish(key, { content: 'Webhooks please', platforms: ['bluesky', 'mastodon'] });
      await waitFor(() => receiver.received.length === 3, 'three webhooks arrive');
      const types = receiver.received.map((r) => r.payload.type).sort();
      expect(types).toEqual(['post.platform_failed', 'post.platform_published', 'post.published']);
      for (const { body, signature, payload } of receiver.received) {
        expect(verifySignature(secret, body, signature)).toBe(true);
        expect(payload.data.post.id).toBe(postId);
      }
      const published = receiver.received.find((r) => r.payload.type === 'post.published')!.payload;
      expect(published.data.post.platform_results.mastodon.success).toBe(false);
      expect(receiver.received.find((r) => r.payload.type === 'post.platform_failed')!.payload.data.platform).toBe('mastodon');
      const deliveries = await waitFor(async () => {
        const got = await app.request('GET', `/v1/webhooks/${hook.body.id}/deliveries`, { key });
        return got.status === 200 && (got.body.deliveries ?? got.body).length === 3 ? got.body : null;
      }, 'the deliveries are logged');
      expect(deliveries).toBeTruthy();
    } finally {
      await receiver.close();
    }
  });
});
