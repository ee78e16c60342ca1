import { givenPost, stateFrom, GivenEvent } from '../../testing';
import { PostConflict, PostInvalid, PostNotFound } from './errors';
import { PostContent } from './post';
import { statusOf, failedPlatforms } from './state';
import { postView } from './view';
import type { PostEvent } from './events';

const NOW = '2026-11-23T10:00:00.000Z';
const LATER = '2026-11-24T09:00:00.000Z';

const content = (over: Partial<PostContent> = {}): PostContent => ({
  content: 'Excited to announce our Series A!',
  platforms: ['twitter', 'bluesky'],
  media: null,
  segments: null,
  tags: [],
  platform_overrides: {},
  platform_settings: {},
  timezone: 'UTC',
  accounts: null,
  ...over,
});

const created = (over: Partial<PostContent> = {}): GivenEvent => ({
  type: 'PostCreated',
  version: 1,
  data: { post_id: 'post_1', workspace_id: 'ws_1', duplicated_from: null, ...content(over) },
  at: '2026-11-23T09:00:00.000Z',
});
const scheduled = (at = LATER): GivenEvent => ({ type: 'PostScheduled', version: 1, data: { scheduled_for: at } });
const targets = [
  { platform: 'twitter' as const, account_id: 'acc_t' },
  { platform: 'bluesky' as const, account_id: 'acc_b' },
];
const publishRequested = (publish_id = 'pub_1', t = targets, trigger: 'api' | 'schedule' | 'retry' = 'api'): GivenEvent => ({
  type: 'PublishRequested',
  version: 1,
  data: { publish_id, trigger, targets: t },
});
const segment = (platform: 'twitter' | 'bluesky', index: number, count = 1, publish_id = 'pub_1'): GivenEvent => ({
  type: 'SegmentPublished',
  version: 1,
  data: { publish_id, platform, segment_index: index, segment_count: count, post_id: `${platform}-${index}`, post_url: `https://x/${platform}/${index}`, ref: null },
});
const platformPublished = (platform: 'twitter' | 'bluesky', publish_id = 'pub_1'): GivenEvent => ({
  type: 'PlatformPublished',
  version: 1,
  data: { publish_id, platform, post_id: `${platform}-0`, post_url: `https://x/${platform}/0`, attempts: 1 },
  at: '2026-11-23T10:00:05.000Z',
});
const platformFailed = (platform: 'twitter' | 'bluesky', publish_id = 'pub_1'): GivenEvent => ({
  type: 'PlatformFailed',
  version: 1,
  data: { publish_id, platform, error: 'Token expired. Reconnect your account.', code: 'auth', retryable: false, attempts: 1 },
});
const deleted: GivenEvent = { type: 'PostDeleted', version: 1, data: {} };

const strip = (events: GivenEvent[]): PostEvent[] => events.map(({ at: _at, ...e }) => e as PostEvent);

describe('Post decider', () => {
  describe('CreatePost', () => {
    it('refuses a post too large for one event store append, naming body', () => {
      const settings = { twitter: { note: 'é'.repeat(300_000) } };
      const refused = givenPost()
        .when({ type: 'CreatePost', post_id: 'post_1', workspace_id: 'ws_1', content: content({ platform_settings: settings }), scheduled_for: null, now: NOW })
        .thenThrows(PostInvalid, /at most 524288/) as PostInvalid;
      expect(refused.details).toEqual([expect.objectContaining({ field: 'body', code: 'too_large' })]);
    });

    it('refuses an update that makes the post too large, counting what it already holds', () => {
      const overrides = { twitter: 'a'.repeat(300_000) };
      givenPost(created({ platform_overrides: overrides }))
        .when({ type: 'UpdatePost', changes: { platform_settings: { bluesky: { note: 'b'.repeat(300_000) } } }, now: NOW })
        .thenThrows(PostInvalid, /at most 524288/);
    });

    it('creates a draft', () => {
      givenPost()
        .when({ type: 'CreatePost', post_id: 'post_1', workspace_id: 'ws_1', content: content(), scheduled_for: null, now: NOW })
        .then(strip([created()]));
    });

    it('creates a scheduled post when scheduled_for is given', () => {
      givenPost()
        .when({ type: 'CreatePost', post_id: 'post_1', workspace_id: 'ws_1', content: content(), scheduled_for: LATER, now: NOW })
        .then(strip([created(), scheduled()]));
    });

    it('refuses a schedule in the past or more than 365 days ahead', () => {
      const past = givenPost()
        .when({ type: 'CreatePost', post_id: 'post_1', workspace_id: 'ws_1', content: content(), scheduled_for: '2026-11-23T09:59:59.000Z', now: NOW })
        .thenThrows(PostInvalid) as PostInvalid;
      expect(past.details[0].field).toBe('scheduled_for');
      givenPost()
        .when({ type: 'CreatePost', post_id: 'post_1', workspace_id: 'ws_1', content: content(), scheduled_for: '2027-11-24T10:00:00.000Z', now: NOW })
        .thenThrows(PostInvalid, /365 days/);
    });

    it('refuses empty content, unknown or duplicate platforms, too many segments, images with a video, bad time zone', () => {
      const cases: [Partial<PostContent>, string][] = [
        [{ content: '  ' }, 'content'],
        [{ platforms: [] }, 'platforms'],
        [{ platforms: ['twitter', 'myspace' as never] }, 'platforms[1]'],
        [{ platforms: ['twitter', 'twitter'] }, 'platforms'],
        [{ segments: Array.from({ length: 25 }, () => ({ content: 'x' })) }, 'segments'],
        [{ segments: [{ content: 'x'.repeat(5001) }] }, 'segments[0].content'],
        [{ media: { images: [{ url: 'https://a/1.png' }], video: { url: 'https://a/v.mp4' } } }, 'media'],
        [{ media: { images: Array.from({ length: 5 }, (_, i) => ({ url: `https://a/${i}.png` })), video: null } }, 'media.images'],
        [{ timezone: 'Mars/Olympus' }, 'timezone'],
        [{ platform_overrides: { linkedin: 'hi' } }, 'platform_overrides.linkedin'],
      ];
      for (const [over, field] of cases) {
        const error = givenPost()
          .when({ type: 'CreatePost', post_id: 'post_1', workspace_id: 'ws_1', content: content(over), scheduled_for: null, now: NOW })
          .thenThrows(PostInvalid) as PostInvalid;
        expect(error.details.map((d) => d.field)).toContain(field);
      }
    });

    it('refuses to create a post twice', () => {
      givenPost(created())
        .when({ type: 'CreatePost', post_id: 'post_1', workspace_id: 'ws_1', content: content(), scheduled_for: null, now: NOW })
        .thenThrows(PostConflict);
    });
  });

  describe('UpdatePost', () => {
    it('records only the fields that changed', () => {
      givenPost(created())
        .when({ type: 'UpdatePost', changes: { content: 'New text', platforms: ['twitter', 'bluesky'] }, now: NOW })
        .then([{ type: 'PostUpdated', version: 1, data: { changes: { content: 'New text' } } }]);
    });

    it('does nothing when nothing changes', () => {
      givenPost(created()).when({ type: 'UpdatePost', changes: { content: 'Excited to announce our Series A!' }, now: NOW }).thenNothing();
    });

    it('schedules a draft and unschedules a scheduled post', () => {
      givenPost(created()).when({ type: 'UpdatePost', changes: {}, scheduled_for: LATER, now: NOW }).then(strip([scheduled()]));
      givenPost(created(), scheduled()).when({ type: 'UpdatePost', changes: {}, scheduled_for: null, now: NOW }).then([{ type: 'PostUnscheduled', version: 1, data: {} }]);
      givenPost(created()).when({ type: 'UpdatePost', changes: {}, scheduled_for: null, now: NOW }).thenNothing();
    });

    it('removes the thread and media', () => {
      givenPost(created({ segments: [{ content: 'reply' }], media: { images: [{ url: 'https://a/1.png' }], video: null } }))
        .when({ type: 'UpdatePost', changes: { segments: null, media: null }, now: NOW })
        .then([{ type: 'PostUpdated', version: 1, data: { changes: { segments: null, media: null } } }]);
    });

    it('refuses updates of publishing, published and failed posts', () => {
      for (const history of [
        [created(), publishRequested()],
        [created(), publishRequested(), segment('twitter', 0), platformPublished('twitter'), segment('bluesky', 0), platformPublished('bluesky')],
        [created(), publishRequested(), platformFailed('twitter'), platformFailed('bluesky')],
      ]) {
        givenPost(...history).when({ type: 'UpdatePost', changes: { content: 'x' }, now: NOW }).thenThrows(PostConflict, /cannot update/);
      }
    });

    it('refuses updates of unknown and deleted posts', () => {
      givenPost().when({ type: 'UpdatePost', changes: { content: 'x' }, now: NOW }).thenThrows(PostNotFound);
      givenPost(created(), deleted).when({ type: 'UpdatePost', changes: { content: 'x' }, now: NOW }).thenThrows(PostNotFound);
    });

    it('checks overrides against the platforms the post will have', () => {
      givenPost(created())
        .when({ type: 'UpdatePost', changes: { platforms: ['twitter', 'linkedin'], platform_overrides: { linkedin: 'Longer LinkedIn copy' } }, now: NOW })
        .then([{ type: 'PostUpdated', version: 1, data: { changes: { platforms: ['twitter', 'linkedin'], platform_overrides: { linkedin: 'Longer LinkedIn copy' } } } }]);
      givenPost(created())
        .when({ type: 'UpdatePost', changes: { platform_overrides: { linkedin: 'x' } }, now: NOW })
        .thenThrows(PostInvalid);
    });
  });

  describe('RequestPublish', () => {
    it('publishes a draft and a scheduled post', () => {
      givenPost(created()).when({ type: 'RequestPublish', publish_id: 'pub_1', trigger: 'api', targets, now: NOW }).then(strip([publishRequested()]));
      givenPost(created(), scheduled()).when({ type: 'RequestPublish', publish_id: 'pub_1', trigger: 'api', targets, now: NOW }).then(strip([publishRequested()]));
    });

    it('refuses publishing, published and failed posts', () => {
      givenPost(created(), publishRequested()).when({ type: 'RequestPublish', publish_id: 'pub_2', trigger: 'api', targets, now: NOW }).thenThrows(PostConflict, /already publishing/);
      givenPost(created(), publishRequested(), segment('twitter', 0), platformPublished('twitter'), platformFailed('bluesky'))
        .when({ type: 'RequestPublish', publish_id: 'pub_2', trigger: 'api', targets, now: NOW })
        .thenThrows(PostConflict, /already published/);
      givenPost(created(), publishRequested(), platformFailed('twitter'), platformFailed('bluesky'))
        .when({ type: 'RequestPublish', publish_id: 'pub_2', trigger: 'api', targets, now: NOW })
        .thenThrows(PostConflict, /retry/);
    });

    it('refuses a client publish when a platform has no account or the text is too long', () => {
      const noAccount = givenPost(created())
        .when({ type: 'RequestPublish', publish_id: 'pub_1', trigger: 'api', targets: [targets[0], { platform: 'bluesky', account_id: null }], now: NOW })
        .thenThrows(PostInvalid) as PostInvalid;
      expect(noAccount.details[0]).toMatchObject({ field: 'platforms', platform: 'bluesky', code: 'no_account' });
      const tooLong = givenPost(created({ content: 'x'.repeat(281) }))
        .when({ type: 'RequestPublish', publish_id: 'pub_1', trigger: 'api', targets, now: NOW })
        .thenThrows(PostInvalid) as PostInvalid;
      expect(tooLong.details).toEqual([expect.objectContaining({ field: 'content', platform: 'twitter', code: 'too_long' })]);
    });

    it("refuses a client publish with the platforms' own refusals, but not a scheduled one", () => {
      const refusals = [{ platform: 'twitter', field: 'platform_settings.twitter', message: 'X needs a title' }];
      const refused = givenPost(created())
        .when({ type: 'RequestPublish', publish_id: 'pub_1', trigger: 'api', targets, refusals, now: NOW })
        .thenThrows(PostInvalid) as PostInvalid;
      expect(refused.details).toEqual([{ field: 'platform_settings.twitter', platform: 'twitter', code: 'refused_by_platform', message: 'twitter: X needs a title' }]);
      givenPost(created(), scheduled(NOW))
        .when({ type: 'RequestPublish', publish_id: 'pub_1', trigger: 'schedule', targets, refusals, now: NOW })
        .then(strip([publishRequested('pub_1', targets, 'schedule')]));
    });

    it('lets a due scheduled publish go ahead even with problems, so the platforms fail visibly', () => {
      givenPost(created({ content: 'x'.repeat(281) }), scheduled(NOW))
        .when({ type: 'RequestPublish', publish_id: 'pub_1', trigger: 'schedule', targets, now: NOW })
        .then(strip([publishRequested('pub_1', targets, 'schedule')]));
    });

    it('refuses a scheduled publish before it is due or when the post is no longer scheduled', () => {
      givenPost(created(), scheduled()).when({ type: 'RequestPublish', publish_id: 'pub_1', trigger: 'schedule', targets, now: NOW }).thenThrows(PostConflict, /not due/);
      givenPost(created()).when({ type: 'RequestPublish', publish_id: 'pub_1', trigger: 'schedule', targets, now: NOW }).thenThrows(PostConflict, /not scheduled/);
      givenPost(created(), scheduled(NOW), publishRequested('pub_1', targets, 'schedule'))
        .when({ type: 'RequestPublish', publish_id: 'pub_2', trigger: 'schedule', targets, now: NOW })
        .thenThrows(PostConflict);
    });

    it('requires the targets to be exactly the post platforms', () => {
      givenPost(created()).when({ type: 'RequestPublish', publish_id: 'pub_1', trigger: 'api', targets: [targets[0]], now: NOW }).thenThrows(PostInvalid);
    });
  });

  describe('recording results', () => {
    it('records segments in order, ignores redelivered ones, refuses gaps', () => {
      const history = [created({ segments: [{ content: 'two' }] }), publishRequested()];
      const record = (segment_index: number) =>
        ({ type: 'RecordSegmentPublished', publish_id: 'pub_1', platform: 'twitter', segment_index, segment_count: 2, post_id: `t${segment_index}`, post_url: `u${segment_index}`, ref: null }) as const;
      givenPost(...history).when(record(0)).then([
        { type: 'SegmentPublished', version: 1, data: { publish_id: 'pub_1', platform: 'twitter', segment_index: 0, segment_count: 2, post_id: 't0', post_url: 'u0', ref: null } },
      ]);
      givenPost(...history, segment('twitter', 0, 2)).when(record(0)).thenNothing();
      givenPost(...history).when(record(1)).thenThrows(PostConflict, /before segment 0/);
    });

    it('refuses results of a publish request that is not the current one', () => {
      givenPost(created(), publishRequested())
        .when({ type: 'RecordSegmentPublished', publish_id: 'pub_old', platform: 'twitter', segment_index: 0, segment_count: 1, post_id: 't', post_url: 'u', ref: null })
        .thenThrows(PostConflict);
    });

    it('records a platform published with its first segment, once', () => {
      givenPost(created(), publishRequested(), segment('twitter', 0))
        .when({ type: 'RecordPlatformPublished', publish_id: 'pub_1', platform: 'twitter', attempts: 2 })
        .then([{ type: 'PlatformPublished', version: 1, data: { publish_id: 'pub_1', platform: 'twitter', post_id: 'twitter-0', post_url: 'https://x/twitter/0', attempts: 2 } }]);
      givenPost(created(), publishRequested(), segment('twitter', 0), platformPublished('twitter'))
        .when({ type: 'RecordPlatformPublished', publish_id: 'pub_1', platform: 'twitter', attempts: 2 })
        .thenNothing();
      givenPost(created(), publishRequested())
        .when({ type: 'RecordPlatformPublished', publish_id: 'pub_1', platform: 'twitter', attempts: 1 })
        .thenThrows(PostConflict, /no published segment/);
    });

    it('records a failure once and not after success', () => {
      const fail = { type: 'RecordPlatformFailed', publish_id: 'pub_1', platform: 'bluesky', error: 'bad', code: 'rejected', retryable: false, attempts: 1 } as const;
      givenPost(created(), publishRequested()).when(fail).then([{ type: 'PlatformFailed', version: 1, data: { publish_id: 'pub_1', platform: 'bluesky', error: 'bad', code: 'rejected', retryable: false, attempts: 1 } }]);
      givenPost(created(), publishRequested(), platformFailed('bluesky')).when(fail).thenNothing();
      givenPost(created(), publishRequested(), segment('bluesky', 0), platformPublished('bluesky')).when(fail).thenNothing();
    });

    it('refuses results for a deleted post', () => {
      givenPost(created(), publishRequested(), deleted)
        .when({ type: 'RecordPlatformFailed', publish_id: 'pub_1', platform: 'bluesky', error: 'bad', code: 'rejected', retryable: false, attempts: 1 })
        .thenThrows(PostNotFound);
    });
  });

  describe('RetryPublish', () => {
    const partly = [created(), publishRequested(), segment('twitter', 0), platformPublished('twitter'), platformFailed('bluesky')];

    it('republishes only the failed platforms', () => {
      givenPost(...partly)
        .when({ type: 'RetryPublish', publish_id: 'pub_2', targets: [targets[1]], now: NOW })
        .then(strip([publishRequested('pub_2', [targets[1]], 'retry')]));
    });

    it('refuses to include platforms that succeeded', () => {
      givenPost(...partly).when({ type: 'RetryPublish', publish_id: 'pub_2', targets, now: NOW }).thenThrows(PostInvalid);
    });

    it('refuses drafts, publishing posts and fully published posts', () => {
      givenPost(created()).when({ type: 'RetryPublish', publish_id: 'pub_2', targets, now: NOW }).thenThrows(PostConflict);
      givenPost(created(), publishRequested()).when({ type: 'RetryPublish', publish_id: 'pub_2', targets, now: NOW }).thenThrows(PostConflict, /still publishing/);
      givenPost(created(), publishRequested(), segment('twitter', 0), platformPublished('twitter'), segment('bluesky', 0), platformPublished('bluesky'))
        .when({ type: 'RetryPublish', publish_id: 'pub_2', targets: [targets[1]], now: NOW })
        .thenThrows(PostConflict, /no failed platform/);
    });
  });

  describe('DeletePost', () => {
    it('deletes a post in any status, once', () => {
      givenPost(created()).when({ type: 'DeletePost' }).then([{ type: 'PostDeleted', version: 1, data: {} }]);
      givenPost(created(), publishRequested(), segment('twitter', 0), platformPublished('twitter')).when({ type: 'DeletePost' }).then([{ type: 'PostDeleted', version: 1, data: {} }]);
      givenPost(created(), deleted).when({ type: 'DeletePost' }).thenThrows(PostNotFound);
      givenPost().when({ type: 'DeletePost' }).thenThrows(PostNotFound);
    });
  });
});

describe('Post status transitions', () => {
  it.each([
    ['draft', [created()]],
    ['scheduled', [created(), scheduled()]],
    ['draft', [created(), scheduled(), { type: 'PostUnscheduled', version: 1, data: {} } as GivenEvent]],
    ['publishing', [created(), publishRequested()]],
    ['publishing', [created(), publishRequested(), segment('twitter', 0), platformPublished('twitter')]],
    ['published', [created(), publishRequested(), segment('twitter', 0), platformPublished('twitter'), platformFailed('bluesky')]],
    ['failed', [created(), publishRequested(), platformFailed('twitter'), platformFailed('bluesky')]],
    ['publishing', [created(), publishRequested(), platformFailed('twitter'), platformFailed('bluesky'), publishRequested('pub_2', targets, 'retry')]],
    ['published', [created(), publishRequested(), platformFailed('twitter'), platformFailed('bluesky'), publishRequested('pub_2', [targets[0]], 'retry'), segment('twitter', 0, 1, 'pub_2'), platformPublished('twitter', 'pub_2')]],
  ] as [string, GivenEvent[]][])('%s after %#', (status, history) => {
    expect(statusOf(stateFrom(history))).toBe(status);
  });

  it('sets published_at when the round finishes with a success, and keeps failures retryable', () => {
    const state = stateFrom([created(), publishRequested(), segment('twitter', 0), platformPublished('twitter'), { ...platformFailed('bluesky'), at: '2026-11-23T10:00:09.000Z' }]);
    expect(state.published_at).toBe('2026-11-23T10:00:09.000Z');
    expect(failedPlatforms(state)).toEqual(['bluesky']);
  });

  it('ignores results of an older publish request', () => {
    const state = stateFrom([created(), publishRequested(), platformFailed('twitter'), platformFailed('bluesky'), publishRequested('pub_2', targets, 'retry'), platformFailed('twitter', 'pub_1')]);
    expect(statusOf(state)).toBe('publishing');
  });
});

describe('Post view', () => {
  it('has the seed fields and only finished platforms in platform_results', () => {
    const view = postView(
      stateFrom([created({ segments: [{ content: 'reply' }] }), publishRequested(), segment('twitter', 0, 2), segment('twitter', 1, 2), platformPublished('twitter')]),
    );
    expect(view).toMatchObject({
      id: 'post_1',
      status: 'publishing',
      scheduled_for: null,
      media: null,
      published_at: null,
      created_at: '2026-11-23T09:00:00.000Z',
    });
    expect(Object.keys(view.platform_results!)).toEqual(['twitter', 'bluesky']);
    expect(view.platform_results!.bluesky).toEqual({ pending: true, attempts: 0, last_error: null, next_attempt_at: null });
    expect(view.platform_results!.twitter).toMatchObject({
      success: true,
      post_id: 'twitter-0',
      segments: [
        { post_id: 'twitter-0', post_url: 'https://x/twitter/0' },
        { post_id: 'twitter-1', post_url: 'https://x/twitter/1' },
      ],
      attempts: 1,
    });
  });

  it('shows platforms in flight as pending, never with a half-made success', () => {
    expect(postView(stateFrom([created()])).platform_results).toBeNull();
    expect(postView(stateFrom([created(), publishRequested()])).platform_results).toEqual({
      twitter: { pending: true, attempts: 0, last_error: null, next_attempt_at: null },
      bluesky: { pending: true, attempts: 0, last_error: null, next_attempt_at: null },
    });
  });

  describe('RecordPlatformAttemptFailed', () => {
    const attempt = (n: number) => ({ type: 'RecordPlatformAttemptFailed' as const, publish_id: 'pub_1', platform: 'twitter' as const, attempt: n, error: 'X is unavailable (HTTP 503)', code: 'transient' as const, next_attempt_at: LATER, outcome_unknown: false });

    it('records a failed attempt of a platform in flight', () => {
      const { type: _t, ...data } = attempt(1);
      givenPost(created(), publishRequested()).when(attempt(1)).then([{ type: 'PlatformAttemptFailed', version: 1, data }]);
    });

    it('records each attempt once, and nothing once the platform finished', () => {
      const { type: _t, ...data } = attempt(1);
      givenPost(created(), publishRequested(), { type: 'PlatformAttemptFailed', version: 1, data }).when(attempt(1)).thenNothing();
      givenPost(created(), publishRequested(), platformPublished('twitter')).when(attempt(2)).thenNothing();
    });

    it('shows the attempts, the last error and when the next is due while pending', () => {
      const { type: _t, ...first } = attempt(1);
      const { type: _t2, ...second } = { ...attempt(2), error: 'X rate limit reached', code: 'rate_limited' as const };
      const view = postView(stateFrom([created(), publishRequested(), { type: 'PlatformAttemptFailed', version: 1, data: first }, { type: 'PlatformAttemptFailed', version: 1, data: second }]));
      expect(view.status).toBe('publishing');
      expect(view.platform_results!.twitter).toEqual({ pending: true, attempts: 2, last_error: 'X rate limit reached', next_attempt_at: LATER });
    });
  });
});
