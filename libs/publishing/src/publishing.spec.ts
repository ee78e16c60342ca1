import { postStream, statusOf } from '../../domain';
import { InProcessJobQueue } from '../../messaging';
import { MastodonAdapter } from '../../platforms';
import { FakeMastodon } from '../../platforms/src/mastodon/testing/fake-mastodon';
import { Publishing } from './publisher';
import {
  createPost,
  openTestRuntime,
  postContent,
  requestPublish,
  retryPublish,
  startPublishingFor,
  stateOf,
  TestRuntime,
  waitFor,
  waitForStatus,
} from './testing/pipeline-fixture';

describe('publishing (embedded: in-process queue, real Mastodon adapter, fake instance)', () => {
  let t: TestRuntime;
  let mastodon: FakeMastodon;
  let publishing: Publishing | null = null;
  let queue: InProcessJobQueue | null = null;

  const connectMastodon = (token = mastodon.accessToken) =>
    t.runtime.accounts.connect(t.workspaceId, { platform: 'mastodon', name: 'main', credentials: { access_token: token }, base_url: mastodon.url });

  const start = async (maxAttempts = 4, retryBackoff = { initialMs: 20, maxMs: 100 }): Promise<Publishing> => {
    queue = new InProcessJobQueue({ maxAttempts, onError: () => undefined });
    publishing = await startPublishingFor(t, { queue, platforms: ['mastodon'], retryBackoff });
    await publishing.ready;
    return publishing;
  };

  const stop = async (): Promise<void> => {
    await publishing?.stop();
    await queue?.close();
    publishing = null;
    queue = null;
  };

  beforeEach(async () => {
    t = await openTestRuntime({ messaging: false });
    mastodon = await FakeMastodon.start();
  });

  afterEach(async () => {
    await stop();
    await mastodon.close();
    await t.remove();
  });

  it('publishes a post and records the platform result', async () => {
    await connectMastodon();
    await start();
    const postId = await createPost(t, postContent(['mastodon']));
    await requestPublish(t, postId);
    const state = await waitForStatus(t, postId, ['published', 'failed']);
    expect(statusOf(state)).toBe('published');
    expect(mastodon.statuses).toHaveLength(1);
    expect(state.progress.mastodon?.outcome).toMatchObject({ success: true, post_id: mastodon.statuses[0].id, post_url: mastodon.statuses[0].url, attempts: 1 });
    const events = await t.runtime.eventStore.readStream(postStream(postId));
    expect(events.filter((e) => e.metadata.actor === 'publisher:mastodon').map((e) => e.type)).toEqual(['SegmentPublished', 'PlatformPublished']);
    expect(events.find((e) => e.type === 'PlatformPublished')?.metadata.correlation_id).toBe(state.round?.publish_id);
  });

  it('publishes a thread as a reply chain, in order', async () => {
    await connectMastodon();
    await start();
    const postId = await createPost(t, postContent(['mastodon'], { segments: [{ content: 'second' }, { content: 'third' }] }));
    await requestPublish(t, postId);
    await waitForStatus(t, postId, ['published']);
    expect(mastodon.statuses.map((s) => s.text)).toEqual(['Hello from Postloom', 'second', 'third']);
    expect(mastodon.statuses[1].in_reply_to_id).toBe(mastodon.statuses[0].id);
    expect(mastodon.statuses[2].in_reply_to_id).toBe(mastodon.statuses[1].id);
  });

  it('retries after a 503 and then publishes', async () => {
    await connectMastodon();
    mastodon.failNext('POST /api/v1/statuses', { status: 503 });
    await start();
    const postId = await createPost(t, postContent(['mastodon']));
    await requestPublish(t, postId);
    const state = await waitForStatus(t, postId, ['published', 'failed']);
    expect(state.progress.mastodon?.outcome).toMatchObject({ success: true, attempts: 2 });
    expect(mastodon.requestsTo('POST /api/v1/statuses')).toBe(2);
    expect(mastodon.statuses).toHaveLength(1);
  });

  it('gives up after the last attempt and records the reason', async () => {
    await connectMastodon();
    for (let i = 0; i < 3; i++) mastodon.failNext('POST /api/v1/statuses', { status: 503, body: { error: 'Service Unavailable' } });
    await start(3);
    const postId = await createPost(t, postContent(['mastodon']));
    await requestPublish(t, postId);
    const state = await waitForStatus(t, postId, ['published', 'failed']);
    expect(statusOf(state)).toBe('failed');
    expect(state.progress.mastodon?.outcome).toMatchObject({ success: false, code: 'transient', retryable: true, attempts: 3 });
    const outcome = state.progress.mastodon?.outcome as { error: string };
    expect(outcome.error).toMatch(/503/);
    expect(outcome.error).toMatch(/gave up after 3 attempts/);
    expect(mastodon.statuses).toEqual([]);
  });

  it('fails at once with the platform reason when the token is refused, then a retry after reconnecting publishes', async () => {
    const bad = await connectMastodon('revoked-token');
    await start();
    const postId = await createPost(t, postContent(['mastodon']));
    await requestPublish(t, postId);
    const failed = await waitForStatus(t, postId, ['published', 'failed']);
    expect(failed.progress.mastodon?.outcome).toMatchObject({ success: false, code: 'auth', retryable: false, attempts: 1 });
    expect((failed.progress.mastodon?.outcome as { error: string }).error).toMatch(/reconnect/i);

    await t.runtime.accounts.remove(t.workspaceId, bad.id);
    await connectMastodon();
    await retryPublish(t, postId);
    const published = await waitForStatus(t, postId, ['published']);
    expect(published.round?.trigger).toBe('retry');
    expect(mastodon.statuses).toHaveLength(1);
  });

  it('records no_account at once for a target without an account', async () => {
    await start();
    const postId = await createPost(t, postContent(['mastodon'], { content: 'scheduled without an account' }), new Date(Date.now() + 400).toISOString());
    // What the scheduler sends: a scheduled publish is not refused for a missing account.
    await waitFor(async () => {
      try {
        await t.commands.execute(
          postId,
          async (state, now) => ({ type: 'RequestPublish', publish_id: 'pub_sched', trigger: 'schedule', targets: await t.runtime.accounts.resolveTargets(state.workspace_id, state.platforms, null), now }),
          { workspace_id: t.workspaceId, actor: 'scheduler' },
        );
        return true;
      } catch {
        return false;
      }
    }, 'the post is due');
    const state = await waitForStatus(t, postId, ['failed']);
    expect(state.progress.mastodon?.outcome).toMatchObject({
      success: false,
      code: 'no_account',
      error: 'no connected mastodon account; connect one with POST /v1/accounts',
      attempts: 0,
    });
  });

  it('fails a platform this deployment cannot publish to instead of leaving it pending', async () => {
    await connectMastodon();
    await t.runtime.accounts.connect(t.workspaceId, { platform: 'twitter', name: 'x', credentials: { access_token: 'x' } });
    await start();
    const postId = await createPost(t, postContent(['mastodon', 'twitter']));
    await requestPublish(t, postId);
    const state = await waitForStatus(t, postId, ['published', 'failed']);
    expect(statusOf(state)).toBe('published');
    expect(state.progress.twitter?.outcome).toMatchObject({ success: false, code: 'rejected', error: 'this Postloom deployment does not publish to twitter' });
  });

  it('re-dispatches at start the work a previous process left unfinished', async () => {
    await connectMastodon();
    const postId = await createPost(t, postContent(['mastodon'], { segments: [{ content: 'second' }, { content: 'third' }] }));
    const publishId = await requestPublish(t, postId);
    // The previous process published the first segment, recorded it, and died.
    const first = await new MastodonAdapter().publishSegment({
      account: (await t.runtime.accounts.credentialsOf(t.workspaceId, (await stateOf(t, postId)).progress.mastodon!.account_id!))!,
      text: 'Hello from Postloom',
      media: [],
      index: 0,
      total: 3,
      idempotencyKey: `${publishId}:mastodon:0`,
      requestedAt: (await stateOf(t, postId)).round!.requested_at,
      settings: {},
    });
    await t.commands.execute(
      postId,
      { type: 'RecordSegmentPublished', publish_id: publishId, platform: 'mastodon', segment_index: 0, segment_count: 3, post_id: first.post_id, post_url: first.post_url, ref: first.ref ?? null },
      { workspace_id: t.workspaceId, actor: 'publisher:mastodon' },
    );
    await start();
    await waitForStatus(t, postId, ['published']);
    expect(mastodon.statuses.map((s) => s.text)).toEqual(['Hello from Postloom', 'second', 'third']);
    expect(mastodon.statuses[1].in_reply_to_id).toBe(first.post_id);
    expect(mastodon.requestsTo('POST /api/v1/statuses')).toBe(3);
  });

  it('does not publish finished work again after a restart, and keeps its checkpoint', async () => {
    await connectMastodon();
    await start();
    const postId = await createPost(t, postContent(['mastodon']));
    await requestPublish(t, postId);
    await waitForStatus(t, postId, ['published']);
    await stop();
    expect(await t.runtime.readModel.checkpoint('dispatcher:mastodon')).not.toBeNull();
    await start();
    const later = await createPost(t, postContent(['mastodon'], { content: 'later' }));
    await requestPublish(t, later);
    await waitForStatus(t, later, ['published']);
    expect(mastodon.statuses.map((s) => s.text)).toEqual(['Hello from Postloom', 'later']);
  });

  it('publishes after a restart a job the previous process held waiting for a retry', async () => {
    await connectMastodon();
    mastodon.failNext('POST /api/v1/statuses', { status: 503 });
    // The retry would come an hour later: only a restart can get the post out sooner.
    await start(4, { initialMs: 3_600_000, maxMs: 3_600_000 });
    const postId = await createPost(t, postContent(['mastodon']));
    await requestPublish(t, postId);
    await waitFor(() => mastodon.requestsTo('POST /api/v1/statuses') === 1, 'the first attempt failed');
    await stop();
    const publishRequested = (await t.runtime.eventStore.readStream(postStream(postId))).find((e) => e.type === 'PublishRequested')!;
    const checkpoint = await t.runtime.readModel.checkpoint('dispatcher:mastodon');
    expect(checkpoint === null || checkpoint < publishRequested.position).toBe(true);

    await start();
    const state = await waitForStatus(t, postId, ['published', 'failed']);
    expect(statusOf(state)).toBe('published');
    expect(mastodon.statuses).toHaveLength(1);
  });
});
