import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { mediaAttachments } from '../media/attachments';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { untilQuotaReset } from './requests';
import { CHANNEL_ID, FakeYoutube, FakeYoutubeOptions } from './testing/fake-youtube';
import { YoutubeAdapter } from './youtube-adapter';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

// An MP4 (ftyp box first, as the sniffer wants it) big enough to be cut in the middle.
const CLIP = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(12), Buffer.alloc(300_000, 7)]);

describe('YoutubeAdapter against a fake Data API', () => {
  const fakes: FakeYoutube[] = [];
  let media: http.Server;
  let mediaBase: string;
  let seq = 0;

  const adapter = (options: ConstructorParameters<typeof YoutubeAdapter>[0] = {}) => new YoutubeAdapter({ pollIntervalMs: 5, timeoutMs: 2_000, uploadTimeoutMs: 5_000, ...options });

  async function youtube(options: FakeYoutubeOptions = {}): Promise<FakeYoutube> {
    const fake = await FakeYoutube.start(options);
    fakes.push(fake);
    return fake;
  }

  beforeAll(async () => {
    media = http.createServer((req, res) => {
      if (req.url === '/clip.mp4') res.writeHead(200, { 'content-type': 'video/mp4' }).end(CLIP);
      else if (req.url === '/still.png') res.writeHead(200).end(Buffer.from('89504e470d0a1a0a0000', 'hex'));
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

  const accountOf = (fake: FakeYoutube, token = fake.token): PlatformAccount => ({ id: 'acc_yt', platform: 'youtube', name: 'channel', credentials: { access_token: token }, base_url: fake.url });
  const clip = () => mediaAttachments({ video: { url: `${mediaBase}/clip.mp4` } }, { allowPrivateNetworks: true });
  const settings = { title: 'Release 2.0 walkthrough', privacy: 'unlisted', made_for_kids: false, tags: ['release', 'release notes'] };

  function segment(fake: FakeYoutube, text: string, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
    seq++;
    return { account: accountOf(fake), text, media: clip(), index: 0, total: 1, idempotencyKey: `pub_${seq}:youtube:0`, requestedAt: new Date().toISOString(), settings, ...overrides };
  }

  it('publishes a thread: the video by resumable upload, then a comment, then a reply under it', async () => {
    const fake = await youtube();
    const publisher = adapter();
    const texts = ['Everything new in 2.0, in ten minutes.', 'Chapters: 0:00 intro, 2:10 builds', 'Questions? Ask below'];
    const refs: SegmentRef[] = [];
    for (const [index, text] of texts.entries()) {
      refs.push(await publisher.publishSegment(segment(fake, text, { media: index === 0 ? clip() : [], index, total: 3, idempotencyKey: `pub_t:youtube:${index}`, root: refs[0], parent: refs[index - 1] })));
    }

    expect(fake.videos).toHaveLength(1);
    const [video] = fake.videos;
    expect(video).toMatchObject({ title: 'Release 2.0 walkthrough', description: texts[0], tags: ['release', 'release notes'], privacyStatus: 'unlisted', madeForKids: false, mime: 'video/mp4' });
    expect(video.bytes.equals(CLIP)).toBe(true);
    const [comment, reply] = fake.comments;
    expect(comment).toMatchObject({ videoId: video.id, text: texts[1] });
    expect(comment.parentId).toBeUndefined();
    expect(reply).toMatchObject({ videoId: video.id, text: texts[2], parentId: comment.id });

    // The channel comes back in the upload's answer and is kept for the comment thread (snippet.channelId).
    expect(refs[0]).toEqual({ post_id: video.id, post_url: `https://www.youtube.com/watch?v=${video.id}`, ref: { video_id: video.id, channel_id: CHANNEL_ID } });
    expect(refs[1]).toEqual({ post_id: comment.id, post_url: `https://www.youtube.com/watch?v=${video.id}&lc=${comment.id}`, ref: { video_id: video.id, comment_id: comment.id, thread_comment_id: comment.id } });
    expect(refs[2].ref).toEqual({ video_id: video.id, comment_id: reply.id, thread_comment_id: comment.id });
    // One session, one PUT with all the bytes.
    expect(fake.requests.filter((r) => r.startsWith('POST /upload'))).toHaveLength(1);
    expect(fake.requests.filter((r) => r.startsWith('PUT /upload'))).toEqual(['PUT /upload/youtube/v3/videos']);
  });

  it('privacy defaults to public', async () => {
    const fake = await youtube();
    await adapter().publishSegment(segment(fake, 'defaults', { settings: { title: 'Defaults' } }));
    expect(fake.videos[0]).toMatchObject({ privacyStatus: 'public', madeForKids: false, tags: [] });
  });

  it('a connection cut mid-upload: asks where the upload stands and sends the rest', async () => {
    const fake = await youtube({ dropUploadAfterBytes: 100_000 });
    const ref = await adapter().publishSegment(segment(fake, 'resumed'));
    expect(fake.videos[0].bytes.equals(CLIP)).toBe(true);
    expect(ref.post_id).toBe(fake.videos[0].id);
    const puts = fake.requests.filter((r) => r.startsWith('PUT'));
    expect(puts).toEqual(['PUT /upload/youtube/v3/videos', `PUT /upload/youtube/v3/videos bytes */${CLIP.length}`, `PUT /upload/youtube/v3/videos bytes 100000-${CLIP.length - 1}/${CLIP.length}`]);
  });

  it('308 Resume Incomplete: resumes from the Range YouTube reports until the video is complete', async () => {
    const fake = await youtube({ maxBytesPerPut: 120_000 });
    await adapter().publishSegment(segment(fake, 'in pieces'));
    expect(fake.videos[0].bytes.equals(CLIP)).toBe(true);
    expect(fake.requests.filter((r) => / bytes \d+-/.test(r))).toEqual([`PUT /upload/youtube/v3/videos bytes 120000-${CLIP.length - 1}/${CLIP.length}`, `PUT /upload/youtube/v3/videos bytes 240000-${CLIP.length - 1}/${CLIP.length}`]);
  });

  it('an upload interrupted beyond this attempt resumes the same session on the next one', async () => {
    const fake = await youtube({ dropUploadAfterBytes: 50_000 });
    const publisher = adapter({ maxResumes: 0 });
    const request = segment(fake, 'patience');
    const first = await rejection(publisher.publishSegment(request));
    expect(first.kind).toBe('transient');
    await expect(publisher.findPublished(request)).resolves.toBeNull();
    await publisher.publishSegment(request);
    expect(fake.videos).toHaveLength(1);
    expect(fake.videos[0].bytes.equals(CLIP)).toBe(true);
    expect(fake.requests.filter((r) => r.startsWith('POST /upload'))).toHaveLength(1);
  });

  it('a lost answer to the last PUT: the upload status says the video exists', async () => {
    const fake = await youtube();
    fake.failNext(/^PUT \/upload/, { dropAnswer: true });
    const ref = await adapter().publishSegment(segment(fake, 'answer lost'));
    expect(fake.videos).toHaveLength(1);
    expect(ref.post_id).toBe(fake.videos[0].id);
  });

  it('refuses before any request: no title, no video, angle brackets, a description over 5,000 bytes', async () => {
    const fake = await youtube();
    const noTitle = await rejection(adapter().publishSegment(segment(fake, 'untitled', { settings: {} })));
    expect(noTitle.message).toMatch(/YouTube needs a title: set platform_settings.youtube.title/);
    const image = mediaAttachments({ images: [{ url: `${mediaBase}/still.png` }] }, { allowPrivateNetworks: true });
    expect((await rejection(adapter().publishSegment(segment(fake, 'a picture', { media: image })))).message).toMatch(/exactly one video and nothing else; this has 0 videos and 1 image/);
    expect((await rejection(adapter().publishSegment(segment(fake, 'a -> b')))).message).toMatch(/descriptions cannot contain < or >/);
    expect((await rejection(adapter().publishSegment(segment(fake, 'x', { settings: { title: '<b>bold</b>' } })))).message).toMatch(/titles cannot contain < or >/);
    const long = await rejection(adapter().publishSegment(segment(fake, 'é'.repeat(2501))));
    expect(long.kind).toBe('rejected');
    expect(long.message).toMatch(/description is 5002 bytes \(UTF-8\); YouTube takes at most 5000/);
    expect(fake.requests).toEqual([]);

    const check = adapter().check({ text: 'for kids', media: clip(), index: 0, total: 2, settings: { title: 'Kids', made_for_kids: true } });
    expect(check).toEqual(["made-for-kids videos have comments turned off, so this thread's replies cannot be posted as comments"]);
    expect(adapter().check({ text: 'a comment with a picture', media: image, index: 1, total: 2, settings: {} })).toEqual(['segment 2 is a comment on the video, and YouTube comments take no images or videos']);
  });

  it('a revoked token is auth', async () => {
    const fake = await youtube();
    const err = await rejection(adapter().publishSegment({ ...segment(fake, 'hello'), account: accountOf(fake, 'ya29.revoked') }));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/^YouTube refused the account's credentials \(Request had invalid authentication credentials.* \(authError\)\): reconnect your YouTube account$/);
  });

  it('a token without the comment scope is auth, naming the scopes', async () => {
    const fake = await youtube({ scopes: ['youtube.upload'] });
    const video = await adapter().publishSegment(segment(fake, 'video'));
    const err = await rejection(adapter().publishSegment(segment(fake, 'comment', { media: [], index: 1, total: 2, root: video, parent: video })));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/insufficientPermissions.*youtube.force-ssl/);
  });

  it('the daily quota is rate_limited until midnight Pacific Time', async () => {
    const fake = await youtube({ quotaExhausted: true });
    const now = Date.parse('2026-03-01T12:00:00Z');
    const err = await rejection(adapter({ now: () => now }).publishSegment(segment(fake, 'over quota')));
    expect(err.kind).toBe('rate_limited');
    // 04:00 in Los Angeles (UTC-8): twenty hours to go.
    expect(err.details.retryAfterMs).toBe(20 * 3_600_000);
    expect(untilQuotaReset(Date.parse('2026-07-01T06:59:59Z'))).toBe(1_000);
  });

  it('a 5xx is transient; uploadLimitExceeded and disabled comments are refused with YouTube’s message', async () => {
    const fake = await youtube();
    fake.failNext(/^POST \/upload/, { status: 503 });
    expect((await rejection(adapter().publishSegment(segment(fake, 'busy')))).kind).toBe('transient');

    fake.configure({ uploadLimitReached: true });
    const limit = await rejection(adapter().publishSegment(segment(fake, 'one too many')));
    expect(limit).toMatchObject({ kind: 'rejected', message: 'YouTube refused the post: The user has exceeded the number of videos they may upload. (uploadLimitExceeded)' });

    fake.configure({ uploadLimitReached: false });
    const kids = await adapter().publishSegment(segment(fake, 'for kids', { settings: { title: 'Kids', made_for_kids: true } }));
    const comment = await rejection(adapter().publishSegment(segment(fake, 'hello', { media: [], index: 1, total: 2, root: kids, parent: kids, settings: { title: 'Kids', made_for_kids: true } })));
    expect(comment).toMatchObject({ kind: 'rejected', message: 'YouTube refused the post: The video identified by the videoId parameter has disabled comments. (commentsDisabled)' });
  });

  it('findPublished without memory: finds the video among the uploads and the comment under the video', async () => {
    const fake = await youtube();
    const video = await adapter().publishSegment(segment(fake, 'look me up'));
    await expect(new YoutubeAdapter().findPublished(segment(fake, 'look me up'))).resolves.toEqual(video);
    await expect(new YoutubeAdapter().findPublished(segment(fake, 'never uploaded'))).resolves.toBeNull();

    fake.failNext(/^POST \/youtube\/v3\/commentThreads/, { dropAnswer: true });
    const request = segment(fake, 'first comment', { media: [], index: 1, total: 3, root: video, parent: video });
    expect((await rejection(adapter().publishSegment(request))).kind).toBe('unknown_outcome');
    const found = await new YoutubeAdapter().findPublished(request);
    expect(found).toMatchObject({ post_id: fake.comments[0].id, ref: { thread_comment_id: fake.comments[0].id } });

    const reply = segment(fake, 'a reply', { media: [], index: 2, total: 3, root: video, parent: found! });
    await expect(new YoutubeAdapter().findPublished(reply)).resolves.toBeNull();
  });
  it('comment threads name the channel: YouTube refuses one without snippet.channelId, and a thread recorded without it looks the channel up', async () => {
    const fake = await youtube();
    const refused = await fetch(`${fake.url}/youtube/v3/commentThreads?part=snippet`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ snippet: { videoId: 'abc', topLevelComment: { snippet: { textOriginal: 'hi' } } } }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { errors: [{ reason: 'channelOrVideoIdMissing' }] } });

    const video = await adapter().publishSegment(segment(fake, 'resumed thread'));
    // A root recorded before the channel was kept: only the video id.
    const root = { post_id: video.post_id, post_url: video.post_url, ref: { video_id: video.post_id } };
    const comment = await adapter().publishSegment(segment(fake, 'first comment', { index: 1, total: 2, media: [], root, parent: root }));
    expect(comment.ref).toMatchObject({ video_id: video.post_id });
  });
});

describe('FakeYoutube refuses what YouTube refuses', () => {
  let fake: FakeYoutube;

  beforeEach(async () => {
    fake = await FakeYoutube.start();
  });

  afterEach(async () => {
    await fake.close();
  });

  const start = (headers: Record<string, string>, body: unknown = { snippet: { title: 'ok' }, status: { privacyStatus: 'public' } }, query = 'uploadType=resumable&part=snippet,status') =>
    fetch(`${fake.url}/upload/youtube/v3/videos?${query}`, { method: 'POST', headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json; charset=UTF-8', ...headers }, body: JSON.stringify(body) });
  const reason = async (response: Response) => ((await response.json()) as { error: { errors: Array<{ reason: string }> } }).error.errors[0].reason;

  it('a resumable session needs the upload headers, a title, and the resumable upload type', async () => {
    const upload = { 'x-upload-content-length': '1000', 'x-upload-content-type': 'video/mp4' };
    expect(await reason(await start({}))).toBe('badRequest');
    expect(await reason(await start({ ...upload, 'x-upload-content-type': 'image/png' }))).toBe('invalidContentType');
    expect(await reason(await start(upload, { snippet: { title: '' } }))).toBe('invalidTitle');
    expect((await start(upload, undefined, 'uploadType=multipart&part=snippet,status')).status).toBe(400);
    const ok = await start(upload);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('location')).toMatch(/upload_id=/);
  });

  it('bytes must continue where the upload stands, and only a video completes it', async () => {
    const session = (await start({ 'x-upload-content-length': '16', 'x-upload-content-type': 'video/mp4' })).headers.get('location')!;
    const put = (body: Buffer, range?: string) => fetch(session, { method: 'PUT', headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'video/mp4', ...(range ? { 'content-range': range } : {}) }, body: new Uint8Array(body) });
    expect((await put(Buffer.alloc(8), 'bytes 4-11/16')).status).toBe(400);
    const partial = await put(Buffer.alloc(8), 'bytes 0-7/16');
    expect(partial.status).toBe(308);
    expect(partial.headers.get('range')).toBe('bytes=0-7');
    const done = await put(Buffer.alloc(8), 'bytes 8-15/16');
    expect(done.status).toBe(400);
    expect(await reason(done)).toBe('invalidVideo');
  });
});
