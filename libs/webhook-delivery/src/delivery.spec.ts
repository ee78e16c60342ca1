import { EventStoreDbEventStore } from '../../event-store';
import { InMemoryEventStoreDb } from '../../event-store/src/testing/in-memory-eventstoredb';
import { planPosts, writeScenario } from '../../read-models/testing';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Platform } from '../../domain';
import { createPost, openTestRuntime, postContent, TestRuntime, waitFor } from '../../publishing/testing';
import { WebhookDelivery, WebhookPayload, startWebhookDelivery } from './delivery';
import { SqliteWebhookOutbox } from './sqlite-outbox';
import { signPayload, verifySignature } from './signature';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  payload: WebhookPayload;
}

/** A subscriber's endpoint: answers from a script (default 200) and keeps what it got. */
class Receiver {
  readonly received: Received[] = [];
  readonly statuses: number[] = [];
  answers: number[] = [];

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<Receiver> {
    const server = http.createServer();
    const receiver = new Receiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = receiver.answers.shift() ?? 200;
        receiver.statuses.push(status);
        if (status >= 200 && status < 300) {
          const body = Buffer.concat(chunks).toString('utf8');
          receiver.received.push({ headers: req.headers, body, payload: JSON.parse(body) as WebhookPayload });
        }
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  ofType(type: string): Received[] {
    return this.received.filter((r) => r.payload.type === type);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('webhook delivery', () => {
  let t: TestRuntime;
  let receiver: Receiver;
  let outbox: SqliteWebhookOutbox;
  let delivery: WebhookDelivery | null = null;

  const startDelivery = async (options: { allowPrivateNetworks?: boolean } = {}): Promise<WebhookDelivery> => {
    delivery = await startWebhookDelivery({
      store: t.runtime.eventStore,
      webhooks: t.runtime.webhooks,
      outbox,
      retry: { initialMs: 50, maxMs: 200, maxAttempts: 4 },
      pollIntervalMs: 20,
      // The receiver listens on loopback.
      allowPrivateNetworks: options.allowPrivateNetworks ?? true,
    });
    return delivery;
  };

  /** Publishes the post on each platform as a publisher would report it: success or failure. */
  const publishWith = async (postId: string, outcomes: Partial<Record<Platform, 'ok' | 'fail'>>): Promise<void> => {
    const meta = { workspace_id: t.workspaceId, actor: 'test' };
    const platforms = Object.keys(outcomes) as Platform[];
    await t.commands.execute(
      postId,
      { type: 'RequestPublish', publish_id: 'pub_1', trigger: 'api', targets: platforms.map((platform) => ({ platform, account_id: `acc_${platform}` })), now: new Date().toISOString() },
      meta,
    );
    for (const platform of platforms) {
      if (outcomes[platform] === 'ok') {
        await t.commands.execute(
          postId,
          { type: 'RecordSegmentPublished', publish_id: 'pub_1', platform, segment_index: 0, segment_count: 1, post_id: `${platform}-1`, post_url: `https://${platform}.test/1`, ref: null },
          meta,
        );
        await t.commands.execute(postId, { type: 'RecordPlatformPublished', publish_id: 'pub_1', platform, attempts: 1 }, meta);
      } else {
        await t.commands.execute(postId, { type: 'RecordPlatformFailed', publish_id: 'pub_1', platform, error: `${platform} said no`, code: 'rejected', retryable: false, attempts: 1 }, meta);
      }
    }
  };

  beforeEach(async () => {
    t = await openTestRuntime({ messaging: false });
    receiver = await Receiver.start();
    outbox = new SqliteWebhookOutbox(join(t.dataDir, 'webhook-outbox.sqlite'));
  });

  afterEach(async () => {
    await delivery?.stop();
    delivery = null;
    await outbox.close();
    await receiver.close();
    await t.remove();
  });

  it('delivers post.published once the round finishes, signed with the webhook secret', async () => {
    const webhook = await t.runtime.webhooks.create(t.workspaceId, { url: receiver.url, events: ['post.published', 'post.failed', 'post.platform_published', 'post.platform_failed'] });
    await startDelivery();
    const postId = await createPost(t, postContent(['mastodon', 'bluesky']));
    await publishWith(postId, { mastodon: 'ok', bluesky: 'fail' });

    await waitFor(() => receiver.ofType('post.published').length === 1, 'post.published arrives');
    await waitFor(() => receiver.received.length === 3, 'every event arrives');
    expect(receiver.ofType('post.failed')).toEqual([]);
    const [published] = receiver.ofType('post.published');
    expect(published.payload).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      type: 'post.published',
      created_at: expect.stringMatching(/Z$/),
      data: { post: { id: postId, status: 'published', platform_results: { mastodon: { success: true, post_id: 'mastodon-1' }, bluesky: { success: false, error: 'bluesky said no' } } } },
    });
    expect(published.headers['content-type']).toBe('application/json');
    const signature = published.headers['postloom-signature'] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(webhook.secret, published.body, signature)).toBe(true);
    expect(verifySignature('whsec_other', published.body, signature)).toBe(false);
    expect(verifySignature(webhook.secret, published.body.replace('published', 'failed'), signature)).toBe(false);
    expect(receiver.ofType('post.platform_failed')[0].payload.data).toMatchObject({ platform: 'bluesky', post: { id: postId } });
    expect(receiver.ofType('post.platform_published')[0].payload.data.platform).toBe('mastodon');

    const log = await waitFor(async () => {
      const entries = await t.runtime.webhooks.listDeliveries(t.workspaceId, webhook.id);
      return entries.length === 3 ? entries : null;
    }, 'three deliveries are logged');
    expect(log.every((d) => d.succeeded && d.status_code === 200 && d.attempt === 1)).toBe(true);
  });

  it('delivers post.failed when every platform failed, and only to subscribers of that event', async () => {
    const other = await Receiver.start();
    try {
      await t.runtime.webhooks.create(t.workspaceId, { url: receiver.url, events: ['post.failed'] });
      await t.runtime.webhooks.create(t.workspaceId, { url: other.url, events: ['post.created'] });
      await startDelivery();
      const postId = await createPost(t, postContent(['mastodon', 'bluesky']));
      await publishWith(postId, { mastodon: 'fail', bluesky: 'fail' });
      await waitFor(() => receiver.received.length === 1 && other.received.length === 1, 'both subscribers got their event');
      expect(receiver.received[0].payload).toMatchObject({ type: 'post.failed', data: { post: { id: postId, status: 'failed' } } });
      expect(other.received[0].payload).toMatchObject({ type: 'post.created', data: { post: { id: postId } } });
    } finally {
      await other.close();
    }
  });

  it('retries a failed delivery with backoff and logs every attempt', async () => {
    const webhook = await t.runtime.webhooks.create(t.workspaceId, { url: receiver.url, events: ['post.created'] });
    receiver.answers = [500, 503];
    await startDelivery();
    await createPost(t, postContent(['mastodon']));
    await waitFor(() => receiver.received.length === 1, 'the third attempt succeeds');
    expect(receiver.statuses).toEqual([500, 503, 200]);
    const log = await waitFor(async () => {
      const entries = await t.runtime.webhooks.listDeliveries(t.workspaceId, webhook.id);
      return entries.length === 3 ? entries : null;
    }, 'three attempts are logged');
    expect(log.map((d) => [d.attempt, d.status_code, d.succeeded]).sort()).toEqual([
      [1, 500, false],
      [2, 503, false],
      [3, 200, true],
    ]);
    expect(new Set(log.map((d) => d.event_id)).size).toBe(1);
  });

  it('gives up after the last attempt', async () => {
    const webhook = await t.runtime.webhooks.create(t.workspaceId, { url: receiver.url, events: ['post.created'] });
    receiver.answers = [500, 500, 500, 500, 500];
    await startDelivery();
    await createPost(t, postContent(['mastodon']));
    await waitFor(async () => (await t.runtime.webhooks.listDeliveries(t.workspaceId, webhook.id)).length === 4, 'four attempts are logged');
    await waitFor(async () => (await outbox.nextDueAt()) === null, 'the outbox is empty');
    expect(receiver.statuses).toEqual([500, 500, 500, 500]);
  });

  it('resumes pending deliveries and the subscription after a restart', async () => {
    await t.runtime.webhooks.create(t.workspaceId, { url: receiver.url, events: ['post.created'] });
    receiver.answers = [500];
    await startDelivery();
    const first = await createPost(t, postContent(['mastodon']));
    await waitFor(() => receiver.statuses.length === 1, 'the first attempt failed');
    await delivery!.stop();
    delivery = null;
    // Created while nothing delivers: found by the subscription from its checkpoint.
    const second = await createPost(t, postContent(['mastodon']));
    await startDelivery();
    await waitFor(() => receiver.received.length === 2, 'both posts are delivered');
    expect(receiver.received.map((r) => r.payload.data.post.id).sort()).toEqual([first, second].sort());
  });

  it('refuses receivers on private networks unless allowed, recording why', async () => {
    const webhook = await t.runtime.webhooks.create(t.workspaceId, { url: receiver.url, events: ['post.created'] });
    const byName = await t.runtime.webhooks.create(t.workspaceId, { url: receiver.url.replace('127.0.0.1', 'localhost'), events: ['post.created'] });
    await startDelivery({ allowPrivateNetworks: false });
    await createPost(t, postContent(['mastodon']));
    for (const id of [webhook.id, byName.id]) {
      await waitFor(async () => (await t.runtime.webhooks.listDeliveries(t.workspaceId, id)).length >= 1, 'the attempt is logged');
      const [attempt] = await t.runtime.webhooks.listDeliveries(t.workspaceId, id);
      expect(attempt).toMatchObject({ succeeded: false, status_code: null, error: expect.stringMatching(/private network address.*WEBHOOK_ALLOW_PRIVATE_NETWORKS/) });
    }
    expect(receiver.received).toEqual([]);
  });

  it('stops delivering to a removed webhook', async () => {
    const webhook = await t.runtime.webhooks.create(t.workspaceId, { url: receiver.url, events: ['post.created'] });
    receiver.answers = [500];
    await startDelivery();
    await createPost(t, postContent(['mastodon']));
    await waitFor(() => receiver.statuses.length === 1, 'the first attempt failed');
    await t.runtime.webhooks.remove(t.workspaceId, webhook.id);
    await waitFor(async () => (await outbox.nextDueAt()) === null, 'the delivery is dropped');
    expect(receiver.statuses).toEqual([500]);
  });
});

describe('signPayload', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 (a known vector)', () => {
    // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
    expect(signPayload('whsec_test', '{"a":1}', 1_700_000_000)).toBe(
      't=1700000000,v1=' + require('node:crypto').createHmac('sha256', 'whsec_test').update('1700000000.{"a":1}').digest('hex'),
    );
    expect(verifySignature('whsec_test', '{"a":1}', signPayload('whsec_test', '{"a":1}', 1_700_000_000), { nowSeconds: 1_700_000_100 })).toBe(true);
    expect(verifySignature('whsec_test', '{"a":1}', signPayload('whsec_test', '{"a":1}', 1_700_000_000), { nowSeconds: 1_700_001_000 })).toBe(false);
  });
});

describe('webhook delivery restart from its checkpoint (strict EventStoreDB stand-in)', () => {
  it('saves positions of real events only, so a restart resumes where it stopped', async () => {
    const t = await openTestRuntime({ messaging: false });
    const server = new InMemoryEventStoreDb();
    const store = new EventStoreDbEventStore(server.client(), { reconnectInitialDelayMs: 5, reconnectMaxDelayMs: 40 });
    const outbox = new SqliteWebhookOutbox(join(t.dataDir, 'webhook-outbox-esdb.sqlite'));
    try {
      await writeScenario(store, planPosts({ posts: 6, seed: 9 }));
      const start = () => startWebhookDelivery({ store, webhooks: t.runtime.webhooks, outbox, pollIntervalMs: 20, allowPrivateNetworks: true });
      const caughtUpTo = async (position: bigint) => {
        for (const deadline = Date.now() + 5_000; (await outbox.checkpoint()) !== position && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
      };
      const first = await start();
      const head = await store.headPosition(['post-']);
      await caughtUpTo(head);
      await first.stop();
      const checkpoint = await outbox.checkpoint();
      expect(checkpoint).toBe(head);

      await writeScenario(store, planPosts({ posts: 6, seed: 10, idPrefix: 'q' }));
      const second = await start();
      const newHead = await store.headPosition(['post-']);
      await caughtUpTo(newHead);
      await second.stop();
      expect(await outbox.checkpoint()).toBe(newHead);
      expect(server.refusedPositions).toEqual([]);
      expect(store.failedSubscriptions()).toEqual([]);
    } finally {
      await store.close();
      await outbox.close();
      await t.remove();
    }
  });
});
