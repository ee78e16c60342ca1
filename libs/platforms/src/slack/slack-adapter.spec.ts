import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { mediaAttachments } from '../media/attachments';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { SlackAdapter } from './slack-adapter';
import { FakeSlack } from './testing/fake-slack';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

describe('SlackAdapter against a fake Web API', () => {
  let fake: FakeSlack;
  let images: http.Server;
  let imageBase: string;
  let png: Buffer;
  let seq = 0;

  const adapter = () => new SlackAdapter({ pollIntervalMs: 5, shareTimeoutMs: 2_000, timeoutMs: 2_000 });

  beforeAll(async () => {
    png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#4a154b' } }).png().toBuffer();
    images = http.createServer((req, res) => {
      if (req.url === '/chart.png') res.writeHead(200).end(png);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  });

  beforeEach(async () => {
    fake = await FakeSlack.start();
  });

  afterEach(async () => {
    await fake.close();
  });

  afterAll(async () => {
    await new Promise((resolve) => images.close(resolve));
  });

  function accountOf(overrides: Partial<PlatformAccount['credentials']> = {}): PlatformAccount {
    return { id: 'acc_slack', platform: 'slack', name: 'team', credentials: { bot_token: fake.token, channel: 'C0POSTLOOM1', ...overrides }, base_url: fake.apiUrl };
  }

  function segment(text: string, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
    seq++;
    return { account: accountOf(), text, media: [], index: 0, total: 1, idempotencyKey: `pub_${seq}:slack:0`, requestedAt: new Date().toISOString(), settings: {}, ...overrides };
  }

  const chart = (alt?: string) => mediaAttachments({ images: [{ url: `${imageBase}/chart.png`, alt_text: alt }] }, { allowPrivateNetworks: true });

  it('publishes a thread: an image shared with the text and its alt text, then replies in the first message thread', async () => {
    const publisher = adapter();
    const segments = [
      { text: 'Release 2.0 is out 🎉', media: chart('Bar chart: build times halved since 1.0') },
      { text: 'What changed: faster builds & smaller images', media: [] },
      { text: 'The numbers, again', media: chart() },
    ];
    const refs: SegmentRef[] = [];
    for (const [index, s] of segments.entries()) {
      refs.push(await publisher.publishSegment(segment(s.text, { media: s.media, index, total: 3, idempotencyKey: `pub_thread:slack:${index}`, root: refs[0], parent: refs[index - 1] })));
    }

    expect(fake.messages.map((m) => m.text)).toEqual(['Release 2.0 is out 🎉', 'What changed: faster builds &amp; smaller images', 'The numbers, again']);
    const [first, second, third] = fake.messages;
    expect(first.thread_ts).toBeUndefined();
    expect(second.thread_ts).toBe(first.ts);
    expect(third.thread_ts).toBe(first.ts);
    expect(first.files).toHaveLength(1);
    const file = fake.files.get(first.files[0])!;
    expect(file).toMatchObject({ alt_txt: 'Bar chart: build times halved since 1.0', title: 'Bar chart: build times halved since 1.0', mimetype: 'image/png', length: png.length });
    expect(file.bytes?.equals(png)).toBe(true);
    expect(fake.files.get(third.files[0])?.alt_txt).toBeUndefined();

    expect(refs[0]).toEqual({
      post_id: first.ts,
      post_url: `https://postloom-test.slack.com/archives/C0POSTLOOM1/p${first.ts.replace('.', '')}`,
      ref: { ts: first.ts, channel: 'C0POSTLOOM1', thread_ts: first.ts },
    });
    expect(refs[1].post_url).toBe(`https://postloom-test.slack.com/archives/C0POSTLOOM1/p${second.ts.replace('.', '')}?thread_ts=${first.ts}&cid=C0POSTLOOM1`);
    expect(refs[2]).toMatchObject({ post_id: third.ts, ref: { thread_ts: first.ts } });
    // The share took a poll of files.info before Slack showed it.
    expect(fake.callsOf('files.info')).toBe(4);
  });

  it('escapes &, < and > so plain text is not read as links or mentions', async () => {
    await adapter().publishSegment(segment('if a < b && b > c then <!channel>'));
    expect(fake.messages[0].text).toBe('if a &lt; b &amp;&amp; b &gt; c then &lt;!channel&gt;');
  });

  it('refuses text over 40,000 characters (escapes included) before any request', async () => {
    const err = await rejection(adapter().publishSegment(segment('a'.repeat(39_999) + '&')));
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/text is 40004 characters .* at most 40000/);
    expect(fake.requests).toEqual([]);
    expect(adapter().check({ text: 'x'.repeat(40_000), media: [] })).toEqual([]);
  });

  it('a revoked token is auth, asking to reconnect', async () => {
    fake.configure({ revoked: true });
    const err = await rejection(adapter().publishSegment(segment('hello')));
    expect(err).toMatchObject({ kind: 'auth', message: "Slack refused the account's credentials (token_revoked): reconnect your Slack account" });
  });

  it('a missing scope is auth, naming the scope', async () => {
    fake.configure({ scopes: ['chat:write'] });
    const err = await rejection(adapter().publishSegment(segment('with a picture', { media: chart() })));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/missing_scope: the app needs the files:write scope, it has chat:write/);
  });

  it('429 is rate_limited with Retry-After', async () => {
    fake.failNext('chat.postMessage', { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '30' } });
    const err = await rejection(adapter().publishSegment(segment('slow down')));
    expect(err.kind).toBe('rate_limited');
    expect(err.details.retryAfterMs).toBe(30_000);
  });

  it('a 5xx is transient, known not to have posted, and the retry posts once', async () => {
    fake.failNext('chat.postMessage', { status: 503, body: 'upstream unavailable' });
    const publisher = adapter();
    const request = segment('second time lucky');
    expect((await rejection(publisher.publishSegment(request))).kind).toBe('transient');
    await expect(publisher.findPublished(request)).resolves.toBeNull();
    await publisher.publishSegment(request);
    expect(fake.messages).toHaveLength(1);
  });

  it("passes on Slack's refusal with what to do about it", async () => {
    const outsider = await rejection(adapter().publishSegment(segment('hello?', { account: accountOf({ channel: 'C0OUTSIDER1' }) })));
    expect(outsider).toMatchObject({ kind: 'rejected', message: 'Slack refused the post: not_in_channel (the app is not a member of the channel: invite it with /invite @<your app> and retry)' });
    const archived = await rejection(adapter().publishSegment(segment('hello?', { account: accountOf({ channel: 'C0ARCHIVED1' }) })));
    expect(archived.message).toMatch(/is_archived/);
    const unknown = await rejection(adapter().publishSegment(segment('hello?', { account: accountOf({ channel: '#nowhere' }) })));
    expect(unknown.message).toMatch(/^Slack refused the post: channel_not_found/);
  });

  it('posts text to a channel named by the account, and asks for the id when there are files', async () => {
    const ref = await adapter().publishSegment(segment('by name', { account: accountOf({ channel: '#announcements' }) }));
    expect(ref.ref?.channel).toBe('C0POSTLOOM1');
    const err = await rejection(adapter().publishSegment(segment('by name, with a file', { account: accountOf({ channel: '#announcements' }), media: chart() })));
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/channel id/);
  });

  it('an answer lost after Slack posted: findPublished finds the message in the channel', async () => {
    fake.failNext('chat.postMessage', { drop: 'after' });
    const publisher = adapter();
    const request = segment('did this make it?');
    expect((await rejection(publisher.publishSegment(request))).kind).toBe('unknown_outcome');
    // Another process has no memory of the write: it reads the channel.
    const found = await new SlackAdapter().findPublished(request);
    expect(found).toMatchObject({ post_id: fake.messages[0].ts, ref: { channel: 'C0POSTLOOM1' } });
    expect(fake.messages).toHaveLength(1);
  });

  it('a lost request that never reached Slack is certainly absent once the channel is read', async () => {
    fake.failNext('chat.postMessage', { drop: 'before' });
    const request = segment('lost on the way');
    expect((await rejection(adapter().publishSegment(request))).kind).toBe('unknown_outcome');
    await expect(new SlackAdapter().findPublished(request)).resolves.toBeNull();
  });

  it('finds a reply in the thread, and cannot know without the history scope', async () => {
    const publisher = adapter();
    const root = await publisher.publishSegment(segment('thread start'));
    fake.failNext('chat.postMessage', { drop: 'after' });
    const reply = segment('a reply', { index: 1, total: 2, root, parent: root });
    expect((await rejection(publisher.publishSegment(reply))).kind).toBe('unknown_outcome');
    await expect(new SlackAdapter().findPublished(reply)).resolves.toMatchObject({ post_id: fake.messages[1].ts, ref: { thread_ts: root.post_id } });

    fake.configure({ scopes: ['chat:write'] });
    const err = await rejection(new SlackAdapter().findPublished(segment('another', { index: 1, total: 2, root, parent: root })));
    expect(err.kind).toBe('unknown_outcome');
    expect(err.message).toMatch(/channels:history/);
  });
});
