import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { mediaAttachments, MediaInput } from '../media/attachments';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { LinkedInAdapter } from './linkedin-adapter';
import { LINKEDIN_VERSION, littleText } from './rules';
import { FakeLinkedIn, renderLittleText } from './testing/fake-linkedin';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(30, 3)]);

describe('LinkedInAdapter against a fake LinkedIn API', () => {
  let fake: FakeLinkedIn;
  let files: http.Server;
  let base: string;
  let seq = 0;

  const adapter = (options: ConstructorParameters<typeof LinkedInAdapter>[0] = {}) => new LinkedInAdapter({ pollIntervalMs: 5, timeoutMs: 5_000, ...options });
  const attach = (input: MediaInput) => mediaAttachments(input, { allowPrivateNetworks: true });

  beforeAll(async () => {
    const png = await sharp({ create: { width: 1200, height: 627, channels: 3, background: '#0a66c2' } }).png().toBuffer();
    files = http.createServer((req, res) => {
      if (req.url?.endsWith('.png')) res.writeHead(200).end(png);
      else if (req.url?.endsWith('.mp4')) res.writeHead(200).end(MP4);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });

  beforeEach(async () => {
    fake = await FakeLinkedIn.start({ processingPolls: 1, videoPartBytes: 16 });
  });

  afterEach(async () => {
    await fake.close();
  });

  afterAll(async () => {
    await new Promise((resolve) => files.close(resolve));
  });

  function account(overrides: Partial<PlatformAccount> = {}): PlatformAccount {
    return { id: 'acc_li', platform: 'linkedin', name: 'me', credentials: { access_token: fake.accessToken, author_urn: fake.author }, base_url: fake.url, ...overrides };
  }

  function segment(text: string, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
    seq++;
    return { account: account(), text, media: [], index: 0, total: 1, idempotencyKey: `pub_${seq}:linkedin:0`, requestedAt: new Date().toISOString(), settings: {}, ...overrides };
  }

  it('publishes a thread: a post with an image and alt text, its commentary escaped, then comments on it', async () => {
    const publisher = adapter();
    const texts = ['Q3 results (audited) are in: revenue up [12%] *again* #growth', 'Details @ https://example.com/q3_report', 'Thanks <3 ~ the team'];
    const refs: SegmentRef[] = [];
    for (let index = 0; index < 3; index++) {
      refs.push(
        await publisher.publishSegment({
          ...segment(texts[index]),
          media: index === 0 ? attach({ images: [{ url: `${base}/chart.png`, alt_text: 'Bar chart of revenue by quarter' }] }) : [],
          index,
          total: 3,
          root: index > 0 ? refs[0] : undefined,
          parent: index > 0 ? refs[index - 1] : undefined,
        }),
      );
    }

    const [post] = fake.posts;
    expect(post.commentary).toBe('Q3 results \\(audited\\) are in: revenue up \\[12%\\] \\*again\\* #growth');
    // What members see: the whole text, the hashtag live.
    expect(post.text).toBe(texts[0]);
    expect(post.hashtags).toEqual(['growth']);
    const [image] = [...fake.assets.values()];
    expect(post.content).toEqual({ media: { id: image.urn, altText: 'Bar chart of revenue by quarter' } });
    expect(image).toMatchObject({ kind: 'image', mime: 'image/png', status: 'AVAILABLE' });
    expect(refs[0]).toEqual({ post_id: post.urn, post_url: `https://www.linkedin.com/feed/update/${post.urn}`, ref: { urn: post.urn } });

    // Comments are plain text: nothing escaped.
    const comments = fake.commentsOn(post.urn);
    expect(comments.map((c) => c.text)).toEqual(texts.slice(1));
    expect(comments.every((c) => c.actor === fake.author)).toBe(true);
    expect(refs[1]).toEqual({ post_id: comments[0].commentUrn, post_url: `https://www.linkedin.com/feed/update/${post.urn}?commentUrn=${encodeURIComponent(comments[0].commentUrn)}`, ref: { urn: comments[0].commentUrn } });

    const postCall = fake.requestsTo('POST /rest/posts')[0];
    expect(postCall.headers).toMatchObject({ authorization: `Bearer ${fake.accessToken}`, 'linkedin-version': LINKEDIN_VERSION, 'x-restli-protocol-version': '2.0.0' });
    expect(postCall.body).toMatchObject({ author: fake.author, visibility: 'PUBLIC', distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] }, lifecycleState: 'PUBLISHED', isReshareDisabledByAuthor: false });
    expect(fake.requestsTo(`POST /rest/socialActions/${encodeURIComponent(post.urn)}/comments`)).toHaveLength(2);
  });

  it('unescaped, the commentary would be cut short at the first reserved character', () => {
    expect(renderLittleText('Q3 results (audited) are in').text).toBe('Q3 results ');
    expect(renderLittleText(littleText('a \\ | { } @ [ ] ( ) < > # * _ ~ b')).text).toBe('a \\ | { } @ [ ] ( ) < > # * _ ~ b');
    expect(littleText('#launch day, issue #42 and C#')).toBe('#launch day, issue #42 and C\\#');
  });

  it('several images make a multiImage post; a video is uploaded in parts and finalized; visibility is honoured', async () => {
    await adapter().publishSegment(segment('Two slides', { media: attach({ images: [{ url: `${base}/a.png`, alt_text: 'first' }, { url: `${base}/b.png` }] }), settings: { visibility: 'CONNECTIONS' } }));
    const images = [...fake.assets.values()];
    expect(fake.posts[0]).toMatchObject({ visibility: 'CONNECTIONS', content: { multiImage: { images: [{ id: images[0].urn, altText: 'first' }, { id: images[1].urn }] } } });

    await adapter().publishSegment(segment('A short clip', { media: attach({ video: { url: `${base}/clip.mp4` } }) }));
    const video = [...fake.assets.values()].find((a) => a.kind === 'video')!;
    expect(video.parts).toHaveLength(3);
    expect(fake.requestsTo('POST /rest/videos')[1].body).toEqual({ finalizeUploadRequest: { video: video.urn, uploadToken: '', uploadedPartIds: video.parts.map((p) => p.etag) } });
    expect(fake.posts[1].content).toEqual({ media: { id: video.urn } });
  });

  it('refuses over-limit text and a video comment before any request', async () => {
    const long = await rejection(adapter().publishSegment(segment('l'.repeat(3001))));
    expect(long).toMatchObject({ kind: 'rejected', message: expect.stringMatching(/text is 3001 characters; LinkedIn takes at most 3000/) });
    const root = { post_id: 'urn:li:share:1', post_url: 'u', ref: { urn: 'urn:li:share:1' } };
    const clip = await rejection(adapter().publishSegment(segment('clip', { index: 1, total: 2, root, parent: root, media: attach({ video: { url: `${base}/clip.mp4` } }) })));
    expect(clip.message).toMatch(/a LinkedIn comment takes one image at most/);
    expect(fake.requests).toEqual([]);
  });

  it('a revoked token is auth; a missing permission too', async () => {
    const revoked = await rejection(adapter().publishSegment(segment('hi', { account: account({ credentials: { access_token: 'revoked', author_urn: fake.author } }) })));
    expect(revoked).toMatchObject({ kind: 'auth', message: "LinkedIn refused the account's credentials (Invalid access token): reconnect your LinkedIn account" });
    const other = await rejection(adapter().publishSegment(segment('hi', { account: account({ credentials: { access_token: fake.accessToken, author_urn: 'urn:li:organization:1' } }) })));
    expect(other.kind).toBe('auth');
    expect(other.message).toMatch(/Not enough permissions to post as urn:li:organization:1.*granting the permissions/);
  });

  it('429 is rate_limited, until Retry-After or else the next midnight UTC; 5xx is transient', async () => {
    const now = Date.parse('2026-03-01T22:30:00Z');
    fake.failNext('POST /rest/posts', { status: 429, body: { status: 429, message: 'Resource level throttle APPLICATION DAY limit for calls to this resource is reached.' } });
    const daily = await rejection(adapter({ now: () => now }).publishSegment(segment('busy')));
    expect(daily).toMatchObject({ kind: 'rate_limited', details: { retryAfterMs: 90 * 60_000 } });
    fake.failNext('POST /rest/posts', { status: 429, headers: { 'retry-after': '30' } });
    expect((await rejection(adapter({ now: () => now }).publishSegment(segment('busy')))).details.retryAfterMs).toBe(30_000);
    fake.failNext('POST /rest/posts', { status: 504 });
    expect((await rejection(adapter().publishSegment(segment('busy')))).kind).toBe('transient');
  });

  it("passes on LinkedIn's message: a duplicate post, an inactive version", async () => {
    await adapter().publishSegment(segment('Once only'));
    const duplicate = await rejection(adapter().publishSegment(segment('Once only')));
    expect(duplicate).toMatchObject({ kind: 'rejected', message: `LinkedIn refused the post: Content is a duplicate of ${fake.posts[0].urn}`, details: { platformCode: 'DUPLICATE_POST' } });
    const stale = await rejection(adapter({ version: '202510' }).publishSegment(segment('old version')));
    expect(stale).toMatchObject({ kind: 'rejected', message: 'LinkedIn refused the post: Requested version 202510 is not active', details: { status: 426 } });
  });

  it('a lost answer on an upload is transient; on the post unknown, and findPublished finds it', async () => {
    fake.failNext('POST /rest/images', { drop: 'before' });
    expect((await rejection(adapter().publishSegment(segment('pic', { media: attach({ images: [{ url: `${base}/a.png` }] }) })))).kind).toBe('transient');

    const requestedAt = new Date(Date.now() - 1_000).toISOString();
    const request = segment('Did this (really) go out?', { requestedAt });
    fake.failNext('POST /rest/posts', { drop: 'after' });
    expect((await rejection(adapter().publishSegment(request))).kind).toBe('unknown_outcome');
    expect(await adapter().findPublished(request)).toEqual({ post_id: fake.posts[0].urn, post_url: `https://www.linkedin.com/feed/update/${fake.posts[0].urn}`, ref: { urn: fake.posts[0].urn } });
    expect(await adapter().findPublished({ ...request, text: 'never posted' })).toBeNull();
    expect(fake.requestsTo('GET /rest/posts')[0].headers['x-restli-method']).toBe('FINDER');
  });

  it('findPublished finds a comment of the author on the post', async () => {
    const requestedAt = new Date(Date.now() - 1_000).toISOString();
    const root = await adapter().publishSegment(segment('root', { requestedAt }));
    const second = { ...segment('a comment (with parentheses)', { requestedAt }), index: 1, total: 2, root, parent: root };
    const comment = await adapter().publishSegment(second);
    expect(await adapter().findPublished(second)).toEqual(comment);
    expect(await adapter().findPublished({ ...second, text: 'not said' })).toBeNull();
  });
});

describe('FakeLinkedIn refuses what LinkedIn refuses', () => {
  let fake: FakeLinkedIn;

  beforeEach(async () => {
    fake = await FakeLinkedIn.start({ now: () => new Date('2026-11-23T00:00:00Z') });
  });

  afterEach(async () => {
    await fake.close();
  });

  async function post(headers: Record<string, string>) {
    const response = await fetch(`${fake.url}/rest/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ author: fake.author, commentary: 'hi', visibility: 'PUBLIC', distribution: { feedDistribution: 'MAIN_FEED' }, lifecycleState: 'PUBLISHED' }),
    });
    return { status: response.status, body: response.status === 201 ? undefined : ((await response.json()) as Record<string, unknown>) };
  }

  it('a missing or sunset LinkedIn-Version, a missing Rest.li protocol version, a wrong token', async () => {
    const auth = { authorization: `Bearer ${fake.accessToken}` };
    expect(await post({ ...auth, 'x-restli-protocol-version': '2.0.0' })).toMatchObject({ status: 400, body: { code: 'VERSION_MISSING' } });
    expect(await post({ ...auth, 'linkedin-version': '202510', 'x-restli-protocol-version': '2.0.0' })).toEqual({ status: 426, body: { status: 426, code: 'NONEXISTENT_VERSION', message: 'Requested version 202510 is not active' } });
    expect((await post({ ...auth, 'linkedin-version': '202607' })).status).toBe(400);
    expect((await post({ authorization: 'Bearer nope', 'linkedin-version': '202607', 'x-restli-protocol-version': '2.0.0' })).status).toBe(401);
    expect((await post({ ...auth, 'linkedin-version': '202607', 'x-restli-protocol-version': '2.0.0' })).status).toBe(201);
    expect(fake.posts).toHaveLength(1);
  });
});
