import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { mediaAttachments, MediaInput } from '../media/attachments';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { threadsLength } from './rules';
import { FakeThreads } from './testing/fake-threads';
import { ThreadsAdapter } from './threads-adapter';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

describe('ThreadsAdapter against a fake Threads API', () => {
  let fake: FakeThreads;
  let files: http.Server;
  let base: string;
  let seq = 0;

  const adapter = (options: ConstructorParameters<typeof ThreadsAdapter>[0] = {}) =>
    new ThreadsAdapter({ pollIntervalMs: 5, processingTimeoutMs: 2_000, timeoutMs: 5_000, mediaOptions: { allowPrivateNetworks: true }, ...options });
  const attach = (input: MediaInput) => mediaAttachments(input, { allowPrivateNetworks: true });

  beforeAll(async () => {
    const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#000000' } }).png().toBuffer();
    files = http.createServer((req, res) => {
      if (req.url?.endsWith('.png')) res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      else if (req.url === '/broken.mp4') res.writeHead(200, { 'content-type': 'video/mp4' }).end('not a video at all');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });

  beforeEach(async () => {
    fake = await FakeThreads.start({ processingPolls: 1 });
  });

  afterEach(async () => {
    await fake.close();
  });

  afterAll(async () => {
    await new Promise((resolve) => files.close(resolve));
  });

  function account(overrides: Partial<PlatformAccount> = {}): PlatformAccount {
    return { id: 'acc_th', platform: 'threads', name: 'poster', credentials: { access_token: fake.accessToken, user_id: fake.userId }, base_url: fake.url, ...overrides };
  }

  function segment(text: string, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
    seq++;
    return { account: account(), text, media: [], index: 0, total: 1, idempotencyKey: `pub_${seq}:threads:0`, requestedAt: new Date().toISOString(), settings: {}, ...overrides };
  }

  it('publishes a thread: an image with alt text, then replies chained by reply_to_id, each container FINISHED first', async () => {
    const publisher = adapter();
    const texts = ['Shipping day 🚀 (1/3)', 'What changed: faster builds (2/3)', 'Thanks all (3/3)'];
    const refs: SegmentRef[] = [];
    for (let index = 0; index < 3; index++) {
      refs.push(
        await publisher.publishSegment({
          ...segment(texts[index]),
          media: index === 0 ? attach({ images: [{ url: `${base}/dashboard.png`, alt_text: 'Build times falling week by week' }] }) : [],
          settings: { reply_control: 'accounts_you_follow' },
          index,
          total: 3,
          root: index > 0 ? refs[0] : undefined,
          parent: index > 0 ? refs[index - 1] : undefined,
        }),
      );
    }

    expect(fake.posts.map((p) => p.text)).toEqual(texts);
    expect(fake.posts.map((p) => p.replyTo)).toEqual([undefined, refs[0].post_id, refs[1].post_id]);
    expect(fake.posts[0].media).toEqual([{ type: 'IMAGE', url: `${base}/dashboard.png`, alt_text: 'Build times falling week by week' }]);
    expect(fake.posts.map((p) => p.replyControl)).toEqual(['accounts_you_follow', 'accounts_you_follow', 'accounts_you_follow']);
    const creates = fake.requestsTo('POST', `/${fake.userId}/threads`).map((r) => r.params);
    expect(creates[0]).toEqual({ media_type: 'IMAGE', image_url: `${base}/dashboard.png`, alt_text: 'Build times falling week by week', text: texts[0], reply_control: 'accounts_you_follow' });
    expect(creates[1]).toEqual({ media_type: 'TEXT', text: texts[1], reply_to_id: refs[0].post_id, reply_control: 'accounts_you_follow' });
    // One IN_PROGRESS answer, then FINISHED, for each of the three containers.
    expect(fake.requests.filter((r) => r.method === 'GET' && r.params.fields === 'status,error_message')).toHaveLength(6);
    expect(refs.map((r) => r.post_url)).toEqual(fake.posts.map((p) => p.permalink));
    expect(refs[2].ref).toEqual({ id: fake.posts[2].id });
  });

  it('several images make a carousel of finished items', async () => {
    const ref = await adapter().publishSegment(segment('Before and after', { media: attach({ images: [{ url: `${base}/before.png`, alt_text: 'before' }, { url: `${base}/after.png`, alt_text: 'after' }] }) }));
    const creates = fake.requestsTo('POST', `/${fake.userId}/threads`).map((r) => r.params);
    expect(creates.slice(0, 2)).toEqual([
      { media_type: 'IMAGE', image_url: `${base}/before.png`, alt_text: 'before', is_carousel_item: 'true' },
      { media_type: 'IMAGE', image_url: `${base}/after.png`, alt_text: 'after', is_carousel_item: 'true' },
    ]);
    expect(creates[2]).toMatchObject({ media_type: 'CAROUSEL', text: 'Before and after' });
    expect(fake.post(ref.post_id)?.media.map((m) => m.alt_text)).toEqual(['before', 'after']);
  });

  it('counts emoji as their UTF-8 bytes and refuses over 500 before any request', async () => {
    expect(threadsLength('😀')).toBe(4);
    expect(threadsLength('🇫🇷 ok')).toBe(11);
    const err = await rejection(adapter().publishSegment(segment(`${'x'.repeat(497)}😀`)));
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/text is 501 characters \(an emoji counts as its UTF-8 bytes\); Threads takes at most 500/);
    expect(fake.requests).toEqual([]);
    await adapter().publishSegment(segment(`${'x'.repeat(496)}😀`));
    expect(fake.posts).toHaveLength(1);
  });

  it('a revoked token is auth; a Retry-After on a throttled call is rate_limited; a 500 is transient', async () => {
    fake.failNext(`POST /${fake.userId}/threads`, { status: 400, body: { error: { message: '(#17) User request limit reached', type: 'OAuthException', code: 17 } }, headers: { 'retry-after': '90' } });
    const limited = await rejection(adapter().publishSegment(segment('hello')));
    expect(limited).toMatchObject({ kind: 'rate_limited', details: { retryAfterMs: 90_000, platformCode: '17' } });

    fake.failNext(`POST /${fake.userId}/threads_publish`, { status: 503 });
    expect((await rejection(adapter().publishSegment(segment('hello')))).kind).toBe('transient');
    expect(fake.posts).toEqual([]);

    fake.revoke();
    const auth = await rejection(adapter().publishSegment(segment('hello')));
    expect(auth.kind).toBe('auth');
    expect(auth.message).toMatch(/reconnect your Threads account$/);
  });

  it("passes on the platform's reasons: a video it cannot download, a reply to a post that does not exist", async () => {
    const video = await rejection(adapter().publishSegment(segment('clip', { media: attach({ video: { url: `${base}/broken.mp4` } }) })));
    expect(video).toMatchObject({ kind: 'rejected', message: expect.stringMatching(/could not process media container \d+: FAILED_DOWNLOADING_VIDEO/) });
    const orphan = { post_id: '999', post_url: 'u', ref: { id: '999' } };
    const reply = await rejection(adapter().publishSegment(segment('hello?', { index: 1, total: 2, root: orphan, parent: orphan })));
    expect(reply.message).toBe('Threads refused the post: Invalid parameter (Reply target not found: The post you are replying to does not exist or cannot be replied to.)');
    expect(fake.posts).toEqual([]);
  });

  it('a publish whose answer is lost but which went through is found, not posted again', async () => {
    fake.failNext(`POST /${fake.userId}/threads_publish`, { drop: 'after' });
    const ref = await adapter().publishSegment(segment('Did it go out?'));
    expect(fake.posts).toHaveLength(1);
    expect(ref).toEqual({ post_id: fake.posts[0].id, post_url: fake.posts[0].permalink, ref: { id: fake.posts[0].id } });
  });

  it('a publish whose answer is lost before it was handled publishes the same container again, once', async () => {
    fake.failNext(`POST /${fake.userId}/threads_publish`, { drop: 'before' });
    const ref = await adapter().publishSegment(segment('Second try'));
    const publishes = fake.requestsTo('POST', `/${fake.userId}/threads_publish`);
    expect(publishes).toHaveLength(2);
    expect(new Set(publishes.map((p) => p.params.creation_id)).size).toBe(1);
    expect(fake.posts.map((p) => p.id)).toEqual([ref.post_id]);
  });

  it('findPublished finds a post and a reply made since the request, null when absent', async () => {
    const publisher = adapter();
    const requestedAt = new Date(Date.now() - 1_000).toISOString();
    const first = segment('Look me up', { requestedAt });
    const root = await publisher.publishSegment(first);
    const second = { ...segment('Me too', { requestedAt }), index: 1, total: 2, root, parent: root };
    const reply = await publisher.publishSegment(second);
    expect(await publisher.findPublished(first)).toEqual(root);
    expect(await publisher.findPublished(second)).toEqual(reply);
    expect(await publisher.findPublished({ ...first, text: 'not me' })).toBeNull();
    expect(await publisher.findPublished({ ...second, parent: { post_id: 'other', post_url: 'u', ref: { id: 'other' } } })).toBeNull();
  });
});

describe('FakeThreads refuses what Threads refuses', () => {
  let fake: FakeThreads;

  beforeEach(async () => {
    fake = await FakeThreads.start({ processingPolls: 1 });
  });

  afterEach(async () => {
    await fake.close();
  });

  async function post(path: string, params: Record<string, string>, version = fake.version) {
    const response = await fetch(`${fake.url}/${version}${path}`, { method: 'POST', headers: { authorization: `Bearer ${fake.accessToken}` }, body: new URLSearchParams(params) });
    return (await response.json()) as { id?: string; error?: { code?: number; error_user_msg?: string } };
  }

  it('threads_publish before FINISHED and twice; text over 500; an unknown reply_control; no version', async () => {
    const { id } = await post(`/${fake.userId}/threads`, { media_type: 'TEXT', text: 'hi' });
    expect((await post(`/${fake.userId}/threads_publish`, { creation_id: id! })).error).toMatchObject({ code: 24, error_user_msg: 'The media is not ready to be published. Please wait a moment.' });
    await fetch(`${fake.url}/${fake.version}/${id}?fields=status`, { headers: { authorization: `Bearer ${fake.accessToken}` } });
    await fetch(`${fake.url}/${fake.version}/${id}?fields=status`, { headers: { authorization: `Bearer ${fake.accessToken}` } });
    expect((await post(`/${fake.userId}/threads_publish`, { creation_id: id! })).id).toEqual(expect.any(String));
    expect((await post(`/${fake.userId}/threads_publish`, { creation_id: id! })).error?.code).toBe(100);
    expect((await post(`/${fake.userId}/threads`, { media_type: 'TEXT', text: 'y'.repeat(501) })).error?.code).toBe(100);
    expect((await post(`/${fake.userId}/threads`, { media_type: 'TEXT', text: 'a', reply_control: 'nobody' })).error?.code).toBe(100);
    expect((await post(`/${fake.userId}/threads`, { media_type: 'TEXT', text: 'a' }, 'v9.9')).error?.code).toBe(2500);
    expect(fake.posts).toHaveLength(1);
  });
});
