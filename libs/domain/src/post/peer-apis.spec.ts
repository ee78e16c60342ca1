import { givenPost, stateFrom, GivenEvent } from '../../testing';
import { PostInvalid } from './errors';
import { PostContent } from './post';
import { threadFor } from './thread';
import { postView } from './view';

/** The peer seed APIs' features in the domain (CONTRACT.md, "What the other seed APIs do"). */

const NOW = '2026-11-23T10:00:00.000Z';

const content = (over: Partial<PostContent> = {}): PostContent => ({
  content: 'Launch day',
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
});
const targets = [
  { platform: 'twitter' as const, account_id: 'acc_t' },
  { platform: 'bluesky' as const, account_id: 'acc_b' },
];
const publishRequested = (publish_id = 'pub_1', t = targets): GivenEvent => ({ type: 'PublishRequested', version: 1, data: { publish_id, trigger: 'api', targets: t } });
const failed = (platform: 'twitter' | 'bluesky', publish_id = 'pub_1'): GivenEvent => ({
  type: 'PlatformFailed',
  version: 1,
  data: { publish_id, platform, error: 'HTTP 401', code: 'auth', retryable: false, attempts: 1 },
});
const segment = (platform: 'twitter' | 'bluesky', publish_id = 'pub_1'): GivenEvent => ({
  type: 'SegmentPublished',
  version: 1,
  data: { publish_id, platform, segment_index: 0, segment_count: 1, post_id: `${platform}-0`, post_url: `https://x/${platform}/0`, ref: null },
});
const published = (platform: 'twitter' | 'bluesky', publish_id = 'pub_1'): GivenEvent => ({
  type: 'PlatformPublished',
  version: 1,
  data: { publish_id, platform, post_id: `${platform}-0`, post_url: `https://x/${platform}/0`, attempts: 1 },
});

describe('group_id', () => {
  it('is kept from the creation and shown; posts created before groups existed have none', () => {
    givenPost()
      .when({ type: 'CreatePost', post_id: 'post_1', workspace_id: 'ws_1', content: content({ group_id: 'campaign' }), scheduled_for: null, now: NOW })
      .then([{ type: 'PostCreated', version: 1, data: { post_id: 'post_1', workspace_id: 'ws_1', duplicated_from: null, ...content({ group_id: 'campaign' }) } }]);
    expect(postView(stateFrom([created({ group_id: 'campaign' })])).group_id).toBe('campaign');
    // An event written before the field existed has no group_id at all.
    expect(postView(stateFrom([created()])).group_id).toBeNull();
  });

  it('moves with an update and leaves with null', () => {
    givenPost(created({ group_id: 'a' }))
      .when({ type: 'UpdatePost', changes: { group_id: 'b' }, now: NOW })
      .then([{ type: 'PostUpdated', version: 1, data: { changes: { group_id: 'b' } } }]);
    givenPost(created({ group_id: 'a' }))
      .when({ type: 'UpdatePost', changes: { group_id: null }, now: NOW })
      .then([{ type: 'PostUpdated', version: 1, data: { changes: { group_id: null } } }]);
    givenPost(created({ group_id: 'a' })).when({ type: 'UpdatePost', changes: { group_id: 'a' }, now: NOW }).thenNothing();
  });

  it('refuses a group id over 128 characters or blank', () => {
    const long = givenPost()
      .when({ type: 'CreatePost', post_id: 'post_1', workspace_id: 'ws_1', content: content({ group_id: 'g'.repeat(129) }), scheduled_for: null, now: NOW })
      .thenThrows(PostInvalid) as PostInvalid;
    expect(long.details[0].field).toBe('group_id');
    givenPost(created()).when({ type: 'UpdatePost', changes: { group_id: ' ' }, now: NOW }).thenThrows(PostInvalid, /group_id/);
  });
});

describe('failed_platforms', () => {
  it('is empty before publishing and while a platform has no outcome', () => {
    expect(postView(stateFrom([created()])).failed_platforms).toEqual([]);
    expect(postView(stateFrom([created(), publishRequested()])).failed_platforms).toEqual([]);
  });

  it('names the platforms whose last publish failed, the status keeping its meaning', () => {
    const view = postView(stateFrom([created(), publishRequested(), segment('twitter'), published('twitter'), failed('bluesky')]));
    expect(view.status).toBe('published');
    expect(view.failed_platforms).toEqual(['bluesky']);
    const all = postView(stateFrom([created(), publishRequested(), failed('twitter'), failed('bluesky')]));
    expect(all.status).toBe('failed');
    expect(all.failed_platforms).toEqual(['twitter', 'bluesky']);
  });

  it('a retry takes a platform out until it fails again', () => {
    const retried = [created(), publishRequested(), failed('twitter'), failed('bluesky'), publishRequested('pub_2')];
    expect(postView(stateFrom(retried)).failed_platforms).toEqual([]);
    expect(postView(stateFrom([...retried, segment('twitter', 'pub_2'), published('twitter', 'pub_2'), failed('bluesky', 'pub_2')])).failed_platforms).toEqual([
      'bluesky',
    ]);
  });
});

describe('CreateAndPublishPost', () => {
  const command = (over: Partial<PostContent> = {}) => ({
    type: 'CreateAndPublishPost' as const,
    post_id: 'post_1',
    workspace_id: 'ws_1',
    content: content(over),
    publish_id: 'pub_1',
    targets,
    now: NOW,
  });

  it('decides the creation and the publish request together', () => {
    givenPost()
      .when(command())
      .then([
        { type: 'PostCreated', version: 1, data: { post_id: 'post_1', workspace_id: 'ws_1', duplicated_from: null, ...content() } },
        { type: 'PublishRequested', version: 1, data: { publish_id: 'pub_1', trigger: 'api', targets } },
      ]);
  });

  it('refuses both when the publish would be refused: nothing is created', () => {
    const missing = givenPost()
      .when({ ...command(), targets: [targets[0], { platform: 'bluesky', account_id: null }] })
      .thenThrows(PostInvalid) as PostInvalid;
    expect(missing.details).toEqual([expect.objectContaining({ field: 'platforms', code: 'no_account', platform: 'bluesky' })]);
    givenPost().when(command({ content: 'x'.repeat(301) })).thenThrows(PostInvalid, /too_long|allows 280/);
    givenPost()
      .when({ ...command(), refusals: [{ platform: 'twitter', field: 'media', message: 'cannot fetch it' }] })
      .thenThrows(PostInvalid, /twitter: cannot fetch it/);
  });

  it('refuses an existing post', () => {
    givenPost(created()).when(command()).thenThrows(Error, /already exists/);
  });
});

describe('link_url', () => {
  const withLink = (over: Partial<PostContent> = {}) => content({ link_url: 'https://example.com/a', link_title: 'A', ...over });

  it('is a card on Bluesky and the URL in the text elsewhere, unless the text has it', () => {
    expect(threadFor(withLink(), 'bluesky')[0]).toEqual({ text: 'Launch day', media: [], link: { url: 'https://example.com/a', title: 'A' } });
    expect(threadFor(withLink(), 'mastodon')[0].text).toBe('Launch day\n\nhttps://example.com/a');
    expect(threadFor(withLink({ content: 'See https://example.com/a' }), 'twitter')[0].text).toBe('See https://example.com/a');
    expect(threadFor(withLink(), 'twitter')[0].link).toBeUndefined();
  });

  it('media wins over the card: the URL goes in the text', () => {
    const segment0 = threadFor(withLink({ media: { images: [{ url: 'https://example.com/i.png' }], video: null } }), 'bluesky')[0];
    expect(segment0.link).toBeUndefined();
    expect(segment0.text).toBe('Launch day\n\nhttps://example.com/a');
  });

  it('refuses a URL that is not http(s), and shows the link on the view', () => {
    givenPost()
      .when({ type: 'CreatePost', post_id: 'post_1', workspace_id: 'ws_1', content: content({ link_url: 'javascript:alert(1)' }), scheduled_for: null, now: NOW })
      .thenThrows(PostInvalid, /link_url/);
    expect(postView(stateFrom([created({ link_url: 'https://example.com/a' })]))).toMatchObject({ link_url: 'https://example.com/a', link_title: null, link_description: null });
  });
});
