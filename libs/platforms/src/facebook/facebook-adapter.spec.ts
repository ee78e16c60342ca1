import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { mediaAttachments } from '../media/attachments';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { metaFailure } from './errors';
import { FacebookAdapter } from './facebook-adapter';
import { FakeFacebook } from './testing/fake-facebook';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

// The smallest file the sniffer takes for an MP4: an `ftyp` box.
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(12)]);

describe('FacebookAdapter against a fake Graph API', () => {
  let fake: FakeFacebook;
  let media: http.Server;
  let mediaBase: string;
  let seq = 0;

  const adapter = (options: ConstructorParameters<typeof FacebookAdapter>[0] = {}) =>
    new FacebookAdapter({ pollIntervalMs: 5, processingTimeoutMs: 2_000, timeoutMs: 5_000, mediaOptions: { allowPrivateNetworks: true }, ...options });

  beforeAll(async () => {
    const png = await sharp({ create: { width: 320, height: 180, channels: 3, background: '#1877f2' } }).png().toBuffer();
    media = http.createServer((req, res) => {
      if (req.url === '/chart.png' || req.url === '/second.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      else if (req.url === '/clip.mp4') res.writeHead(200, { 'content-type': 'video/mp4' }).end(MP4);
      else if (req.url === '/not-an-image.png') res.writeHead(200, { 'content-type': 'image/png' }).end('just some text');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
    mediaBase = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
  });

  beforeEach(async () => {
    fake = await FakeFacebook.start({ reelProcessingPolls: 2 });
  });

  afterEach(async () => {
    await fake.close();
  });

  afterAll(async () => {
    await new Promise((resolve) => media.close(resolve));
  });

  function account(overrides: Partial<PlatformAccount> = {}): PlatformAccount {
    return { id: 'acc_fb', platform: 'facebook', name: 'Page', credentials: { page_access_token: fake.accessToken, page_id: fake.pageId }, base_url: fake.url, ...overrides };
  }

  function segment(text: string, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
    seq++;
    return { account: account(), text, media: [], index: 0, total: 1, idempotencyKey: `pub_${seq}:facebook:0`, requestedAt: new Date().toISOString(), settings: {}, ...overrides };
  }

  async function thread(texts: string[], first: Partial<SegmentRequest>, later: (index: number) => Partial<SegmentRequest> = () => ({})): Promise<SegmentRef[]> {
    const publisher = adapter();
    const refs: SegmentRef[] = [];
    for (let index = 0; index < texts.length; index++) {
      refs.push(
        await publisher.publishSegment({
          ...segment(texts[index]),
          ...(index === 0 ? first : later(index)),
          index,
          total: texts.length,
          root: index > 0 ? refs[0] : undefined,
          parent: index > 0 ? refs[index - 1] : undefined,
        }),
      );
    }
    return refs;
  }

  it('publishes a thread: a photo post with its caption and alt text, then comments on it', async () => {
    const photo = mediaAttachments({ images: [{ url: `${mediaBase}/chart.png`, alt_text: 'A blue chart of the quarter' }] }, { allowPrivateNetworks: true });
    const texts = ['Our results are in', 'Revenue grew (a lot) #growth', 'Thanks for reading'];
    const refs = await thread(texts, { media: photo }, (i) => (i === 2 ? { media: mediaAttachments({ images: [{ url: `${mediaBase}/second.png` }] }) } : {}));

    expect(fake.posts).toHaveLength(1);
    const [post] = fake.posts;
    expect(post).toMatchObject({ kind: 'photo', message: 'Our results are in' });
    expect(post.photos.map((p) => ({ url: p.url, alt: p.alt_text_custom, mime: p.mime }))).toEqual([{ url: `${mediaBase}/chart.png`, alt: 'A blue chart of the quarter', mime: 'image/png' }]);
    // The post's own permalink_url, read after publishing, not the Graph id pasted on the host.
    expect(refs[0]).toEqual({ post_id: post.id, post_url: fake.permalinkOf(post), ref: { id: post.id } });
    expect(refs[0].post_url).not.toContain(post.id);

    const comments = fake.commentsOn(post.id);
    expect(comments.map((c) => c.message)).toEqual(texts.slice(1));
    expect(comments[1].attachment_url).toBe(`${mediaBase}/second.png`);
    expect(refs[1].post_id).toBe(comments[0].id);
    expect(refs[1].post_url).toBe(`${fake.permalinkOf(post)}?comment_id=${comments[0].id.split('_')[1]}`);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST /${fake.pageId}/photos`, `GET /${post.id}`, `POST /${post.id}/comments`, `POST /${post.id}/comments`]);
    expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${fake.accessToken}`)).toBe(true);
  });

  it('several photos are uploaded unpublished, then attached to one feed post', async () => {
    const photos = mediaAttachments({ images: [{ url: `${mediaBase}/chart.png`, alt_text: 'first' }, { url: `${mediaBase}/second.png`, alt_text: 'second' }] });
    const ref = await adapter().publishSegment(segment('Two pictures', { media: photos }));
    const uploads = fake.requestsTo('POST', `/${fake.pageId}/photos`);
    expect(uploads.map((r) => r.params)).toEqual([
      { url: `${mediaBase}/chart.png`, alt_text_custom: 'first', published: 'false' },
      { url: `${mediaBase}/second.png`, alt_text_custom: 'second', published: 'false' },
    ]);
    const post = fake.post(ref.post_id)!;
    expect(post.message).toBe('Two pictures');
    expect(post.photos.map((p) => p.alt_text_custom)).toEqual(['first', 'second']);
    expect(JSON.parse(fake.requestsTo('POST', `/${fake.pageId}/feed`)[0].params.attached_media)).toEqual(uploads.map((_, i) => ({ media_fbid: [...fake.photos.keys()][i] })));
  });

  it('a text post goes to the feed', async () => {
    const ref = await adapter().publishSegment(segment('Just words'));
    expect(fake.posts).toEqual([expect.objectContaining({ id: ref.post_id, kind: 'feed', message: 'Just words', photos: [] })]);
  });

  it('video_type reel takes the Reels flow: start, hosted upload, finish, then waits for publishing', async () => {
    const video = mediaAttachments({ video: { url: `${mediaBase}/clip.mp4` } });
    const ref = await adapter().publishSegment(segment('Watch this', { media: video, settings: { video_type: 'reel' } }));
    const reelCalls = fake.requestsTo('POST', `/${fake.pageId}/video_reels`).map((r) => r.params);
    expect(reelCalls).toEqual([{ upload_phase: 'start' }, { upload_phase: 'finish', video_id: ref.post_id, video_state: 'PUBLISHED', description: 'Watch this' }]);
    const [upload] = fake.requestsTo('POST', `/video-upload/${fake.version}/${ref.post_id}`);
    expect(upload.headers.authorization).toBe(`OAuth ${fake.accessToken}`);
    expect(upload.headers.file_url).toBe(`${mediaBase}/clip.mp4`);
    expect(fake.requestsTo('GET', `/${ref.post_id}`).length).toBe(3);
    expect(ref).toEqual({ post_id: ref.post_id, post_url: `https://www.facebook.com/reel/${ref.post_id}`, ref: { id: ref.post_id } });
    expect(fake.post(ref.post_id)).toMatchObject({ kind: 'reel', message: 'Watch this' });
  });

  it('any other video is one call to /videos with the hosted file', async () => {
    const video = mediaAttachments({ video: { url: `${mediaBase}/clip.mp4` } });
    const ref = await adapter().publishSegment(segment('A longer video', { media: video, settings: { video_type: 'video' } }));
    expect(fake.requestsTo('POST', `/${fake.pageId}/videos`).map((r) => r.params)).toEqual([{ file_url: `${mediaBase}/clip.mp4`, description: 'A longer video' }]);
    expect(ref.post_url).toBe(`https://www.facebook.com/${fake.pageId}/videos/${ref.post_id}`);
  });

  it('refuses over-limit text, a video comment and private media URLs before any request', async () => {
    const long = await rejection(adapter().publishSegment(segment('x'.repeat(63_207))));
    expect(long.kind).toBe('rejected');
    expect(long.message).toMatch(/text is 63207 characters; Facebook takes at most 63206/);
    const videoComment = await rejection(
      adapter().publishSegment(segment('clip', { index: 1, total: 2, media: mediaAttachments({ video: { url: `${mediaBase}/clip.mp4` } }), root: { post_id: '1_2', post_url: 'u', ref: { id: '1_2' } } })),
    );
    expect(videoComment.message).toMatch(/comment 1 has a video/);
    const strict = new FacebookAdapter();
    const privateUrl = await rejection(strict.publishSegment(segment('pic', { media: mediaAttachments({ images: [{ url: `${mediaBase}/chart.png` }] }) })));
    expect(privateUrl.message).toMatch(/fetches media from a public URL; image 1 \(127\.0\.0\.1:\d+\) is on a private network/);
    expect(fake.requests).toEqual([]);
  });

  it('a revoked token is auth, asking to reconnect', async () => {
    fake.revoke();
    const err = await rejection(adapter().publishSegment(segment('hello')));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/^Facebook refused the account's credentials \(Error validating access token: The session has been invalidated.*\): reconnect your Facebook account$/);
    expect(err.details.platformCode).toBe('190/460');
  });

  it('a throttled page is rate_limited with the wait from the Business Use Case header', async () => {
    fake.failNext(`POST /${fake.pageId}/feed`, {
      status: 400,
      body: { error: { message: '(#32) Page request limit reached', type: 'OAuthException', code: 32 } },
      headers: { 'x-business-use-case-usage': JSON.stringify({ [fake.pageId]: [{ type: 'pages', call_count: 100, total_cputime: 20, total_time: 30, estimated_time_to_regain_access: 7 }] }) },
    });
    const err = await rejection(adapter().publishSegment(segment('slow down')));
    expect(err.kind).toBe('rate_limited');
    expect(err.details.retryAfterMs).toBe(7 * 60_000);
    expect(fake.posts).toEqual([]);
  });

  it('a 500 is transient', async () => {
    fake.failNext('*', { status: 500 });
    const err = await rejection(adapter().publishSegment(segment('hello')));
    expect(err.kind).toBe('transient');
    expect(err.retryable).toBe(true);
  });

  it("passes on Meta's own reason for a refused post", async () => {
    const broken = await rejection(adapter().publishSegment(segment('pic', { media: mediaAttachments({ images: [{ url: `${mediaBase}/not-an-image.png` }] }) })));
    expect(broken).toMatchObject({ kind: 'rejected', message: 'Facebook refused the post: (#324) Missing or invalid image file' });

    fake.failNext(`POST /${fake.pageId}/feed`, {
      status: 400,
      body: { error: { message: 'Invalid parameter', type: 'OAuthException', code: 100, error_subcode: 1349125, error_user_title: 'Missing Message Or Attachment', error_user_msg: 'Your post needs text or an attachment.' } },
    });
    const refused = await rejection(adapter().publishSegment(segment('hello')));
    expect(refused.message).toBe('Facebook refused the post: Invalid parameter (Missing Message Or Attachment: Your post needs text or an attachment.)');
    expect(refused.retryable).toBe(false);
  });

  it('a comment on a post the page does not have is refused with the reason', async () => {
    const err = await rejection(adapter().publishSegment(segment('reply', { index: 1, total: 2, root: { post_id: '1_999', post_url: 'u', ref: { id: '1_999' } } })));
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/Object with ID '1_999' does not exist/);
  });

  it('a lost answer on an unpublished photo is transient; on the post itself an unknown outcome that findPublished resolves', async () => {
    const photos = mediaAttachments({ images: [{ url: `${mediaBase}/chart.png` }, { url: `${mediaBase}/second.png` }] });
    fake.failNext(`POST /${fake.pageId}/photos`, { drop: 'after' });
    expect((await rejection(adapter().publishSegment(segment('two', { media: photos })))).kind).toBe('transient');
    expect(fake.posts).toEqual([]);

    const requestedAt = new Date(Date.now() - 1_000).toISOString();
    const request = segment('Lost in transit', { requestedAt });
    fake.failNext(`POST /${fake.pageId}/feed`, { drop: 'after' });
    expect((await rejection(adapter().publishSegment(request))).kind).toBe('unknown_outcome');
    expect(fake.posts).toHaveLength(1);
    expect(await adapter().findPublished(request)).toEqual({ post_id: fake.posts[0].id, post_url: fake.permalinkOf(fake.posts[0]), ref: { id: fake.posts[0].id } });
  });

  it('findPublished finds a post and a comment made since the request, and answers null when there is none', async () => {
    const requestedAt = new Date(Date.now() - 1_000).toISOString();
    const publisher = adapter();
    const first = segment('Find me', { requestedAt });
    const root = await publisher.publishSegment(first);
    const reply = { ...segment('And me', { requestedAt }), index: 1, total: 2, root, parent: root };
    const comment = await publisher.publishSegment(reply);

    expect(await publisher.findPublished(first)).toEqual(root);
    expect(await publisher.findPublished(reply)).toEqual(comment);
    expect(await publisher.findPublished(segment('Never posted', { requestedAt }))).toBeNull();
    expect(await publisher.findPublished({ ...reply, text: 'Never commented' })).toBeNull();
  });

  it('findPublished cannot tell when more posts were made since the request than a page lists', async () => {
    const requestedAt = new Date(Date.now() - 1_000).toISOString();
    for (let i = 0; i < 26; i++) await adapter().publishSegment(segment(`busy page ${i}`, { requestedAt }));
    const err = await rejection(adapter().findPublished(segment('lost in the crowd', { requestedAt })));
    expect(err.kind).toBe('unknown_outcome');
  });

  it('classifies Meta error codes', () => {
    const failure = (status: number, error: Record<string, unknown>) => metaFailure('Facebook', { status, body: { error }, text: '', headers: new Headers() });
    expect(failure(400, { message: 'x', code: 190 }).kind).toBe('auth');
    expect(failure(403, { message: '(#200) Requires pages_manage_posts permission', code: 200 }).kind).toBe('auth');
    expect(failure(400, { message: '(#4) Application request limit reached', code: 4 }).kind).toBe('rate_limited');
    expect(failure(400, { message: 'Business use case limit', code: 80001 }).kind).toBe('rate_limited');
    expect(failure(500, { message: 'An unknown error occurred', code: 1 }).kind).toBe('transient');
    expect(failure(400, { message: 'Please retry', code: 100, is_transient: true }).kind).toBe('transient');
    expect(failure(400, { message: '(#368) The action attempted has been deemed abusive', code: 368 }).kind).toBe('rejected');
  });
});

describe('FakeFacebook refuses what the Graph API refuses', () => {
  let fake: FakeFacebook;

  beforeEach(async () => {
    fake = await FakeFacebook.start();
  });

  afterEach(async () => {
    await fake.close();
  });

  async function call(path: string, body: Record<string, string>, token: string | null = fake.accessToken) {
    const response = await fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: new URLSearchParams(body).toString(),
    });
    return { status: response.status, body: (await response.json()) as { id?: string; error?: { code?: number; message?: string } } };
  }

  it('a path without the API version, a missing or wrong token', async () => {
    expect((await call(`/${fake.pageId}/feed`, { message: 'hi' })).body.error?.code).toBe(2500);
    expect((await call(`/${fake.version}/${fake.pageId}/feed`, { message: 'hi' }, null)).body.error?.code).toBe(2500);
    expect(await call(`/${fake.version}/${fake.pageId}/feed`, { message: 'hi' }, 'wrong')).toMatchObject({ status: 400, body: { error: { code: 190 } } });
    expect(fake.posts).toEqual([]);
  });

  it('an unknown or already used photo id, and finishing a reel that was never uploaded', async () => {
    expect((await call(`/${fake.version}/${fake.pageId}/feed`, { message: 'hi', attached_media: '[{"media_fbid":"42"}]' })).body.error?.message).toMatch(/Invalid media_fbid 42/);
    const start = await fetch(`${fake.url}/${fake.version}/${fake.pageId}/video_reels`, { method: 'POST', headers: { authorization: `Bearer ${fake.accessToken}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'upload_phase=start' });
    const { video_id } = (await start.json()) as { video_id: string };
    const finish = await call(`/${fake.version}/${fake.pageId}/video_reels`, { upload_phase: 'finish', video_id, video_state: 'PUBLISHED' });
    expect(finish.body.error).toMatchObject({ code: 6000 });
  });
});
