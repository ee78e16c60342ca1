import {
  checkPost,
  decide,
  evolve,
  initialPostState,
  Platform,
  PostCommand,
  PostConflict,
  PostState,
  RecordedPostEvent,
  postView,
  rulesOf,
  statusOf,
} from '../../domain';
import { PlatformAccount, PlatformAdapter, PlatformError, SegmentRef, SegmentRequest } from '../../platforms';
import { OUTCOME_UNKNOWN_MESSAGE, publishThread, PublishResult, PublishThreadInput } from './publish-thread';

const NOW = '2026-03-01T12:00:00.000Z';

/** A post whose events come from the real decider, so recorded results are checked as in production. */
class PostUnderTest {
  state: PostState = initialPostState();
  readonly recorded: PublishResult[] = [];

  apply(command: PostCommand): void {
    for (const event of decide(this.state, command)) {
      this.state = evolve(this.state, { ...event, metadata: { occurred_at: NOW, actor: 'test' } } as RecordedPostEvent);
    }
  }

  record = async (result: PublishResult): Promise<void> => {
    this.recorded.push(result);
    this.apply(result);
  };
}

function postWith(options: { platforms?: Platform[]; segments?: string[]; content?: string; trigger?: 'api' | 'schedule'; scheduled?: boolean } = {}): PostUnderTest {
  const post = new PostUnderTest();
  const platforms = options.platforms ?? ['mastodon'];
  post.apply({
    type: 'CreatePost',
    post_id: 'post_1',
    workspace_id: 'ws_1',
    content: {
      content: options.content ?? 'Hello',
      platforms,
      media: null,
      segments: options.segments ? options.segments.map((content) => ({ content })) : null,
      tags: [],
      platform_overrides: {},
      platform_settings: {},
      timezone: 'UTC',
      accounts: null,
    },
    scheduled_for: options.scheduled ? '2026-03-01T12:30:00.000Z' : null,
    now: NOW,
  });
  post.apply({
    type: 'RequestPublish',
    publish_id: 'pub_1',
    trigger: options.trigger ?? 'api',
    targets: platforms.map((platform) => ({ platform, account_id: `acc_${platform}` })),
    now: options.scheduled ? '2026-03-01T12:30:00.000Z' : NOW,
  });
  return post;
}

type Answer = SegmentRef | PlatformError | Error;

/** A platform that answers each publish call from a script and notes what it was asked. */
class ScriptedPlatform implements PlatformAdapter {
  readonly rules;
  readonly requests: SegmentRequest[] = [];
  readonly lookups: SegmentRequest[] = [];
  found: (SegmentRef | null | PlatformError)[] = [];
  private inFlight = 0;
  maxInFlight = 0;
  findPublished?: (request: SegmentRequest) => Promise<SegmentRef | null>;

  constructor(
    readonly platform: Platform,
    private readonly answers: Answer[] = [],
    options: { idempotent?: boolean; canLook?: boolean } = {},
  ) {
    this.rules = { ...rulesOf(platform), idempotentWrites: options.idempotent ?? rulesOf(platform).idempotentWrites };
    if (options.canLook) {
      this.findPublished = async (request) => {
        this.lookups.push(request);
        const answer = this.found.shift() ?? null;
        if (answer instanceof PlatformError) throw answer;
        return answer;
      };
    }
  }

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    this.requests.push(request);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight--;
    const answer = this.answers.shift() ?? { post_id: `p${this.requests.length}`, post_url: `https://x.test/p${this.requests.length}`, ref: { n: String(this.requests.length) } };
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

const account = (platform: Platform): PlatformAccount => ({ id: `acc_${platform}`, platform, name: 'main', credentials: { access_token: 't' } });

function input(post: PostUnderTest, adapter: ScriptedPlatform, overrides: Partial<PublishThreadInput> = {}): PublishThreadInput {
  return {
    state: post.state,
    platform: adapter.platform,
    publishId: 'pub_1',
    adapter,
    account: account(adapter.platform),
    attempt: 1,
    maxAttempts: 5,
    record: post.record,
    attachMedia: () => [],
    random: () => 0.5,
    ...overrides,
  };
}

describe('publishThread', () => {
  it('publishes a single post and records the segment, then the platform', async () => {
    const post = postWith();
    const adapter = new ScriptedPlatform('mastodon');
    const outcome = await publishThread(input(post, adapter));
    expect(outcome).toEqual({ kind: 'published', segments: 1 });
    expect(post.recorded.map((r) => r.type)).toEqual(['RecordSegmentPublished', 'RecordPlatformPublished']);
    expect(adapter.requests[0]).toMatchObject({ text: 'Hello', index: 0, total: 1, idempotencyKey: 'pub_1:mastodon:0', requestedAt: NOW });
    expect(statusOf(post.state)).toBe('published');
  });

  it('publishes a thread in order, one segment at a time, each replying to the previous one', async () => {
    const post = postWith({ segments: ['two', 'three'] });
    const adapter = new ScriptedPlatform('mastodon');
    await publishThread(input(post, adapter));
    expect(adapter.maxInFlight).toBe(1);
    expect(adapter.requests.map((r) => r.text)).toEqual(['Hello', 'two', 'three']);
    expect(adapter.requests[0].parent).toBeUndefined();
    expect(adapter.requests[1].parent).toEqual({ post_id: 'p1', post_url: 'https://x.test/p1', ref: { n: '1' } });
    expect(adapter.requests[2].parent?.post_id).toBe('p2');
    expect(adapter.requests[2].root?.post_id).toBe('p1');
    expect(post.recorded.filter((r) => r.type === 'RecordSegmentPublished').map((r) => (r as { segment_index: number }).segment_index)).toEqual([0, 1, 2]);
    expect(post.state.progress.mastodon?.segments.map((s) => s.post_id)).toEqual(['p1', 'p2', 'p3']);
  });

  it('resumes after the last recorded segment, threading onto the recorded refs', async () => {
    const post = postWith({ segments: ['two', 'three', 'four'] });
    await post.record({ type: 'RecordSegmentPublished', publish_id: 'pub_1', platform: 'mastodon', segment_index: 0, segment_count: 4, post_id: 'a', post_url: 'u/a', ref: null });
    await post.record({ type: 'RecordSegmentPublished', publish_id: 'pub_1', platform: 'mastodon', segment_index: 1, segment_count: 4, post_id: 'b', post_url: 'u/b', ref: { cid: 'x' } });
    const adapter = new ScriptedPlatform('mastodon');
    const outcome = await publishThread(input(post, adapter, { attempt: 2 }));
    expect(outcome).toEqual({ kind: 'published', segments: 4 });
    expect(adapter.requests.map((r) => r.index)).toEqual([2, 3]);
    expect(adapter.requests[0].parent).toEqual({ post_id: 'b', post_url: 'u/b', ref: { cid: 'x' } });
    expect(adapter.requests[0].root).toEqual({ post_id: 'a', post_url: 'u/a' });
  });

  it('retries a transient failure later, honouring Retry-After, recording the attempt (not a failure)', async () => {
    const post = postWith();
    const adapter = new ScriptedPlatform('mastodon', [new PlatformError('rate_limited', 'Mastodon rate limit reached', { retryAfterMs: 90_000 })]);
    const now = Date.parse('2026-12-01T12:00:00.000Z');
    const outcome = await publishThread({ ...input(post, adapter), now: () => now });
    expect(outcome).toMatchObject({ kind: 'retry', reason: 'Mastodon rate limit reached' });
    const delayMs = (outcome as { delayMs: number }).delayMs;
    expect(delayMs).toBeGreaterThanOrEqual(90_000);
    expect(post.recorded).toEqual([
      { type: 'RecordPlatformAttemptFailed', publish_id: 'pub_1', platform: 'mastodon', attempt: 1, error: 'Mastodon rate limit reached', code: 'rate_limited', next_attempt_at: new Date(now + delayMs).toISOString(), outcome_unknown: false },
    ]);
    expect(statusOf(post.state)).toBe('publishing');
    expect(postView(post.state).platform_results?.mastodon).toEqual({ pending: true, attempts: 1, last_error: 'Mastodon rate limit reached', next_attempt_at: new Date(now + delayMs).toISOString() });
  });

  it('records the last reason when the last attempt fails too', async () => {
    const post = postWith();
    const adapter = new ScriptedPlatform('mastodon', [new PlatformError('transient', 'Mastodon is unavailable (HTTP 503)')]);
    const outcome = await publishThread(input(post, adapter, { attempt: 5, maxAttempts: 5 }));
    expect(outcome).toMatchObject({ kind: 'failed', code: 'transient' });
    expect(post.state.progress.mastodon?.outcome).toMatchObject({ success: false, code: 'transient', retryable: true, attempts: 5 });
    expect(post.state.progress.mastodon?.outcome).toMatchObject({ error: expect.stringContaining('Mastodon is unavailable (HTTP 503)') });
    expect(statusOf(post.state)).toBe('failed');
  });

  it.each([
    ['auth', 'Mastodon refused the account credentials: reconnect your Mastodon account'],
    ['rejected', 'Mastodon refused the post: Validation failed'],
  ] as const)('fails at once on %s with the platform reason', async (kind, message) => {
    const post = postWith({ segments: ['two'] });
    const adapter = new ScriptedPlatform('mastodon', [new PlatformError(kind, message)]);
    const outcome = await publishThread(input(post, adapter));
    expect(outcome).toEqual({ kind: 'failed', code: kind, error: message });
    expect(adapter.requests).toHaveLength(1);
    expect(post.state.progress.mastodon?.outcome).toMatchObject({ success: false, error: message, code: kind, retryable: false });
  });

  it('retries an unknown outcome where writes are idempotent', async () => {
    const post = postWith();
    const adapter = new ScriptedPlatform('mastodon', [new PlatformError('unknown_outcome', 'connection reset')], { idempotent: true });
    expect(await publishThread(input(post, adapter))).toMatchObject({ kind: 'retry' });
    expect(post.recorded).toEqual([expect.objectContaining({ type: 'RecordPlatformAttemptFailed', code: 'outcome_unknown', outcome_unknown: true, error: 'connection reset' })]);
    expect(postView(post.state).platform_results?.mastodon).toMatchObject({ pending: true, attempts: 1, outcome_unknown: true });
  });

  it('looks on a non-idempotent platform after an unknown outcome and records what it finds', async () => {
    const post = postWith({ platforms: ['twitter'], segments: ['two'] });
    const adapter = new ScriptedPlatform('twitter', [new PlatformError('unknown_outcome', 'socket hang up')], { canLook: true });
    adapter.found = [{ post_id: 'found1', post_url: 'https://x.test/found1' }];
    const outcome = await publishThread(input(post, adapter));
    expect(outcome).toEqual({ kind: 'published', segments: 2 });
    expect(adapter.requests.map((r) => r.index)).toEqual([0, 1]);
    expect(adapter.requests[1].parent?.post_id).toBe('found1');
  });

  it('posts again after an unknown outcome when the platform certainly does not have it', async () => {
    const post = postWith({ platforms: ['twitter'] });
    const adapter = new ScriptedPlatform('twitter', [new PlatformError('unknown_outcome', 'socket hang up')], { canLook: true });
    adapter.found = [null];
    expect(await publishThread(input(post, adapter))).toMatchObject({ kind: 'retry' });
  });

  it('fails with "outcome unknown" where it cannot look', async () => {
    const post = postWith({ platforms: ['twitter'] });
    const adapter = new ScriptedPlatform('twitter', [new PlatformError('unknown_outcome', 'socket hang up')]);
    const outcome = await publishThread(input(post, adapter));
    expect(outcome).toMatchObject({ kind: 'failed', code: 'outcome_unknown' });
    expect((outcome as { error: string }).error).toContain(OUTCOME_UNKNOWN_MESSAGE);
    expect(post.state.progress.twitter?.outcome).toMatchObject({ success: false, code: 'outcome_unknown', retryable: false });
  });

  it('reconciles the first unrecorded segment of a redelivered job before posting it', async () => {
    const post = postWith({ platforms: ['twitter'], segments: ['two'] });
    const adapter = new ScriptedPlatform('twitter', [], { canLook: true });
    adapter.found = [{ post_id: 'already', post_url: 'https://x.test/already' }];
    const outcome = await publishThread(input(post, adapter, { attempt: 2 }));
    expect(outcome).toEqual({ kind: 'published', segments: 2 });
    expect(adapter.lookups.map((r) => r.index)).toEqual([0]);
    expect(adapter.requests.map((r) => r.index)).toEqual([1]);
    expect(post.state.progress.twitter?.segments.map((s) => s.post_id)).toEqual(['already', 'p1']);
  });

  it('does not look first on a first delivery, nor where writes are idempotent', async () => {
    const first = new ScriptedPlatform('twitter', [], { canLook: true });
    await publishThread(input(postWith({ platforms: ['twitter'] }), first));
    const idempotent = new ScriptedPlatform('mastodon', [], { canLook: true });
    await publishThread(input(postWith(), idempotent, { attempt: 3 }));
    expect(first.lookups).toEqual([]);
    expect(idempotent.lookups).toEqual([]);
  });

  it('gives up quietly when the post was deleted or the request superseded', async () => {
    const deleted = postWith();
    deleted.apply({ type: 'DeletePost' });
    const adapter = new ScriptedPlatform('mastodon');
    expect(await publishThread(input(deleted, adapter))).toMatchObject({ kind: 'skipped' });
    expect(await publishThread(input(postWith(), adapter, { publishId: 'pub_old' }))).toMatchObject({ kind: 'skipped' });
    expect(adapter.requests).toEqual([]);
  });

  it('gives up quietly when the post is deleted while publishing', async () => {
    const post = postWith({ segments: ['two'] });
    const adapter = new ScriptedPlatform('mastodon');
    const outcome = await publishThread(
      input(post, adapter, {
        record: async (result) => {
          if (result.type !== 'RecordSegmentPublished' || result.segment_index === 1) throw new PostConflict('publish pub_1 is not the current one for mastodon');
          await post.record(result);
        },
      }),
    );
    expect(outcome).toMatchObject({ kind: 'skipped' });
    expect(adapter.requests).toHaveLength(2);
  });

  it('skips a platform that already finished', async () => {
    const post = postWith();
    const adapter = new ScriptedPlatform('mastodon');
    await publishThread(input(post, adapter));
    expect(await publishThread(input(post, adapter, { attempt: 2 }))).toMatchObject({ kind: 'skipped' });
    expect(adapter.requests).toHaveLength(1);
  });

  it('fails with no_account when the account is gone', async () => {
    const post = postWith();
    const outcome = await publishThread(input(post, new ScriptedPlatform('mastodon'), { account: null }));
    expect(outcome).toMatchObject({ kind: 'failed', code: 'no_account' });
    expect((outcome as { error: string }).error).toMatch(/acc_mastodon is no longer connected; connect one with POST \/v1\/accounts/);
  });

  it('fails a scheduled post the platform would refuse, with the same reason the API gives', async () => {
    const post = postWith({ platforms: ['bluesky'], content: 'x'.repeat(301), trigger: 'schedule', scheduled: true });
    const adapter = new ScriptedPlatform('bluesky');
    const outcome = await publishThread(input(post, adapter));
    const reason = checkPost(post.state, ['bluesky']).map((p) => p.message).join('; ');
    expect(reason).toMatch(/Bluesky allows 300 graphemes/);
    expect(outcome).toEqual({ kind: 'failed', code: 'invalid', error: reason });
    expect(adapter.requests).toEqual([]);
  });

  it('counts an unclassified error as an unknown outcome', async () => {
    const post = postWith({ platforms: ['twitter'] });
    const adapter = new ScriptedPlatform('twitter', [new TypeError('boom')]);
    expect(await publishThread(input(post, adapter))).toMatchObject({ kind: 'failed', code: 'outcome_unknown' });
  });
});
