import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { mediaAttachments } from '../media/attachments';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { DiscordAdapter } from './discord-adapter';
import { discordFailure } from './errors';
import { FakeDiscord, FakeDiscordOptions } from './testing/fake-discord';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

describe('DiscordAdapter against a fake Discord', () => {
  const fakes: FakeDiscord[] = [];
  let images: http.Server;
  let imageBase: string;
  let png: Buffer;
  let seq = 0;

  const adapter = () => new DiscordAdapter({ timeoutMs: 2_000 });

  async function discord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = await FakeDiscord.start(options);
    fakes.push(fake);
    return fake;
  }

  beforeAll(async () => {
    png = await sharp({ create: { width: 256, height: 128, channels: 3, background: '#5865f2' } }).png().toBuffer();
    images = http.createServer((req, res) => {
      if (req.url === '/chart.png') res.writeHead(200).end(png);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  });

  afterAll(async () => {
    await new Promise((resolve) => images.close(resolve));
  });

  const webhookAccount = (fake: FakeDiscord, credentials: Record<string, string> = {}): PlatformAccount => ({
    id: 'acc_discord',
    platform: 'discord',
    name: 'community',
    credentials: { webhook_url: fake.webhookUrl, ...credentials },
    base_url: fake.url,
  });
  const botAccount = (fake: FakeDiscord, credentials: Record<string, string> = {}): PlatformAccount => ({
    id: 'acc_discord_bot',
    platform: 'discord',
    name: 'community bot',
    credentials: { bot_token: fake.botToken, channel_id: fake.channelId, ...credentials },
    base_url: fake.url,
  });

  function segment(account: PlatformAccount, text: string, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
    seq++;
    return { account, text, media: [], index: 0, total: 1, idempotencyKey: `pub_${seq}:discord:0`, requestedAt: new Date().toISOString(), settings: {}, ...overrides };
  }

  async function thread(publisher: DiscordAdapter, account: PlatformAccount, segments: Array<Pick<SegmentRequest, 'text' | 'media'>>, settings: Record<string, unknown> = {}): Promise<SegmentRef[]> {
    const refs: SegmentRef[] = [];
    const key = `pub_${++seq}`;
    for (const [index, s] of segments.entries()) {
      refs.push(await publisher.publishSegment(segment(account, s.text, { media: s.media, index, total: segments.length, idempotencyKey: `${key}:discord:${index}`, root: refs[0], parent: refs[index - 1], settings })));
    }
    return refs;
  }

  const chart = (alt?: string) => mediaAttachments({ images: [{ url: `${imageBase}/chart.png`, alt_text: alt }] }, { allowPrivateNetworks: true });

  it('webhook: a thread is sequential messages, the image attached with its alt text, mentions never pinging', async () => {
    const fake = await discord();
    const refs = await thread(adapter(), webhookAccount(fake), [
      { text: 'Launch day @everyone 🚀', media: chart('Line chart of signups doubling') },
      { text: 'Details in the changelog', media: [] },
      { text: 'One more chart', media: chart() },
    ]);

    expect(fake.messages.map((m) => m.content)).toEqual(['Launch day @everyone 🚀', 'Details in the changelog', 'One more chart']);
    expect(fake.messages.every((m) => m.channel_id === fake.channelId && m.webhook_id !== undefined)).toBe(true);
    expect(fake.messages.map((m) => m.allowed_mentions)).toEqual([{ parse: [] }, { parse: [] }, { parse: [] }]);
    expect(fake.messages[0].attachments).toEqual([{ id: expect.any(String), filename: 'image-1.png', description: 'Line chart of signups doubling', content_type: 'image/png', size: png.length }]);
    expect(fake.messages[2].attachments[0].description).toBeUndefined();
    expect(refs[0]).toEqual({
      post_id: fake.messages[0].id,
      post_url: `https://discord.com/channels/${fake.guildId}/${fake.channelId}/${fake.messages[0].id}`,
      ref: { message_id: fake.messages[0].id, channel_id: fake.channelId },
    });
    expect(fake.requests.filter((r) => r.startsWith('GET '))).toHaveLength(1);
  });

  it('webhook to a forum with thread_name: the first message opens the post, the rest go into it', async () => {
    const fake = await discord({ channelKind: 'forum' });
    const refs = await thread(adapter(), webhookAccount(fake), [{ text: 'Release notes', media: chart('Chart') }, { text: 'Part two', media: [] }, { text: 'Part three', media: [] }], { thread_name: 'Release 2.0' });

    const threadId = refs[0].ref?.thread_id;
    expect(threadId).toBe(fake.messages[0].id);
    expect(fake.channels.get(threadId!)).toMatchObject({ name: 'Release 2.0', parent_id: fake.channelId });
    expect(fake.messages.map((m) => m.channel_id)).toEqual([threadId, threadId, threadId]);
    expect(fake.requests.filter((r) => r.startsWith('POST'))).toHaveLength(3);
    expect(refs[2].post_url).toBe(`https://discord.com/channels/${fake.guildId}/${threadId}/${fake.messages[2].id}`);
  });

  it('webhook to a text channel with thread_name: Discord refuses the thread, so the thread is sequential messages', async () => {
    const fake = await discord();
    const publisher = adapter();
    await thread(publisher, webhookAccount(fake), [{ text: 'one', media: [] }, { text: 'two', media: [] }], { thread_name: 'Notes' });
    await thread(publisher, webhookAccount(fake), [{ text: 'three', media: [] }], { thread_name: 'Notes' });
    expect(fake.messages.map((m) => [m.content, m.channel_id])).toEqual([
      ['one', fake.channelId],
      ['two', fake.channelId],
      ['three', fake.channelId],
    ]);
    // One refused attempt with the thread name, then the adapter knows the channel is no forum.
    expect(fake.requests.filter((r) => r.startsWith('POST'))).toHaveLength(4);
  });

  it('webhook to a forum without thread_name is refused with what to set', async () => {
    const fake = await discord({ channelKind: 'forum' });
    const err = await rejection(adapter().publishSegment(segment(webhookAccount(fake), 'hello forum')));
    expect(err.kind).toBe('rejected');
    expect(err.message).toBe('Discord refused the post: Webhooks posted to forum channels must have a thread_name or thread_id (set platform_settings.discord.thread_name to open a forum post)');
  });

  it('bot: each segment replies to the previous one', async () => {
    const fake = await discord();
    const refs = await thread(adapter(), botAccount(fake), [{ text: 'first', media: chart('alt') }, { text: 'second', media: [] }, { text: 'third', media: [] }]);
    const [a, b, c] = fake.messages;
    expect(a.message_reference).toBeUndefined();
    expect(b.message_reference?.message_id).toBe(a.id);
    expect(c.message_reference?.message_id).toBe(b.id);
    expect(a.attachments[0].description).toBe('alt');
    expect(a.author.id).toBe(fake.botUserId);
    expect(refs[2].post_url).toBe(`https://discord.com/channels/${fake.guildId}/${fake.channelId}/${c.id}`);
  });

  it('bot with thread_name: replies go into a thread started from the first message, even when resumed', async () => {
    const fake = await discord();
    const publisher = adapter();
    const account = botAccount(fake);
    const first = await publisher.publishSegment(segment(account, 'the announcement', { index: 0, total: 3, settings: { thread_name: 'Discussion' } }));
    const second = await publisher.publishSegment(segment(account, 'reply one', { index: 1, total: 3, root: first, parent: first, settings: { thread_name: 'Discussion' } }));
    // A resumed thread whose recorded root ref predates the thread: the thread already exists.
    const third = await new DiscordAdapter().publishSegment(segment(account, 'reply two', { index: 2, total: 3, root: first, parent: second, settings: { thread_name: 'Discussion' } }));
    expect(fake.channels.get(first.post_id)).toMatchObject({ name: 'Discussion', parent_id: fake.channelId });
    expect(fake.messages.map((m) => m.channel_id)).toEqual([fake.channelId, first.post_id, first.post_id]);
    expect(second.ref?.thread_id).toBe(first.post_id);
    expect(third.ref?.thread_id).toBe(first.post_id);
  });

  it('bot in a forum channel opens a forum post with thread_name', async () => {
    const fake = await discord({ channelKind: 'forum' });
    const refs = await thread(adapter(), botAccount(fake), [{ text: 'starter', media: chart('pic') }, { text: 'follow-up', media: [] }], { thread_name: 'Forum post' });
    const threadId = refs[0].ref?.thread_id;
    expect(fake.channels.get(threadId!)?.name).toBe('Forum post');
    expect(fake.messages.map((m) => [m.content, m.channel_id])).toEqual([
      ['starter', threadId],
      ['follow-up', threadId],
    ]);
    expect(fake.messages[0].attachments[0].description).toBe('pic');
  });

  it('refuses text over 2,000 characters before any request', async () => {
    const fake = await discord();
    const err = await rejection(adapter().publishSegment(segment(webhookAccount(fake), 'x'.repeat(2001))));
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/2001 characters; Discord takes at most 2000/);
    expect(fake.requests).toEqual([]);
  });

  it('a deleted webhook, a wrong webhook token and a refused bot token are auth', async () => {
    const fake = await discord();
    fake.deleteWebhook();
    const deleted = await rejection(adapter().publishSegment(segment(webhookAccount(fake), 'hello')));
    expect(deleted).toMatchObject({ kind: 'auth', message: 'the Discord webhook was deleted (Unknown Webhook); create a new one and reconnect your Discord account' });

    const other = await discord();
    const wrongToken = await rejection(adapter().publishSegment(segment(webhookAccount(other, { webhook_url: other.webhookUrl.replace(/[^/]+$/, 'RevokedToken123') }), 'hello')));
    expect(wrongToken.kind).toBe('auth');
    expect(wrongToken.message).toMatch(/webhook token is no longer valid/);

    const bot = await rejection(adapter().publishSegment(segment(botAccount(other, { bot_token: 'revoked' }), 'hello')));
    expect(bot.kind).toBe('auth');
    expect(bot.message).toMatch(/the bot token was refused/);
  });

  it('429 is rate_limited from retry_after (seconds, float), or X-RateLimit-Reset-After', async () => {
    const fake = await discord();
    fake.failNext(/^POST \/api\/v10\/webhooks/, { status: 429, body: { message: 'You are being rate limited.', retry_after: 1.5, global: false }, headers: { 'retry-after': '2', 'x-ratelimit-reset-after': '1.5' } });
    const err = await rejection(adapter().publishSegment(segment(webhookAccount(fake), 'slow down')));
    expect(err.kind).toBe('rate_limited');
    expect(err.details.retryAfterMs).toBe(1_500);

    const headerOnly = discordFailure({ status: 429, body: undefined, headers: new Headers({ 'x-ratelimit-reset-after': '0.25' }) }, 'bot');
    expect(headerOnly.details.retryAfterMs).toBe(250);
  });

  it('a 5xx is transient and known not to have posted; the retry posts once', async () => {
    const fake = await discord();
    fake.failNext(/^POST \/api\/v10\/webhooks/, { status: 502, body: { message: 'Bad Gateway', code: 0 } });
    const publisher = adapter();
    const request = segment(webhookAccount(fake), 'try again');
    expect((await rejection(publisher.publishSegment(request))).kind).toBe('transient');
    await expect(publisher.findPublished(request)).resolves.toBeNull();
    await publisher.publishSegment(request);
    expect(fake.messages).toHaveLength(1);
  });

  it("passes on Discord's own refusal, with what to do about permissions", async () => {
    const fake = await discord();
    fake.failNext(/^POST \/api\/v10\/webhooks/, { status: 400, body: { message: 'Message was blocked by automatic moderation', code: 200000 } });
    const blocked = await rejection(adapter().publishSegment(segment(webhookAccount(fake), 'buy now')));
    expect(blocked).toMatchObject({ kind: 'rejected', message: 'Discord refused the post: Message was blocked by automatic moderation' });

    fake.configure({ botCanPost: false });
    const denied = await rejection(adapter().publishSegment(segment(botAccount(fake), 'hello')));
    expect(denied.kind).toBe('rejected');
    expect(denied.message).toMatch(/^Discord refused the post: Missing Permissions \(give the bot .*Send Messages/);

    const orphan = { post_id: '1', post_url: 'x', ref: { message_id: '1', channel_id: fake.channelId } };
    fake.configure({ botCanPost: true });
    const reply = await rejection(adapter().publishSegment(segment(botAccount(fake), 'to nothing', { index: 1, total: 2, root: orphan, parent: orphan })));
    expect(reply.message).toBe('Discord refused the post: Invalid Form Body (message_reference: Unknown message)');
  });

  it('a lost answer: the webhook cannot look, the token stays out of the message; a bot finds its message', async () => {
    const fake = await discord();
    fake.failNext(/^POST \/api\/v10\/webhooks/, { dropAnswer: true });
    const publisher = adapter();
    const viaWebhook = segment(webhookAccount(fake), 'did it land?');
    const err = await rejection(publisher.publishSegment(viaWebhook));
    expect(err.kind).toBe('unknown_outcome');
    expect(err.message).not.toContain(fake.webhookToken);
    expect(err.message).toContain('<token>');
    expect((await rejection(publisher.findPublished(viaWebhook))).kind).toBe('unknown_outcome');

    fake.failNext(/^POST \/api\/v10\/channels\/\d+\/messages$/, { dropAnswer: true });
    const viaBot = segment(botAccount(fake), 'and this one?');
    expect((await rejection(publisher.publishSegment(viaBot))).kind).toBe('unknown_outcome');
    const found = await new DiscordAdapter().findPublished(viaBot);
    const posted = fake.messages[fake.messages.length - 1];
    expect(found).toMatchObject({ post_id: posted.id, ref: { message_id: posted.id, channel_id: fake.channelId } });
    await expect(new DiscordAdapter().findPublished(segment(botAccount(fake), 'never sent'))).resolves.toBeNull();
  });
});
