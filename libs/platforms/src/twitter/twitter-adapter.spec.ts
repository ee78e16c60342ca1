import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { mediaAttachments, MediaInput } from '../media/attachments';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { comparableText } from './requests';
import { FakeTwitter } from './testing/fake-twitter';
import { TwitterAdapter } from './twitter-adapter';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(40, 7)]);

describe('TwitterAdapter against a fake X API', () => {
  let fake: FakeTwitter;
  let files: http.Server;
  let base: string;
  let seq = 0;

  const adapter = (options: ConstructorParameters<typeof TwitterAdapter>[0] = {}) => new TwitterAdapter({ pollIntervalMs: 5, timeoutMs: 5_000, chunkBytes: 16, ...options });
  const attach = (input: MediaInput) => mediaAttachments(input, { allowPrivateNetworks: true });

  beforeAll(async () => {
    const png = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#1d9bf0' } }).png().toBuffer();
    files = http.createServer((req, res) => {
      if (req.url?.endsWith('.png')) res.writeHead(200).end(png);
      else if (req.url?.endsWith('.mp4')) res.writeHead(200).end(MP4);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });

  beforeEach(async () => {
    fake = await FakeTwitter.start({ processingPolls: 1 });
  });

  afterEach(async () => {
    await fake.close();
  });

  afterAll(async () => {
    await new Promise((resolve) => files.close(resolve));
  });

  function account(overrides: Partial<PlatformAccount> = {}): PlatformAccount {
    return { id: 'acc_x', platform: 'twitter', name: 'poster', credentials: { access_token: fake.accessToken }, base_url: fake.url, ...overrides };
  }

  function segment(text: string, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
    seq++;
    return { account: account(), text, media: [], index: 0, total: 1, idempotencyKey: `pub_${seq}:twitter:0`, requestedAt: new Date().toISOString(), settings: {}, ...overrides };
  }

  it('publishes a thread: an image with alt text, replies chained, a chunked video processed before posting', async () => {
    const publisher = adapter();
    const texts = ['Launch day 🧵 https://example.com/launch', 'It is fast & small', 'Watch it run'];
    const media = [attach({ images: [{ url: `${base}/shot.png`, alt_text: 'A blue screenshot of the dashboard' }] }), [], attach({ video: { url: `${base}/demo.mp4` } })];
    const refs: SegmentRef[] = [];
    for (let index = 0; index < 3; index++) {
      refs.push(
        await publisher.publishSegment({ ...segment(texts[index]), media: media[index], settings: { who_can_reply: 'following' }, index, total: 3, root: index > 0 ? refs[0] : undefined, parent: index > 0 ? refs[index - 1] : undefined }),
      );
    }

    expect(fake.tweets.map((t) => t.text)).toEqual(texts);
    expect(fake.tweets.map((t) => t.inReplyTo)).toEqual([undefined, refs[0].post_id, refs[1].post_id]);
    expect(fake.tweets.map((t) => t.replySettings)).toEqual(['following', 'following', 'following']);
    expect(fake.tweets[0].media).toEqual([{ id: expect.any(String), mime: 'image/png', category: 'tweet_image', altText: 'A blue screenshot of the dashboard' }]);
    expect(fake.tweets[2].media).toEqual([{ id: expect.any(String), mime: 'video/mp4', category: 'tweet_video' }]);
    // 52 bytes in 16-byte chunks, then one in_progress status read before succeeded.
    expect(fake.requestsTo(`POST /2/media/upload/${fake.tweets[2].media[0].id}/append`)).toBe(4);
    expect(fake.requestsTo('GET /2/media/upload')).toBe(2);
    expect(refs[0]).toEqual({ post_id: fake.tweets[0].id, post_url: `https://x.com/i/web/status/${fake.tweets[0].id}`, ref: { id: fake.tweets[0].id } });
  });

  it('who_can_reply everyone sends no reply_settings', async () => {
    await adapter().publishSegment(segment('open to all', { settings: { who_can_reply: 'everyone' } }));
    expect(fake.tweets[0].replySettings).toBeUndefined();
  });

  it('counts text as X does and refuses over 280 before any request', async () => {
    const withLink = `${'a'.repeat(250)} https://example.com/${'p'.repeat(100)}`;
    await adapter().publishSegment(segment(withLink));
    expect(fake.tweets).toHaveLength(1);
    const before = fake.requests.length;
    const err = await rejection(adapter().publishSegment(segment('漢'.repeat(141))));
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/text is 282 characters as X counts them .* X takes at most 280/);
    expect(fake.requests.length).toBe(before);
  });

  it('a revoked token is auth', async () => {
    const err = await rejection(adapter().publishSegment(segment('hello', { account: account({ credentials: { access_token: 'revoked' } }) })));
    expect(err.kind).toBe('auth');
    expect(err.message).toBe("X (Twitter) refused the account's credentials (Unauthorized): reconnect your X (Twitter) account");
  });

  it('429 is rate_limited until x-rate-limit-reset, or the 24-hour reset when that cap is used up', async () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const epoch = (ms: number) => String(Math.floor(ms / 1000));
    fake.failNext('POST /2/tweets', { status: 429, headers: { 'x-rate-limit-limit': '100', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': epoch(now + 300_000) } });
    const window = await rejection(adapter({ now: () => now }).publishSegment(segment('busy')));
    expect(window).toMatchObject({ kind: 'rate_limited', details: { retryAfterMs: 300_000 } });

    fake.failNext('POST /2/tweets', { status: 429, headers: { 'x-rate-limit-remaining': '50', 'x-rate-limit-reset': epoch(now + 60_000), 'x-user-limit-24hour-remaining': '0', 'x-user-limit-24hour-reset': epoch(now + 7_200_000) } });
    const daily = await rejection(adapter({ now: () => now }).publishSegment(segment('busy')));
    expect(daily.details.retryAfterMs).toBe(7_200_000);
  });

  it('a 503 is transient', async () => {
    fake.failNext('POST /2/tweets', { status: 503 });
    expect((await rejection(adapter().publishSegment(segment('hi')))).kind).toBe('transient');
  });

  it("passes on X's detail for refused content: a duplicate, a reply to a deleted post", async () => {
    await adapter().publishSegment(segment('same words'));
    const duplicate = await rejection(adapter().publishSegment(segment('same words')));
    expect(duplicate).toMatchObject({ kind: 'rejected', message: 'X (Twitter) refused the post: You are not allowed to create a Tweet with duplicate content.' });
    const gone = { post_id: '1', post_url: 'u', ref: { id: '1' } };
    const reply = await rejection(adapter().publishSegment(segment('reply', { index: 1, total: 2, root: gone, parent: gone })));
    expect(reply.message).toBe('X (Twitter) refused the post: You attempted to reply to a Tweet that is deleted or not visible to you.');
  });

  it('a lost answer on an upload is transient; on the post itself unknown, and findPublished then finds it', async () => {
    fake.failNext('POST /2/media/upload', { drop: 'before' });
    const upload = await rejection(adapter().publishSegment(segment('pic', { media: attach({ images: [{ url: `${base}/a.png` }] }) })));
    expect(upload.kind).toBe('transient');

    const requestedAt = new Date(Date.now() - 1_000).toISOString();
    const request = segment('Q&A <live> at https://example.com/qa', { requestedAt, media: attach({ images: [{ url: `${base}/a.png` }] }) });
    fake.failNext('POST /2/tweets', { drop: 'after' });
    const lost = await rejection(adapter().publishSegment(request));
    expect(lost.kind).toBe('unknown_outcome');
    expect(fake.tweets).toHaveLength(1);
    expect(await adapter().findPublished(request)).toEqual({ post_id: fake.tweets[0].id, post_url: `https://x.com/i/web/status/${fake.tweets[0].id}`, ref: { id: fake.tweets[0].id } });
    expect(await adapter().findPublished({ ...request, text: 'never posted' })).toBeNull();
  });

  it('findPublished matches a reply only under its parent', async () => {
    const requestedAt = new Date(Date.now() - 1_000).toISOString();
    const root = await adapter().publishSegment(segment('root post', { requestedAt }));
    const second = { ...segment('the reply', { requestedAt }), index: 1, total: 2, root, parent: root };
    const reply = await adapter().publishSegment(second);
    expect(await adapter().findPublished(second)).toEqual(reply);
    expect(await adapter().findPublished({ ...second, parent: { post_id: '42', post_url: 'u', ref: { id: '42' } } })).toBeNull();
  });

  it('comparableText survives X rewriting entities, links and media links', () => {
    expect(comparableText('Q&amp;A &lt;live&gt; at https://t.co/abc https://t.co/media', true)).toBe(comparableText('Q&A <live> at https://example.com/qa', false));
    expect(comparableText('@alice @bob thanks', true)).toBe('thanks');
  });
});

describe('FakeTwitter refuses what X refuses', () => {
  let fake: FakeTwitter;

  beforeEach(async () => {
    fake = await FakeTwitter.start();
  });

  afterEach(async () => {
    await fake.close();
  });

  async function post(path: string, body: unknown, token: string | null = fake.accessToken) {
    const response = await fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  it('no bearer, unknown media ids, unprocessed media, unknown reply_settings', async () => {
    expect(await post('/2/tweets', { text: 'hi' }, null)).toEqual({ status: 401, body: { title: 'Unauthorized', detail: 'Unauthorized', type: 'about:blank', status: 401 } });
    expect((await post('/2/tweets', { text: 'hi', media: { media_ids: ['123'] } })).body.errors).toEqual([{ message: 'Your media IDs are invalid.' }]);
    const init = await post('/2/media/upload/initialize', { media_type: 'video/mp4', total_bytes: 10, media_category: 'tweet_video' });
    expect((await post('/2/tweets', { text: 'hi', media: { media_ids: [init.body.data.id] } })).status).toBe(400);
    expect((await post('/2/tweets', { text: 'hi', reply_settings: 'nobody' })).status).toBe(400);
    expect(fake.tweets).toEqual([]);
  });
});
