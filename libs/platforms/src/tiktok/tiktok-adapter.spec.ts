import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { mediaAttachments } from '../media/attachments';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { FakeTiktok, FakeTiktokOptions } from './testing/fake-tiktok';
import { TiktokAdapter } from './tiktok-adapter';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

const CLIP = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(2_000, 3)]);

describe('TiktokAdapter against a fake Content Posting API', () => {
  const fakes: FakeTiktok[] = [];
  let media: http.Server;
  let mediaBase: string;
  let seq = 0;

  const adapter = (options: ConstructorParameters<typeof TiktokAdapter>[0] = {}) => new TiktokAdapter({ pollIntervalMs: 5, publishTimeoutMs: 5_000, timeoutMs: 2_000, ...options });

  async function tiktok(options: FakeTiktokOptions = {}): Promise<FakeTiktok> {
    const fake = await FakeTiktok.start(options);
    fakes.push(fake);
    return fake;
  }

  beforeAll(async () => {
    const files: Record<string, Buffer> = {
      '/one.jpg': await sharp({ create: { width: 1080, height: 1350, channels: 3, background: '#fe2c55' } }).jpeg().toBuffer(),
      '/two.jpg': await sharp({ create: { width: 1080, height: 1350, channels: 3, background: '#25f4ee' } }).jpeg().toBuffer(),
      '/three.webp': await sharp({ create: { width: 1080, height: 1350, channels: 3, background: '#000000' } }).webp().toBuffer(),
      '/chart.png': await sharp({ create: { width: 200, height: 200, channels: 3, background: '#ffffff' } }).png().toBuffer(),
      '/clip.mp4': CLIP,
    };
    media = http.createServer((req, res) => {
      const file = files[req.url ?? ''];
      if (file) res.writeHead(200).end(file);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
    mediaBase = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  });

  afterAll(async () => {
    await new Promise((resolve) => media.close(resolve));
  });

  const accountOf = (fake: FakeTiktok, token = fake.token): PlatformAccount => ({ id: 'acc_tt', platform: 'tiktok', name: 'creator', credentials: { access_token: token }, base_url: fake.url });
  const photos = (...paths: string[]) => mediaAttachments({ images: paths.map((p, i) => ({ url: `${mediaBase}${p}`, alt_text: `alt text ${i + 1}` })) }, { allowPrivateNetworks: true });
  const video = (path = '/clip.mp4') => mediaAttachments({ video: { url: `${mediaBase}${path}` } }, { allowPrivateNetworks: true });

  function segment(fake: FakeTiktok, text: string, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
    seq++;
    return { account: accountOf(fake), text, media: video(), index: 0, total: 1, idempotencyKey: `pub_${seq}:tiktok:0`, requestedAt: new Date().toISOString(), settings: { privacy_level: 'PUBLIC_TO_EVERYONE' }, ...overrides };
  }

  it('publishes a thread as separate posts, photos and a video, each with its settings; ids kept exact', async () => {
    const fake = await tiktok();
    const publisher = adapter();
    const settings = { privacy_level: 'MUTUAL_FOLLOW_FRIENDS', allow_comment: false, allow_duet: true, allow_stitch: false, title: 'Launch week' };
    const segments = [
      { text: 'Launch week, day one (1/3)', media: photos('/one.jpg', '/two.jpg') },
      { text: 'Behind the scenes (2/3)', media: video() },
      { text: 'Thank you! (3/3)', media: photos('/two.jpg', '/three.webp') },
    ];
    const refs: SegmentRef[] = [];
    for (const [index, s] of segments.entries()) {
      refs.push(await publisher.publishSegment(segment(fake, s.text, { media: s.media, index, total: 3, idempotencyKey: `pub_t:tiktok:${index}`, root: refs[0], parent: refs[index - 1], settings })));
    }

    const [first, second, third] = fake.posts;
    expect(first).toMatchObject({ kind: 'photo', title: 'Launch week', description: segments[0].text, privacyLevel: 'MUTUAL_FOLLOW_FRIENDS', disableComment: true, coverIndex: 0, mediaUrls: [`${mediaBase}/one.jpg`, `${mediaBase}/two.jpg`] });
    expect(first.pulled.map((p) => p.mime)).toEqual(['image/jpeg', 'image/jpeg']);
    expect(second).toMatchObject({ kind: 'video', title: segments[1].text, privacyLevel: 'MUTUAL_FOLLOW_FRIENDS', disableComment: true, disableDuet: false, disableStitch: true, mediaUrls: [`${mediaBase}/clip.mp4`] });
    expect(second.pulled[0]).toMatchObject({ mime: 'video/mp4', size: CLIP.length });
    expect(third.pulled.map((p) => p.mime)).toEqual(['image/jpeg', 'image/webp']);
    // TikTok has no alt text: it goes nowhere.
    expect(JSON.stringify(fake.posts)).not.toContain('alt text');

    expect(refs.map((r) => r.post_id)).toEqual(['7345678901234567890', '7345678901234567891', '7345678901234567892']);
    expect(refs[0]).toEqual({ post_id: '7345678901234567890', post_url: 'https://www.tiktok.com/@postloom/photo/7345678901234567890', ref: { post_id: '7345678901234567890', publish_id: first.publishId } });
    expect(refs[1].post_url).toBe('https://www.tiktok.com/@postloom/video/7345678901234567891');
    expect(fake.callsOf('/v2/post/publish/creator_info/query/')).toBe(3);
    expect(fake.callsOf('/v2/post/publish/video/init/') + fake.callsOf('/v2/post/publish/content/init/')).toBe(3);
  });

  it('what the creator turned off stays off, and the privacy level chosen is the one sent', async () => {
    const fake = await tiktok({ commentDisabled: true });
    await adapter().publishSegment(segment(fake, 'defaults', { settings: { allow_comment: true, privacy_level: 'PUBLIC_TO_EVERYONE' } }));
    expect(fake.posts[0]).toMatchObject({ privacyLevel: 'PUBLIC_TO_EVERYONE', disableComment: true, disableDuet: false, disableStitch: false });
  });

  it('refuses before any request: no media, one photo, a video with photos, PNG photos', async () => {
    const fake = await tiktok();
    const textOnly = await rejection(adapter().publishSegment(segment(fake, 'words only (2/3)', { media: [], index: 1, total: 3 })));
    expect(textOnly).toMatchObject({ kind: 'rejected' });
    expect(textOnly.message).toMatch(/segment 2 has no video or photos; TikTok posts need a video or 2 to 35 photos, so it cannot be posted to TikTok/);
    expect((await rejection(adapter().publishSegment(segment(fake, 'one', { media: photos('/one.jpg') })))).message).toMatch(/has 1 photo; a TikTok photo post takes 2 to 35/);
    expect((await rejection(adapter().publishSegment(segment(fake, 'mixed', { media: [...video(), ...photos('/one.jpg')] })))).message).toMatch(/mixes a video and photos/);
    const png = await rejection(adapter().publishSegment(segment(fake, 'png', { media: photos('/one.jpg', '/chart.png') })));
    expect(png.message).toBe('TikTok photo posts take JPEG or WebP images; photo 2 is image/png');
    expect((await rejection(adapter().publishSegment(segment(fake, 'x'.repeat(2201))))).message).toMatch(/caption of the post is 2201 characters \(UTF-16\); TikTok takes at most 2200/);
    expect(fake.requests).toEqual([]);
  });

  it("a privacy level the creator does not offer is refused with the allowed list, before the post starts", async () => {
    const fake = await tiktok({ privacyOptions: ['MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY'] });
    const err = await rejection(adapter().publishSegment(segment(fake, 'public please', { settings: { privacy_level: 'PUBLIC_TO_EVERYONE' } })));
    expect(err).toMatchObject({ kind: 'rejected', message: 'TikTok does not allow privacy_level PUBLIC_TO_EVERYONE for this account; it allows MUTUAL_FOLLOW_FRIENDS, SELF_ONLY' });
    // No default, not even when the account offers public: the person chooses (Direct Post guidelines).
    const unset = await rejection(adapter().publishSegment(segment(fake, 'no setting', { settings: {} })));
    expect(unset.message).toBe("TikTok needs the privacy level chosen for each post: set platform_settings.tiktok.privacy_level to one of this account's options: MUTUAL_FOLLOW_FRIENDS, SELF_ONLY");
    const offersPublic = await tiktok();
    expect((await rejection(adapter().publishSegment(segment(offersPublic, 'no setting', { settings: {} })))).message).toMatch(/needs the privacy level chosen/);
    expect(fake.posts).toEqual([]);
  });

  it('a private post gets no public id: its publish_id and the profile stand in', async () => {
    const fake = await tiktok();
    const ref = await adapter().publishSegment(segment(fake, 'just me', { settings: { privacy_level: 'SELF_ONLY' } }));
    expect(ref).toEqual({ post_id: fake.posts[0].publishId, post_url: 'https://www.tiktok.com/@postloom', ref: { publish_id: fake.posts[0].publishId } });
  });

  it('a revoked token is auth', async () => {
    const fake = await tiktok();
    const err = await rejection(adapter().publishSegment({ ...segment(fake, 'hello'), account: accountOf(fake, 'act.revoked') }));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/^TikTok refused the account's credentials \(The access token is invalid or not found in the request\. \(access_token_invalid, log_id \w+\)\): reconnect your TikTok account$/);
  });

  it('the seventh init within a minute is rate_limited for the minute', async () => {
    const fake = await tiktok();
    const publisher = adapter();
    for (let i = 0; i < 6; i++) await publisher.publishSegment(segment(fake, `post ${i}`));
    const err = await rejection(publisher.publishSegment(segment(fake, 'one too many')));
    expect(err.kind).toBe('rate_limited');
    expect(err.details).toMatchObject({ status: 429, platformCode: 'rate_limit_exceeded', retryAfterMs: 60_000 });
  });

  it('the daily cap is rate_limited for an hour', async () => {
    const fake = await tiktok({ dailyCapReached: true });
    const err = await rejection(adapter().publishSegment(segment(fake, 'too many today')));
    expect(err).toMatchObject({ kind: 'rate_limited', details: { platformCode: 'spam_risk_too_many_posts', retryAfterMs: 3_600_000 } });
  });

  it('a 5xx on init is transient, known not to have posted; the retry posts once', async () => {
    const fake = await tiktok();
    fake.failNext('/v2/post/publish/video/init/', { status: 500 });
    const publisher = adapter();
    const request = segment(fake, 'again');
    expect((await rejection(publisher.publishSegment(request))).kind).toBe('transient');
    await expect(publisher.findPublished(request)).resolves.toBeNull();
    await publisher.publishSegment(request);
    expect(fake.posts).toHaveLength(1);
  });

  it("media TikTok cannot pull fails the post with the reason; an unverified URL is refused with TikTok's message", async () => {
    const fake = await tiktok();
    const missing = await rejection(adapter().publishSegment(segment(fake, 'gone', { media: video('/missing.mp4') })));
    expect(missing).toMatchObject({ kind: 'rejected', details: { platformCode: 'video_pull_failed' } });
    expect(missing.message).toMatch(/could not download the media \(video_pull_failed\)/);

    fake.configure({ verifiedUrlPrefixes: ['https://media.example.com/'] });
    const unverified = await rejection(adapter().publishSegment(segment(fake, 'elsewhere')));
    expect(unverified.kind).toBe('rejected');
    expect(unverified.message).toMatch(/^TikTok refused the post: To use a URL as the source, the ownership of the domain or URL prefix must be verified\. \(url_ownership_unverified, log_id \w+\); TikTok pulls media only from a domain or URL prefix verified for the app$/);
  });

  it('a lost init answer: another process finds the post among the account’s videos', async () => {
    const fake = await tiktok();
    fake.failNext('/v2/post/publish/video/init/', { dropAnswer: true });
    const request = segment(fake, 'did it post?');
    expect((await rejection(adapter().publishSegment(request))).kind).toBe('unknown_outcome');
    await fake.settled();
    const found = await new TiktokAdapter().findPublished(request);
    expect(found).toEqual({ post_id: fake.posts[0].postId, post_url: `https://www.tiktok.com/@postloom/video/${fake.posts[0].postId}`, ref: { post_id: fake.posts[0].postId } });
    await expect(new TiktokAdapter().findPublished(segment(fake, 'never posted'))).resolves.toBeNull();

    fake.configure({ scopes: ['video.publish'] });
    expect((await rejection(new TiktokAdapter().findPublished(segment(fake, 'no list scope')))).message).toMatch(/scope_not_authorized/);
  });

  it('a post still publishing at the deadline is unknown until its status says otherwise; it is never posted twice', async () => {
    const fake = await tiktok({ processingPolls: 1_000 });
    const publisher = adapter({ publishTimeoutMs: 40 });
    const request = segment(fake, 'slow moderation');
    const err = await rejection(publisher.publishSegment(request));
    expect(err.kind).toBe('unknown_outcome');
    expect(err.message).toContain(fake.posts[0].publishId);
    expect((await rejection(publisher.findPublished(request))).message).toMatch(/still publishing/);

    fake.configure({ processingPolls: 0 });
    const found = await publisher.findPublished(request);
    expect(found?.post_id).toBe(fake.posts[0].postId);
    await expect(publisher.publishSegment(request)).resolves.toEqual(found);
    expect(fake.posts).toHaveLength(1);
  });

  it('a retry after a status read failed follows the same post instead of starting another', async () => {
    const fake = await tiktok();
    fake.failNext('/v2/post/publish/status/fetch/', { status: 503 });
    const publisher = adapter();
    const request = segment(fake, 'follow me');
    expect((await rejection(publisher.publishSegment(request))).kind).toBe('unknown_outcome');
    const ref = await publisher.publishSegment(request);
    expect(ref.post_id).toBe(fake.posts[0].postId);
    expect(fake.posts).toHaveLength(1);
  });
});

describe('FakeTiktok refuses what TikTok refuses', () => {
  let fake: FakeTiktok;

  beforeEach(async () => {
    fake = await FakeTiktok.start();
  });

  afterEach(async () => {
    await fake.close();
  });

  const call = async (path: string, init: { token?: string | null; type?: string; body?: unknown } = {}) => {
    const token = init.token === undefined ? fake.token : init.token;
    const response = await fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': init.type ?? 'application/json; charset=UTF-8' },
      body: JSON.stringify(init.body ?? {}),
    });
    return { status: response.status, text: await response.text() };
  };

  it('needs a bearer token and a JSON content type', async () => {
    expect(await call('/v2/post/publish/creator_info/query/', { token: null })).toMatchObject({ status: 401, text: expect.stringContaining('"code":"access_token_invalid"') });
    expect(await call('/v2/post/publish/creator_info/query/', { type: 'text/plain' })).toMatchObject({ status: 400, text: expect.stringContaining('"code":"invalid_params"') });
    expect((await call('/v2/post/publish/creator_info/query/')).text).toContain('"code":"ok"');
  });

  it('init needs a privacy level the creator offers and a pulled source', async () => {
    const init = (body: unknown) => call('/v2/post/publish/video/init/', { body });
    expect((await init({ post_info: { title: 'x' }, source_info: { source: 'PULL_FROM_URL', video_url: 'https://v.example/x.mp4' } })).status).toBe(400);
    expect((await init({ post_info: { privacy_level: 'EVERYONE' }, source_info: { source: 'PULL_FROM_URL', video_url: 'https://v.example/x.mp4' } })).text).toContain('privacy_level_option_mismatch');
    expect((await init({ post_info: { privacy_level: 'SELF_ONLY' }, source_info: { source: 'FILE_UPLOAD' } })).status).toBe(400);
  });

  it('status of an unknown publish_id is refused', async () => {
    expect(await call('/v2/post/publish/status/fetch/', { body: { publish_id: 'v_pub_url~v2.unknown' } })).toMatchObject({ status: 400, text: expect.stringContaining('publish_id is invalid') });
  });
});
