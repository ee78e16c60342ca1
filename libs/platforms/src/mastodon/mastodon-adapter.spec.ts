import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { mediaAttachments } from '../media';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { MastodonAdapter } from './mastodon-adapter';
import { statusLength } from './rules';
import { FakeMastodon } from './testing/fake-mastodon';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

describe('MastodonAdapter against a fake instance', () => {
  let fake: FakeMastodon;
  let images: http.Server;
  let imageBase: string;
  let seq = 0;
  const fakes: FakeMastodon[] = [];

  // Polls quickly: the fake finishes processing on the second poll.
  const adapter = () => new MastodonAdapter({ mediaPollIntervalMs: 10, timeoutMs: 5_000 });

  async function instance(options: Parameters<typeof FakeMastodon.start>[0] = {}): Promise<FakeMastodon> {
    const started = await FakeMastodon.start(options);
    fakes.push(started);
    return started;
  }

  beforeAll(async () => {
    const png = await sharp({ create: { width: 320, height: 180, channels: 3, background: '#2b90d9' } }).png().toBuffer();
    images = http.createServer((req, res) => {
      if (req.url === '/chart.png') res.writeHead(200).end(png);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  });

  beforeEach(async () => {
    fake = await instance();
  });

  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  });

  afterAll(async () => {
    await new Promise((resolve) => images.close(resolve));
  });

  function accountOf(server: FakeMastodon, overrides: Partial<PlatformAccount> = {}): PlatformAccount {
    return { id: 'acc_masto', platform: 'mastodon', name: 'alice', credentials: { access_token: server.accessToken }, base_url: server.url, ...overrides };
  }

  function segment(server: FakeMastodon, text: string, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
    seq++;
    return {
      account: accountOf(server),
      text,
      media: [],
      index: 0,
      total: 1,
      idempotencyKey: `pub_${seq}:mastodon:0`,
      requestedAt: '2026-03-01T12:00:00.000Z',
      settings: {},
      ...overrides,
    };
  }

  it('publishes a single post with its settings and Idempotency-Key', async () => {
    const request = segment(fake, 'Hello, fediverse!', { settings: { visibility: 'unlisted', spoiler_text: 'greeting', sensitive: true } });
    const ref = await adapter().publishSegment(request);

    expect(fake.statuses).toHaveLength(1);
    const [status] = fake.statuses;
    expect(status).toMatchObject({ text: 'Hello, fediverse!', visibility: 'unlisted', spoiler_text: 'greeting', sensitive: true, in_reply_to_id: null, idempotency_key: request.idempotencyKey });
    expect(ref).toEqual({ post_id: status.id, post_url: status.url, ref: { id: status.id } });
  });

  it('publishes a thread: an image with alt text (processed asynchronously), replies chained by in_reply_to_id', async () => {
    const publisher = adapter();
    const attachments = mediaAttachments({ images: [{ url: `${imageBase}/chart.png`, alt_text: 'A blue rectangle standing in for a chart' }] }, { allowPrivateNetworks: true });
    const texts = ['Our results are in 🧵 (1/3)', 'Details: https://example.com/report (2/3)', 'Thanks for reading (3/3)'];
    const refs: SegmentRef[] = [];
    for (let index = 0; index < texts.length; index++) {
      refs.push(
        await publisher.publishSegment({
          ...segment(fake, texts[index]),
          media: index === 0 ? attachments : [],
          index,
          total: 3,
          idempotencyKey: `pub_thread:mastodon:${index}`,
          root: index > 0 ? refs[0] : undefined,
          parent: index > 0 ? refs[index - 1] : undefined,
        }),
      );
    }

    expect(fake.statuses.map((s) => s.text)).toEqual(texts);
    expect(fake.statuses.map((s) => s.in_reply_to_id)).toEqual([null, refs[0].post_id, refs[1].post_id]);
    expect(fake.statuses[0].media).toEqual([{ id: expect.any(String), mime: 'image/png', description: 'A blue rectangle standing in for a chart' }]);
    expect(fake.statuses[1].media).toEqual([]);
    // 202 on upload, one 206 while processing, then 200: attached only once ready.
    expect(fake.requests.filter((r) => r.startsWith('GET /api/v1/media/'))).toHaveLength(2);
    expect(fake.requestsTo('GET /api/v2/instance')).toBe(1);
  });

  it('the same idempotencyKey twice makes one status', async () => {
    const request = segment(fake, 'Exactly once');
    const first = await adapter().publishSegment(request);
    const second = await adapter().publishSegment({ ...request });
    expect(second).toEqual(first);
    expect(fake.statuses).toHaveLength(1);
    expect(fake.requestsTo('POST /api/v1/statuses')).toBe(2);
  });

  it('reads the text limit from the instance: 700 characters fit on a 1000-character instance, not on a default one', async () => {
    const roomy = await instance({ maxCharacters: 1000 });
    const text = 'x'.repeat(700);
    await adapter().publishSegment(segment(roomy, text));
    expect(roomy.statuses.map((s) => s.text.length)).toEqual([700]);

    const err = await rejection(adapter().publishSegment(segment(fake, text)));
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/text is 700 characters .* this instance takes at most 500/);
    expect(fake.requests).toEqual(['GET /api/v2/instance']);
  });

  it('counts URLs as the instance does, so a long link fits', async () => {
    const link = `https://example.com/${'a'.repeat(80)}`;
    const text = `${'b'.repeat(470)} ${link}`;
    expect(statusLength(text, '', 23)).toBe(494);
    await adapter().publishSegment(segment(fake, text));
    expect(fake.statuses).toHaveLength(1);
  });

  it('refuses over-limit text before any request once the limits are known', async () => {
    const publisher = adapter();
    await publisher.publishSegment(segment(fake, 'warming the cache'));
    const before = fake.requests.length;
    const err = await rejection(publisher.publishSegment(segment(fake, 'y'.repeat(501))));
    expect(err.kind).toBe('rejected');
    const withWarning = await rejection(publisher.publishSegment(segment(fake, 'y'.repeat(495), { settings: { spoiler_text: 'a long warning' } })));
    expect(withWarning.message).toMatch(/with its content warning is 509 characters/);
    expect(fake.requests.length).toBe(before);
  });

  it('refuses a description over the instance limit before uploading', async () => {
    const strict = await instance({ descriptionLimit: 20 });
    const media = mediaAttachments({ images: [{ url: `${imageBase}/chart.png`, alt_text: 'far more than twenty characters of description' }] }, { allowPrivateNetworks: true });
    const err = await rejection(adapter().publishSegment(segment(strict, 'with a long alt text', { media })));
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/alt text of image 1 is longer than 20 characters/);
    expect(strict.requestsTo('POST /api/v2/media')).toBe(0);
  });

  it('a missing base_url is refused with a clear message', async () => {
    const err = await rejection(adapter().publishSegment(segment(fake, 'where to?', { account: accountOf(fake, { base_url: undefined }) })));
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/has no base_url/);
  });

  it('a bad token is an auth failure asking to reconnect', async () => {
    const err = await rejection(adapter().publishSegment(segment(fake, 'hello', { account: accountOf(fake, { credentials: { access_token: 'revoked' } }) })));
    expect(err.kind).toBe('auth');
    expect(err.message).toBe("Mastodon refused the account's credentials (The access token is invalid): reconnect your Mastodon account");
  });

  it('429 with X-RateLimit-Reset is rate_limited with retryAfterMs', async () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    fake.failNext('POST /api/v1/statuses', { status: 429, body: { error: 'Too many requests' }, headers: { 'X-RateLimit-Reset': '2026-03-01T12:04:30.000Z' } });
    const err = await rejection(new MastodonAdapter({ now: () => now }).publishSegment(segment(fake, 'slow down')));
    expect(err.kind).toBe('rate_limited');
    expect(err.details.retryAfterMs).toBe(270_000);
  });

  it('500 is transient, and the retry with the same key posts once', async () => {
    fake.failNext('POST /api/v1/statuses', { status: 500 });
    const request = segment(fake, 'second time lucky');
    const err = await rejection(adapter().publishSegment(request));
    expect(err.kind).toBe('transient');
    expect(err.retryable).toBe(true);
    await adapter().publishSegment(request);
    expect(fake.statuses).toHaveLength(1);
  });

  it('an answer lost after the instance posted is transient, and the retry returns the same status', async () => {
    fake.dropAnswerOnce('POST /api/v1/statuses');
    const request = segment(fake, 'did it go out?');
    const err = await rejection(adapter().publishSegment(request));
    expect(err.kind).toBe('transient');
    expect(err.message).toMatch(/outcome of Mastodon POST .*\/api\/v1\/statuses is unknown/);
    expect(fake.statuses).toHaveLength(1);
    const ref = await adapter().publishSegment(request);
    expect(ref.post_id).toBe(fake.statuses[0].id);
    expect(fake.statuses).toHaveLength(1);
  });

  it('a reply to a status the instance does not know is rejected with its reason', async () => {
    const err = await rejection(
      adapter().publishSegment(segment(fake, 'replying into the void', { index: 1, total: 2, root: { post_id: '1', post_url: 'x', ref: { id: '1' } }, parent: { post_id: '1', post_url: 'x', ref: { id: '1' } } })),
    );
    expect(err).toMatchObject({ kind: 'rejected', message: 'Mastodon refused the post: Record not found' });
  });

  it('media that never finishes processing is transient', async () => {
    const slow = await instance({ processingPolls: 1_000 });
    const media = mediaAttachments({ images: [{ url: `${imageBase}/chart.png` }] }, { allowPrivateNetworks: true });
    const err = await rejection(new MastodonAdapter({ mediaPollIntervalMs: 10, mediaProcessingTimeoutMs: 100 }).publishSegment(segment(slow, 'patience', { media })));
    expect(err.kind).toBe('transient');
    expect(err.message).toMatch(/still processing/);
    expect(slow.statuses).toHaveLength(0);
  });

  it('an instance that is down is transient', async () => {
    const gone = await instance();
    const account = accountOf(gone);
    await gone.close();
    fakes.splice(fakes.indexOf(gone), 1);
    const err = await rejection(adapter().publishSegment(segment(fake, 'anyone there?', { account })));
    expect(err.kind).toBe('transient');
  });
});

describe('FakeMastodon refuses what a real instance refuses', () => {
  let fake: FakeMastodon;

  beforeEach(async () => {
    fake = await FakeMastodon.start({ maxCharacters: 50 });
  });

  afterEach(async () => {
    await fake.close();
  });

  async function call(path: string, init: RequestInit = {}, token: string | null = fake.accessToken) {
    const response = await fetch(`${fake.url}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) } });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  const post = (body: unknown, headers: Record<string, string> = {}, token?: string | null) =>
    call('/api/v1/statuses', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } }, token);

  async function upload(description?: string) {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('GIF89a-not-really')], { type: 'image/gif' }), 'a.gif');
    if (description) form.append('description', description);
    return call('/api/v2/media', { method: 'POST', body: form });
  }

  it('reports its limits', async () => {
    const { body } = await call('/api/v2/instance', {}, null);
    expect(body.configuration.statuses).toEqual({ max_characters: 50, max_media_attachments: 4, characters_reserved_per_url: 23 });
    expect(body.configuration.media_attachments.description_limit).toBe(1500);
  });

  it('missing or wrong bearer: 401', async () => {
    expect(await post({ status: 'hi' }, {}, null)).toEqual({ status: 401, body: { error: 'The access token is invalid' } });
    expect((await post({ status: 'hi' }, {}, 'nope')).status).toBe(401);
  });

  it('text over the limit (URLs as 23) and empty text: 422', async () => {
    expect(await post({ status: 'z'.repeat(51) })).toEqual({ status: 422, body: { error: 'Validation failed: Text character limit of 50 exceeded' } });
    expect((await post({ status: `${'z'.repeat(20)} https://example.com/${'q'.repeat(60)}` })).status).toBe(200);
    expect(await post({ status: '  ' })).toEqual({ status: 422, body: { error: "Validation failed: Text can't be blank" } });
  });

  it('unknown in_reply_to_id: 404', async () => {
    expect(await post({ status: 'hi', in_reply_to_id: '42' })).toEqual({ status: 404, body: { error: 'Record not found' } });
  });

  it('media: 202 then processing, refused until ready, more than 4 refused, long description refused', async () => {
    const uploaded = await upload('alt');
    expect(uploaded.status).toBe(202);
    expect(uploaded.body.url).toBeNull();
    expect((await post({ status: 'pic', media_ids: [uploaded.body.id] })).body).toEqual({ error: 'Cannot attach files that have not finished processing. Try again in a moment!' });
    expect((await call(`/api/v1/media/${uploaded.body.id}`)).status).toBe(206);
    const ready = await call(`/api/v1/media/${uploaded.body.id}`);
    expect(ready.status).toBe(200);
    expect(ready.body.url).toEqual(expect.any(String));
    expect((await post({ status: 'pic', media_ids: [uploaded.body.id] })).status).toBe(200);
    expect(fake.statuses[0].media).toEqual([{ id: uploaded.body.id, mime: 'image/gif', description: 'alt' }]);

    expect((await post({ status: 'many', media_ids: ['1', '2', '3', '4', '5'] })).body).toEqual({ error: 'Cannot attach more than 4 files' });
    expect(await upload('d'.repeat(1501))).toEqual({ status: 422, body: { error: 'Validation failed: Description is too long (maximum is 1500 characters)' } });
  });

  it('the same Idempotency-Key from the same token returns the first status', async () => {
    const first = await post({ status: 'once' }, { 'idempotency-key': 'k1' });
    const second = await post({ status: 'once' }, { 'idempotency-key': 'k1' });
    expect(second.body.id).toBe(first.body.id);
    expect(fake.statuses).toHaveLength(1);
  });
});
