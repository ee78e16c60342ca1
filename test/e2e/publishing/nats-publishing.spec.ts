import { randomBytes } from 'node:crypto';
import { statusOf } from '../../../libs/domain';
import { NatsJobQueue } from '../../../libs/messaging';
import { MastodonAdapter, PlatformAdapter } from '../../../libs/platforms';
import { FakeMastodon } from '../../../libs/platforms/src/mastodon/testing/fake-mastodon';
import type { Publishing } from '../../../libs/publishing';
import {
  createPost,
  DelayingProxy,
  openTestRuntime,
  postContent,
  requestPublish,
  startPublishingFor,
  stateOf,
  TestRuntime,
  waitFor,
  waitForStatus,
} from '../../../libs/publishing/testing';
import { NatsServer, startNatsServer } from '../../support/nats-server';
import { TsChild } from './support/child-process';

/** Delegates to the real adapter, counting the segments this replica published. */
function counting(adapter: PlatformAdapter): PlatformAdapter & { segments: number } {
  const counted = {
    platform: adapter.platform,
    rules: adapter.rules,
    segments: 0,
    async publishSegment(request: Parameters<PlatformAdapter['publishSegment']>[0]) {
      counted.segments++;
      return adapter.publishSegment(request);
    },
  };
  return counted;
}

describe('publishing over NATS JetStream', () => {
  let nats: NatsServer;
  let t: TestRuntime;
  let mastodon: FakeMastodon;
  const cleanups: (() => Promise<unknown>)[] = [];
  let stream: string;

  const queue = async (options: { maxDeliver?: number; ackWaitMs?: number } = {}): Promise<NatsJobQueue> => {
    const q = await NatsJobQueue.connect({ servers: nats.url, stream, subjectPrefix: `${stream.toLowerCase()}.jobs`, onError: () => undefined, ...options });
    cleanups.push(() => q.close());
    return q;
  };

  const publisher = async (q: NatsJobQueue, adapter: PlatformAdapter = new MastodonAdapter()): Promise<Publishing> => {
    const publishing = await startPublishingFor(t, { queue: q, platforms: ['mastodon'], adapters: { mastodon: adapter } });
    cleanups.unshift(() => publishing.stop());
    return publishing;
  };

  const connectMastodon = (baseUrl = mastodon.url) =>
    t.runtime.accounts.connect(t.workspaceId, { platform: 'mastodon', name: 'main', credentials: { access_token: mastodon.accessToken }, base_url: baseUrl });

  beforeAll(async () => {
    nats = await startNatsServer();
  });

  afterAll(async () => {
    await nats?.stop();
  });

  beforeEach(async () => {
    stream = `PUBLISH_${randomBytes(4).toString('hex').toUpperCase()}`;
    t = await openTestRuntime({ messaging: false });
    mastodon = await FakeMastodon.start();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
    await mastodon.close();
    await t.remove();
  });

  it('two publisher replicas share 100 jobs: none lost, none done twice', async () => {
    await connectMastodon();
    const replicas = [counting(new MastodonAdapter()), counting(new MastodonAdapter())];
    await publisher(await queue(), replicas[0]);
    await publisher(await queue(), replicas[1]);
    const postIds: string[] = [];
    for (let i = 0; i < 100; i++) {
      const postId = await createPost(t, postContent(['mastodon'], { content: `post number ${i}` }));
      await requestPublish(t, postId);
      postIds.push(postId);
    }
    await waitFor(async () => {
      for (const postId of postIds) if (statusOf(await stateOf(t, postId)) !== 'published') return false;
      return true;
    }, 'every post is published', 30_000, 50);

    expect(mastodon.requestsTo('POST /api/v1/statuses')).toBe(100);
    expect(new Set(mastodon.statuses.map((s) => s.text)).size).toBe(100);
    expect(replicas[0].segments + replicas[1].segments).toBe(100);
    expect(replicas[0].segments).toBeGreaterThan(0);
    expect(replicas[1].segments).toBeGreaterThan(0);
  }, 40_000);

  it('retries after a 503 and then publishes', async () => {
    await connectMastodon();
    mastodon.failNext('POST /api/v1/statuses', { status: 503 });
    await publisher(await queue());
    const postId = await createPost(t, postContent(['mastodon']));
    await requestPublish(t, postId);
    const state = await waitForStatus(t, postId, ['published', 'failed']);
    expect(state.progress.mastodon?.outcome).toMatchObject({ success: true, attempts: 2 });
    expect(mastodon.statuses).toHaveLength(1);
  });

  it('gives up after the last delivery and records the reason', async () => {
    await connectMastodon();
    for (let i = 0; i < 3; i++) mastodon.failNext('POST /api/v1/statuses', { status: 503, body: { error: 'Service Unavailable' } });
    await publisher(await queue({ maxDeliver: 3 }));
    const postId = await createPost(t, postContent(['mastodon']));
    await requestPublish(t, postId);
    const state = await waitForStatus(t, postId, ['published', 'failed']);
    expect(statusOf(state)).toBe('failed');
    expect(state.progress.mastodon?.outcome).toMatchObject({ success: false, code: 'transient', attempts: 3, error: expect.stringMatching(/HTTP 503.*gave up after 3 attempts/) });
    expect(mastodon.statuses).toEqual([]);
  });

  it('a publisher killed with SIGKILL in the middle of a thread resumes it: every segment exactly once', async () => {
    // A slow instance, so the kill lands between segments.
    const slow = await DelayingProxy.start(mastodon.url, 150);
    cleanups.push(() => slow.close());
    await connectMastodon(slow.url);
    const env = {
      DATA_DIR: t.dataDir,
      NATS_URL: nats.url,
      PLATFORMS: 'mastodon',
      NATS_ACK_WAIT_MS: '1500',
      LOG_LEVEL: 'info',
      MEDIA_ALLOW_PRIVATE_NETWORKS: 'true',
      PLATFORM_ALLOW_PRIVATE_NETWORKS: 'true',
      POSTLOOM_API_KEY: t.config.apiKey ?? '',
    };
    let child = TsChild.start('apps/publisher/main.ts', env);
    cleanups.push(() => child.stop());
    await child.waitForOutput(/publisher ready/, 20_000);

    const segments = ['two', 'three', 'four', 'five'].map((content) => ({ content }));
    const postId = await createPost(t, postContent(['mastodon'], { content: 'one', segments }));
    await requestPublish(t, postId);
    await waitFor(() => mastodon.statuses.length >= 2, 'two segments are on the platform', 20_000);
    child.kill('SIGKILL');
    const exit = await child.exited;
    expect(exit.signal).toBe('SIGKILL');
    const before = await stateOf(t, postId);
    expect(statusOf(before)).toBe('publishing');
    expect(before.progress.mastodon!.segments.length).toBeLessThan(5);

    child = TsChild.start('apps/publisher/main.ts', env);
    cleanups.push(() => child.stop());
    const state = await waitForStatus(t, postId, ['published', 'failed'], 20_000);
    expect(statusOf(state)).toBe('published');
    expect(mastodon.statuses.map((s) => s.text)).toEqual(['one', 'two', 'three', 'four', 'five']);
    for (let i = 1; i < 5; i++) expect(mastodon.statuses[i].in_reply_to_id).toBe(mastodon.statuses[i - 1].id);
    expect(state.progress.mastodon!.segments.map((s) => s.post_id)).toEqual(mastodon.statuses.map((s) => s.id));

    const stopped = await child.stop();
    expect(stopped.code).toBe(0);
  }, 60_000);
});
