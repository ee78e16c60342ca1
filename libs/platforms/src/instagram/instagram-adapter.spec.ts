import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { mediaAttachments, MediaInput } from '../media/attachments';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { InstagramAdapter } from './instagram-adapter';
import { FakeInstagram } from './testing/fake-instagram';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(12)]);

describe('InstagramAdapter against a fake Graph API', () => {
  let fake: FakeInstagram;
  let files: http.Server;
  let base: string;
  let seq = 0;

  const adapter = (options: ConstructorParameters<typeof InstagramAdapter>[0] = {}) =>
    new InstagramAdapter({ pollIntervalMs: 5, processingTimeoutMs: 2_000, timeoutMs: 5_000, mediaOptions: { allowPrivateNetworks: true }, ...options });
  const attach = (input: MediaInput) => mediaAttachments(input, { allowPrivateNetworks: true });

  beforeAll(async () => {
    const jpeg = await sharp({ create: { width: 1080, height: 1080, channels: 3, background: '#c13584' } }).jpeg().toBuffer();
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c13584' } }).png().toBuffer();
    files = http.createServer((req, res) => {
      if (req.url?.endsWith('.jpg')) res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
      else if (req.url === '/logo.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      else if (req.url?.endsWith('.mp4')) res.writeHead(200, { 'content-type': 'video/mp4' }).end(MP4);
      else if (req.url === '/broken.mov') res.writeHead(200, { 'content-type': 'video/quicktime' }).end('not a video');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });

  beforeEach(async () => {
    fake = await FakeInstagram.start({ processingPolls: 2, failingMediaMarker: 'corrupt' });
  });

  afterEach(async () => {
    await fake.close();
  });

  afterAll(async () => {
    await new Promise((resolve) => files.close(resolve));
  });

  function account(overrides: Partial<PlatformAccount> = {}): PlatformAccount {
    return { id: 'acc_ig', platform: 'instagram', name: 'brand', credentials: { access_token: fake.accessToken, ig_user_id: fake.igUserId }, base_url: fake.url, ...overrides };
  }

  function segment(text: string, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
    seq++;
    return { account: account(), text, media: [], index: 0, total: 1, idempotencyKey: `pub_${seq}:instagram:0`, requestedAt: new Date().toISOString(), settings: {}, ...overrides };
  }

  it('publishes a thread: an image with alt text once its container is FINISHED, then comments', async () => {
    const publisher = adapter();
    const texts = ['New collection is live ✨ #launch', 'Sizes run large (order one down)', 'Ships worldwide'];
    const refs: SegmentRef[] = [];
    for (let index = 0; index < 3; index++) {
      refs.push(
        await publisher.publishSegment({
          ...segment(texts[index]),
          media: index === 0 ? attach({ images: [{ url: `${base}/look.jpg`, alt_text: 'A model in a magenta coat' }] }) : [],
          index,
          total: 3,
          root: index > 0 ? refs[0] : undefined,
          parent: index > 0 ? refs[index - 1] : undefined,
        }),
      );
    }

    const [container] = fake.containers.values();
    expect(container.params).toEqual({ image_url: `${base}/look.jpg`, caption: texts[0], alt_text: 'A model in a magenta coat' });
    // Two IN_PROGRESS answers, then FINISHED: published only after.
    expect(fake.requestsTo('GET', `/${container.id}`)).toHaveLength(3);
    expect(fake.requestsTo('POST', `/${fake.igUserId}/media_publish`).map((r) => r.params)).toEqual([{ creation_id: container.id }]);
    const [media] = fake.media;
    expect(media).toMatchObject({ caption: texts[0], media_type: 'IMAGE', media_product_type: 'FEED' });
    expect(refs[0]).toEqual({ post_id: media.id, post_url: media.permalink, ref: { id: media.id } });
    expect(fake.commentsOn(media.id).map((c) => c.text)).toEqual(texts.slice(1));
    expect(refs.slice(1).map((r) => r.post_url)).toEqual([media.permalink, media.permalink]);
    expect(refs[2].post_id).toBe(fake.comments[1].id);
  });

  it('several images make a carousel of finished items, with alt text and collaborators', async () => {
    const media = attach({ images: [{ url: `${base}/a.jpg`, alt_text: 'front' }, { url: `${base}/b.jpg`, alt_text: 'back' }] });
    const ref = await adapter().publishSegment(segment('Both sides', { media, settings: { collaborators: ['@partner', 'studio'] } }));
    const calls = fake.requestsTo('POST', `/${fake.igUserId}/media`).map((r) => r.params);
    expect(calls.slice(0, 2)).toEqual([
      { is_carousel_item: 'true', image_url: `${base}/a.jpg`, alt_text: 'front' },
      { is_carousel_item: 'true', image_url: `${base}/b.jpg`, alt_text: 'back' },
    ]);
    const children = [...fake.containers.values()].filter((c) => c.isCarouselItem).map((c) => c.id);
    expect(calls[2]).toEqual({ media_type: 'CAROUSEL', children: children.join(','), caption: 'Both sides', collaborators: '["partner","studio"]' });
    expect(fake.media[0]).toMatchObject({ id: ref.post_id, media_type: 'CAROUSEL_ALBUM' });
  });

  it('post_type reel publishes a REELS container with its cover; story a STORIES one without caption', async () => {
    const reel = await adapter().publishSegment(segment('Behind the scenes', { media: attach({ video: { url: `${base}/bts.mp4`, thumbnail_url: `${base}/cover.jpg` } }), settings: { post_type: 'reel' } }));
    expect(fake.requestsTo('POST', `/${fake.igUserId}/media`)[0].params).toEqual({ media_type: 'REELS', video_url: `${base}/bts.mp4`, caption: 'Behind the scenes', cover_url: `${base}/cover.jpg` });
    expect(fake.media[0]).toMatchObject({ id: reel.post_id, media_product_type: 'REELS' });

    const story = await adapter().publishSegment(segment('Today only', { media: attach({ images: [{ url: `${base}/story.jpg`, alt_text: 'not sent: stories take none' }] }), settings: { post_type: 'story' } }));
    expect(fake.requestsTo('POST', `/${fake.igUserId}/media`)[1].params).toEqual({ media_type: 'STORIES', image_url: `${base}/story.jpg` });
    expect(fake.media[1]).toMatchObject({ id: story.post_id, media_product_type: 'STORY' });
  });

  it('refuses before any request: no media, a long caption, media on a comment, a story thread, a PNG', async () => {
    const cases: Array<[SegmentRequest, RegExp]> = [
      [segment('words only'), /Instagram needs an image or a video/],
      [segment('c'.repeat(2201), { media: attach({ images: [{ url: `${base}/x.jpg` }] }) }), /caption is 2201 characters; Instagram takes at most 2200/],
      [segment('pic reply', { index: 1, total: 2, media: attach({ images: [{ url: `${base}/x.jpg` }] }), root: { post_id: '1', post_url: 'u' } }), /comment 1 has media; Instagram comments are text only/],
      [segment('story', { total: 2, media: attach({ images: [{ url: `${base}/x.jpg` }] }), settings: { post_type: 'story' } }), /a story cannot be commented on/],
      [segment('logo', { media: attach({ images: [{ url: `${base}/logo.png` }] }) }), /publishes JPEG images only; image 1 .* is image\/png/],
    ];
    for (const [request, reason] of cases) {
      const err = await rejection(adapter().publishSegment(request));
      expect(err.kind).toBe('rejected');
      expect(err.message).toMatch(reason);
    }
    expect(fake.requests).toEqual([]);
  });

  it('a container that ends in ERROR is rejected with its status, and nothing is published', async () => {
    const err = await rejection(adapter().publishSegment(segment('oops', { media: attach({ images: [{ url: `${base}/corrupt.jpg` }] }) })));
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/could not process media container \d+: Error: Media upload has failed with error code 2207026/);
    expect(fake.requestsTo('POST', `/${fake.igUserId}/media_publish`)).toEqual([]);
  });

  it('a container still processing at the deadline is transient, and nothing is published', async () => {
    const slow = await FakeInstagram.start({ processingPolls: 1_000 });
    try {
      const err = await rejection(adapter({ processingTimeoutMs: 60 }).publishSegment(segment('patience', { account: account({ base_url: slow.url, credentials: { access_token: slow.accessToken, ig_user_id: slow.igUserId } }), media: attach({ images: [{ url: `${base}/x.jpg` }] }) })));
      expect(err.kind).toBe('transient');
      expect(err.message).toMatch(/still processing/);
      expect(slow.media).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it('a revoked token is auth', async () => {
    fake.revoke();
    const err = await rejection(adapter().publishSegment(segment('hi', { media: attach({ images: [{ url: `${base}/x.jpg` }] }) })));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/reconnect your Instagram account$/);
  });

  it('an application limit is rate_limited with the wait Meta announces; a 500 is transient', async () => {
    fake.failNext(`POST /${fake.igUserId}/media`, {
      status: 403,
      body: { error: { message: '(#4) Application request limit reached', type: 'OAuthException', code: 4, is_transient: true } },
      headers: { 'x-business-use-case-usage': JSON.stringify({ [fake.igUserId]: [{ type: 'instagram', call_count: 100, estimated_time_to_regain_access: 15 }] }) },
    });
    const limited = await rejection(adapter().publishSegment(segment('hi', { media: attach({ images: [{ url: `${base}/x.jpg` }] }) })));
    expect(limited.kind).toBe('rate_limited');
    expect(limited.details.retryAfterMs).toBe(15 * 60_000);

    fake.failNext(`POST /${fake.igUserId}/media_publish`, { status: 500 });
    const down = await rejection(adapter().publishSegment(segment('hi', { media: attach({ images: [{ url: `${base}/x.jpg` }] }) })));
    expect(down.kind).toBe('transient');
    expect(fake.media).toEqual([]);
  });

  it("passes on Instagram's own reason when it cannot use the media", async () => {
    const err = await rejection(adapter().publishSegment(segment('clip', { media: attach({ video: { url: `${base}/broken.mov` } }), settings: { post_type: 'reel' } })));
    expect(err.kind).toBe('rejected');
    expect(err.message).toBe(
      "Instagram refused the post: Only photo or video can be accepted as media type. (Media download has failed: The media could not be fetched from this URI or it is not a JPEG image or a supported video: it doesn't meet our requirements.)",
    );
  });

  it('a lost media_publish answer is settled by the container status: found when published, published once otherwise', async () => {
    fake.failNext(`POST /${fake.igUserId}/media_publish`, { drop: 'after' });
    const found = await adapter().publishSegment(segment('went out', { media: attach({ images: [{ url: `${base}/x.jpg` }] }) }));
    expect(fake.media.map((m) => m.id)).toEqual([found.post_id]);

    fake.failNext(`POST /${fake.igUserId}/media_publish`, { drop: 'before' });
    const again = await adapter().publishSegment(segment('did not', { media: attach({ images: [{ url: `${base}/y.jpg` }] }) }));
    expect(fake.media.map((m) => m.id)).toEqual([found.post_id, again.post_id]);
    // One for the first (found by its status), two for the second: the same container again.
    const publishes = fake.requestsTo('POST', `/${fake.igUserId}/media_publish`).map((r) => r.params.creation_id);
    expect(publishes).toHaveLength(3);
    expect(publishes[2]).toBe(publishes[1]);
  });

  it('findPublished finds the media and the comment made since the request, null when absent', async () => {
    const publisher = adapter();
    const requestedAt = new Date(Date.now() - 1_000).toISOString();
    const first = segment('Find me', { requestedAt, media: attach({ images: [{ url: `${base}/x.jpg` }] }) });
    const root = await publisher.publishSegment(first);
    const reply = { ...segment('and me', { requestedAt }), index: 1, total: 2, root, parent: root };
    const comment = await publisher.publishSegment(reply);
    expect(await publisher.findPublished(first)).toEqual(root);
    expect(await publisher.findPublished(reply)).toEqual(comment);
    expect(await publisher.findPublished({ ...first, text: 'never posted' })).toBeNull();
    expect(await publisher.findPublished({ ...reply, text: 'never said' })).toBeNull();
  });
});

describe('FakeInstagram refuses what Instagram refuses', () => {
  let fake: FakeInstagram;
  let files: http.Server;
  let base: string;

  beforeAll(async () => {
    const jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#000' } }).jpeg().toBuffer();
    files = http.createServer((_req, res) => res.writeHead(200).end(jpeg));
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });

  beforeEach(async () => {
    fake = await FakeInstagram.start({ processingPolls: 1 });
  });

  afterEach(async () => {
    await fake.close();
  });

  afterAll(async () => {
    await new Promise((resolve) => files.close(resolve));
  });

  async function post(path: string, params: Record<string, string>) {
    const response = await fetch(`${fake.url}/${fake.version}${path}`, { method: 'POST', headers: { authorization: `Bearer ${fake.accessToken}` }, body: new URLSearchParams(params) });
    return (await response.json()) as { id?: string; error?: { code?: number; error_subcode?: number; error_user_msg?: string } };
  }

  it('media_publish before the container is FINISHED, a carousel item on its own, a container twice', async () => {
    const { id } = await post(`/${fake.igUserId}/media`, { image_url: `${base}/a.jpg`, caption: 'x' });
    expect((await post(`/${fake.igUserId}/media_publish`, { creation_id: id! })).error).toMatchObject({ code: 9007, error_subcode: 2207027, error_user_msg: 'The media is not ready for publishing, please wait for a moment' });
    await fetch(`${fake.url}/${fake.version}/${id}?fields=status_code`, { headers: { authorization: `Bearer ${fake.accessToken}` } });
    await fetch(`${fake.url}/${fake.version}/${id}?fields=status_code`, { headers: { authorization: `Bearer ${fake.accessToken}` } });
    expect((await post(`/${fake.igUserId}/media_publish`, { creation_id: id! })).id).toEqual(expect.any(String));
    expect((await post(`/${fake.igUserId}/media_publish`, { creation_id: id! })).error?.code).toBe(9007);

    const item = await post(`/${fake.igUserId}/media`, { image_url: `${base}/b.jpg`, is_carousel_item: 'true' });
    expect((await post(`/${fake.igUserId}/media_publish`, { creation_id: item.id! })).error?.code).toBe(100);
    expect((await post(`/${fake.igUserId}/media`, { media_type: 'CAROUSEL', children: item.id! })).error?.error_subcode).toBe(2207040);
    expect((await post(`/${fake.igUserId}/media`, { media_type: 'REELS', video_url: `${base}/v.mp4`, alt_text: 'no' })).error?.code).toBe(100);
  });
});
