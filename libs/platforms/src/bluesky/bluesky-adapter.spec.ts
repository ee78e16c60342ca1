import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { AtpAgent } from '@atproto/api';
import { TestNetworkNoAppView } from '@atproto/dev-env';
import sharp from 'sharp';
import { linkPreview, mediaAttachments } from '../media';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { BlueskyAdapter } from './bluesky-adapter';
import { isTid, recordKey } from './requests';

type Fault = { method: string; answer: () => Promise<Response> };

/** Passes requests to the PDS, counting them per XRPC method and answering injected faults instead when asked. */
class PdsTraffic {
  readonly calls: string[] = [];
  private readonly faults: Fault[] = [];

  readonly fetch: typeof globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = new URL(url).pathname.replace('/xrpc/', '');
    this.calls.push(method);
    const fault = this.faults.findIndex((f) => f.method === method);
    if (fault >= 0) return this.faults.splice(fault, 1)[0].answer();
    return fetch(input, init);
  };

  count(method: string): number {
    return this.calls.filter((m) => m === method).length;
  }

  failNext(method: string, answer: () => Promise<Response>): void {
    this.faults.push({ method, answer });
  }
}

const xrpcError = (status: number, error: string, message: string) => async () =>
  new Response(JSON.stringify({ error, message }), { status, headers: { 'content-type': 'application/json' } });
const networkDown = () => Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
// The facet's own `$type` is optional in the lexicon; what matters is where it points and what it says.
const facetsOf = (post: Record<string, any>) => (post.facets ?? []).map(({ index, features }: Record<string, unknown>) => ({ index, features }));

describe('BlueskyAdapter against a real PDS', () => {
  let network: TestNetworkNoAppView;
  let pdsFiles: string;
  let reader: AtpAgent;
  let did: string;
  let account: PlatformAccount;
  let media: http.Server;
  let mediaBase: string;
  let bigPng: Buffer;
  let smallPng: Buffer;
  let publishSeq = 0;

  beforeAll(async () => {
    // The test PDS makes its SQLite and blob folders under os.tmpdir() and never removes
    // them: while it starts, os.tmpdir() answers a folder of ours that afterAll removes.
    pdsFiles = await mkdtemp(join(os.tmpdir(), 'postloom-pds-'));
    const tmpdir = jest.spyOn(os, 'tmpdir').mockReturnValue(pdsFiles);
    try {
      network = await TestNetworkNoAppView.create({ dbPostgresSchema: 'postloom' });
    } finally {
      tmpdir.mockRestore();
    }
    reader = network.pds.getClient();
    const created = await reader.createAccount({ email: 'alice@test.com', handle: 'alice.test', password: 'alice-main-password' });
    did = created.data.did;
    const appPassword = await reader.com.atproto.server.createAppPassword({ name: 'postloom' });
    account = { id: 'acc_alice', platform: 'bluesky', name: 'alice', credentials: { identifier: 'alice.test', app_password: appPassword.data.password }, base_url: network.pds.url };

    // Noise does not compress: this PNG is over Bluesky's 2,000,000-byte image limit and must be shrunk.
    bigPng = await sharp(randomBytes(1100 * 700 * 3), { raw: { width: 1100, height: 700, channels: 3 } }).png().toBuffer();
    smallPng = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ff8800' } }).png().toBuffer();
    media = http.createServer((req, res) => {
      if (req.url === '/article') {
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(
            '<html><head><title>Fallback</title><meta property="og:title" content="Postloom &amp; friends">' +
              '<meta name="description" content="ignored"><meta property="og:description" content=\'Ship posts everywhere\'>' +
              '<meta property="og:image" content="/small.png"></head><body>hi</body></html>',
          );
        return;
      }
      const body = req.url === '/big.png' ? bigPng : req.url === '/small.png' ? smallPng : undefined;
      if (body) res.writeHead(200, { 'content-type': 'image/png' }).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
    mediaBase = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await network?.close();
    await new Promise((resolve) => media?.close(resolve));
    if (pdsFiles) await rm(pdsFiles, { recursive: true, force: true });
  });

  function segment(text: string, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
    publishSeq++;
    return {
      account,
      text,
      media: [],
      index: 0,
      total: 1,
      idempotencyKey: `pub_${publishSeq}:bluesky:0`,
      requestedAt: new Date(Date.UTC(2026, 2, 1, 12, 0, publishSeq)).toISOString(),
      settings: {},
      ...overrides,
    };
  }

  async function posts() {
    const { data } = await reader.com.atproto.repo.listRecords({ repo: did, collection: 'app.bsky.feed.post', limit: 100 });
    return data.records;
  }

  async function record(uri: string) {
    const rkey = uri.split('/').pop()!;
    const { data } = await reader.com.atproto.repo.getRecord({ repo: did, collection: 'app.bsky.feed.post', rkey });
    return data.value as Record<string, any>;
  }

  it('publishes a link as an external embed: Open Graph title, description and image uploaded as a blob', async () => {
    const adapter = new BlueskyAdapter();
    const url = `${mediaBase}/article`;
    const ref = await adapter.publishSegment(segment('Read this', { link: linkPreview({ url, title: 'Client title' }, { allowPrivateNetworks: true }) }));
    const stored = await record(ref.post_id);
    expect(stored.text).toBe('Read this');
    expect(stored.embed.$type).toBe('app.bsky.embed.external');
    expect(stored.embed.external).toMatchObject({ uri: url, title: 'Postloom & friends', description: 'Ship posts everywhere' });
    const thumb = stored.embed.external.thumb;
    expect(thumb.mimeType).toBe('image/png');
    const blob = await reader.com.atproto.sync.getBlob({ did, cid: thumb.ref.toString() });
    expect(Buffer.from(blob.data).equals(smallPng)).toBe(true);
  });

  it('a page that cannot be read still gets a card with what the client gave; a private page is not fetched unless allowed', async () => {
    const adapter = new BlueskyAdapter();
    const url = `${mediaBase}/article`;
    const ref = await adapter.publishSegment(segment('Guarded', { link: linkPreview({ url, title: 'Client title', description: 'Client words' }) }));
    const stored = await record(ref.post_id);
    expect(stored.embed.external).toEqual({ uri: url, title: 'Client title', description: 'Client words' });
  });

  it('derives valid, deterministic, ordered TID record keys', () => {
    const at = '2026-03-01T12:00:00.000Z';
    const keys = [0, 1, 2].map((i) => recordKey(at, i, `pub_1:bluesky:${i}`));
    keys.forEach((key) => expect(isTid(key)).toBe(true));
    expect([...keys].sort()).toEqual(keys);
    expect(recordKey(at, 1, 'pub_1:bluesky:1')).toBe(keys[1]);
    expect(recordKey(at, 0, 'pub_2:bluesky:0')).not.toBe(keys[0]);
  });

  it('publishes a single post', async () => {
    const adapter = new BlueskyAdapter();
    const request = segment('Hello from Postloom 👋');
    const ref = await adapter.publishSegment(request);

    const rkey = recordKey(request.requestedAt, 0, request.idempotencyKey);
    expect(ref.post_id).toBe(`at://${did}/app.bsky.feed.post/${rkey}`);
    expect(ref.post_url).toBe(`https://bsky.app/profile/alice.test/post/${rkey}`);
    expect(ref.ref).toEqual({ uri: ref.post_id, cid: expect.any(String) });
    const stored = await record(ref.post_id);
    expect(stored.text).toBe('Hello from Postloom 👋');
    expect(stored.reply).toBeUndefined();
  });

  it('publishes a thread: image with alt text, link and tag facets, replies chained to root and parent', async () => {
    const adapter = new BlueskyAdapter();
    const attachments = mediaAttachments(
      { images: [{ url: `${mediaBase}/big.png`, alt_text: 'Noise, as far as the eye can see' }, { url: `${mediaBase}/small.png` }] },
      { allowPrivateNetworks: true },
    );
    const texts = ['Launch day 🚀 (1/3)', 'Café ☕ notes: https://example.com/docs?x=1 and #postloom (2/3)', 'Thanks @alice.test for reading (3/3)'];
    const base = segment('');
    const refs: SegmentRef[] = [];
    for (let index = 0; index < texts.length; index++) {
      refs.push(
        await adapter.publishSegment({
          ...base,
          text: texts[index],
          media: index === 0 ? attachments : [],
          index,
          total: texts.length,
          idempotencyKey: `pub_thread:bluesky:${index}`,
          root: index > 0 ? refs[0] : undefined,
          parent: index > 0 ? refs[index - 1] : undefined,
        }),
      );
    }

    const [first, second, third] = await Promise.all(refs.map((ref) => record(ref.post_id)));
    expect([first.text, second.text, third.text]).toEqual(texts);
    expect(refs.map((r) => r.post_id.split('/').pop()).sort()).toEqual(refs.map((r) => r.post_id.split('/').pop()));

    expect(first.reply).toBeUndefined();
    expect(first.embed.$type).toBe('app.bsky.embed.images');
    expect(first.embed.images.map((i: any) => i.alt)).toEqual(['Noise, as far as the eye can see', '']);
    expect(first.embed.images[0].aspectRatio).toEqual({ width: 1100, height: 700 });
    expect(first.embed.images[0].image.mimeType).toBe('image/jpeg');
    expect(first.embed.images[0].image.size).toBeLessThanOrEqual(2_000_000);
    expect(first.embed.images[1].image.mimeType).toBe('image/png');
    expect(first.embed.images[1].aspectRatio).toEqual({ width: 300, height: 200 });

    const rootRef = { uri: refs[0].ref!.uri, cid: refs[0].ref!.cid };
    expect(second.reply).toEqual({ root: rootRef, parent: rootRef });
    expect(third.reply).toEqual({ root: rootRef, parent: { uri: refs[1].ref!.uri, cid: refs[1].ref!.cid } });

    const link = 'https://example.com/docs?x=1';
    const linkStart = utf8('Café ☕ notes: ');
    const tagStart = utf8('Café ☕ notes: https://example.com/docs?x=1 and ');
    expect(facetsOf(second)).toEqual([
      { index: { byteStart: linkStart, byteEnd: linkStart + utf8(link) }, features: [{ $type: 'app.bsky.richtext.facet#link', uri: link }] },
      { index: { byteStart: tagStart, byteEnd: tagStart + utf8('#postloom') }, features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'postloom' }] },
    ]);
    const mentionStart = utf8('Thanks ');
    expect(facetsOf(third)).toEqual([
      { index: { byteStart: mentionStart, byteEnd: mentionStart + utf8('@alice.test') }, features: [{ $type: 'app.bsky.richtext.facet#mention', did }] },
    ]);
  });

  it('publishing the same segment again returns the same record and creates no second one', async () => {
    const traffic = new PdsTraffic();
    const adapter = new BlueskyAdapter({ fetch: traffic.fetch });
    const request = segment('Only once, however often it is delivered');
    const first = await adapter.publishSegment(request);
    const countAfterFirst = (await posts()).length;

    const again = await new BlueskyAdapter().publishSegment({ ...request });
    const third = await adapter.publishSegment({ ...request });
    expect(again).toEqual(first);
    expect(third).toEqual(first);
    expect((await posts()).length).toBe(countAfterFirst);
    expect((await posts()).filter((r) => (r.value as { text: string }).text === request.text)).toHaveLength(1);
  });

  it('a lost answer to createRecord is settled by looking the key up', async () => {
    const traffic = new PdsTraffic();
    const adapter = new BlueskyAdapter({ fetch: traffic.fetch });
    const request = segment('The answer got lost on the way back');
    // The PDS stores the record, but the client never hears so.
    traffic.failNext('com.atproto.repo.createRecord', async () => {
      await fetch(`${network.pds.url}/xrpc/com.atproto.repo.createRecord`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${reader.session!.accessJwt}` },
        body: JSON.stringify({ repo: did, collection: 'app.bsky.feed.post', rkey: recordKey(request.requestedAt, 0, request.idempotencyKey), record: { $type: 'app.bsky.feed.post', text: request.text, createdAt: new Date().toISOString() } }),
      });
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    });
    const ref = await adapter.publishSegment(request);
    expect((await record(ref.post_id)).text).toBe(request.text);
    expect(traffic.count('com.atproto.repo.getRecord')).toBe(1);
  });

  it('refuses over-limit text before any request', async () => {
    const traffic = new PdsTraffic();
    const adapter = new BlueskyAdapter({ fetch: traffic.fetch });
    const tooLong = await rejection(adapter.publishSegment(segment('a'.repeat(301))));
    expect(tooLong.kind).toBe('rejected');
    expect(tooLong.message).toMatch(/text is 301 graphemes; Bluesky takes at most 300/);
    const tooHeavy = await rejection(adapter.publishSegment(segment('👨‍👩‍👧'.repeat(200))));
    expect(tooHeavy.message).toMatch(/text is 3600 UTF-8 bytes; Bluesky takes at most 3000/);
    const [video] = mediaAttachments({ video: { url: 'https://example.com/clip.mp4' } });
    expect(adapter.check({ media: [{ ...video, alt_text: 'v'.repeat(1001) }] })).toEqual(['alt text of video 1 is longer than 1000 graphemes']);
    expect(adapter.check({ media: [{ ...video, alt_text: 'v'.repeat(1000) }] })).toEqual([]);
    expect(traffic.calls).toEqual([]);
  });

  it('a wrong app password is an auth failure asking to reconnect', async () => {
    const adapter = new BlueskyAdapter();
    const err = await rejection(adapter.publishSegment(segment('never posted', { account: { ...account, id: 'acc_wrong', credentials: { identifier: 'alice.test', app_password: 'aaaa-bbbb-cccc-dddd' } } })));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/reconnect your Bluesky account/);
  });

  it('reuses the session: two posts, one createSession', async () => {
    const traffic = new PdsTraffic();
    const adapter = new BlueskyAdapter({ fetch: traffic.fetch });
    await adapter.publishSegment(segment('first of two'));
    await adapter.publishSegment(segment('second of two'));
    expect(traffic.count('com.atproto.server.createSession')).toBe(1);
    expect(traffic.count('com.atproto.repo.createRecord')).toBe(2);
  });

  it('a refresh that cannot reach the PDS is transient and keeps the session', async () => {
    const traffic = new PdsTraffic();
    const adapter = new BlueskyAdapter({ fetch: traffic.fetch });
    await adapter.publishSegment(segment('before the outage'));
    traffic.failNext('com.atproto.repo.createRecord', xrpcError(400, 'ExpiredToken', 'Token has expired'));
    traffic.failNext('com.atproto.server.refreshSession', networkDown);

    const request = segment('during the outage');
    const err = await rejection(adapter.publishSegment(request));
    expect(err.kind).toBe('transient');
    await adapter.publishSegment(request);
    expect(traffic.count('com.atproto.server.createSession')).toBe(1);
  });

  it('a refresh token refused for good means one new login, then the post goes out', async () => {
    const traffic = new PdsTraffic();
    const adapter = new BlueskyAdapter({ fetch: traffic.fetch });
    await adapter.publishSegment(segment('before expiry'));
    traffic.failNext('com.atproto.repo.createRecord', xrpcError(400, 'ExpiredToken', 'Token has expired'));
    traffic.failNext('com.atproto.server.refreshSession', xrpcError(400, 'ExpiredToken', 'Token has been revoked'));

    const ref = await adapter.publishSegment(segment('after a fresh login'));
    expect((await record(ref.post_id)).text).toBe('after a fresh login');
    expect(traffic.count('com.atproto.server.createSession')).toBe(2);
  });

  it('classifies PDS answers: 429 rate limited with the reset time, 5xx transient, 400 rejected with its reason', async () => {
    const traffic = new PdsTraffic();
    const adapter = new BlueskyAdapter({ fetch: traffic.fetch });
    await adapter.publishSegment(segment('warm up'));
    const reset = Math.ceil(Date.now() / 1000) + 120;
    traffic.failNext('com.atproto.repo.createRecord', async () =>
      new Response(JSON.stringify({ error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }), { status: 429, headers: { 'content-type': 'application/json', 'ratelimit-reset': String(reset) } }),
    );
    const limited = await rejection(adapter.publishSegment(segment('limited')));
    expect(limited.kind).toBe('rate_limited');
    expect(limited.details.retryAfterMs).toBeGreaterThan(100_000);
    expect(limited.details.retryAfterMs).toBeLessThanOrEqual(121_000);

    traffic.failNext('com.atproto.repo.createRecord', xrpcError(502, 'UpstreamFailure', 'Upstream Failure'));
    expect((await rejection(adapter.publishSegment(segment('unlucky')))).kind).toBe('transient');

    const missingParent = await rejection(
      adapter.publishSegment(segment('a reply to nothing', { index: 1, total: 2, root: { post_id: 'x', post_url: 'x', ref: { uri: 'not-a-uri', cid: 'bafy' } }, parent: { post_id: 'x', post_url: 'x', ref: { uri: 'not-a-uri', cid: 'bafy' } } })),
    );
    expect(missingParent.kind).toBe('rejected');
    expect(missingParent.message).toMatch(/^Bluesky refused the post: /);
  });
});
