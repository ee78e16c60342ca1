import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { mediaAttachments } from '../media/attachments';
import { PlatformAccount, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { telegramFailure } from './errors';
import { messageUrl } from './requests';
import { TelegramAdapter } from './telegram-adapter';
import { FakeTelegram } from './testing/fake-telegram';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

describe('TelegramAdapter against a fake Bot API', () => {
  let fake: FakeTelegram;
  let images: http.Server;
  let imageBase: string;
  let seq = 0;

  const adapter = () => new TelegramAdapter({ timeoutMs: 2_000 });

  beforeAll(async () => {
    const png = await sharp({ create: { width: 320, height: 180, channels: 3, background: '#229ed9' } }).png().toBuffer();
    const second = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#f5a623' } }).png().toBuffer();
    images = http.createServer((req, res) => {
      if (req.url === '/chart.png') res.writeHead(200).end(png);
      else if (req.url === '/square.png') res.writeHead(200).end(second);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  });

  beforeEach(async () => {
    fake = await FakeTelegram.start();
  });

  afterEach(async () => {
    await fake.close();
  });

  afterAll(async () => {
    await new Promise((resolve) => images.close(resolve));
  });

  function accountOf(overrides: Partial<PlatformAccount['credentials']> = {}): PlatformAccount {
    return { id: 'acc_tg', platform: 'telegram', name: 'news', credentials: { bot_token: fake.token, chat_id: String(fake.chat.id), ...overrides }, base_url: fake.url };
  }

  function segment(text: string, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
    seq++;
    return { account: accountOf(), text, media: [], index: 0, total: 1, idempotencyKey: `pub_${seq}:telegram:0`, requestedAt: '2026-03-01T12:00:00.000Z', settings: {}, ...overrides };
  }

  const image = (path: string, alt?: string) => mediaAttachments({ images: [{ url: `${imageBase}${path}`, alt_text: alt }] }, { allowPrivateNetworks: true });

  it('publishes a thread: a photo with its caption, a text reply, an album reply, each replying to the previous', async () => {
    const publisher = adapter();
    const segments = [
      { text: 'Quarterly numbers are in (1/3)', media: image('/chart.png', 'A bar chart of quarterly revenue') },
      { text: 'Revenue grew in every region (2/3)', media: [] },
      { text: 'Two more charts (3/3)', media: [...image('/chart.png'), ...image('/square.png')] },
    ];
    const refs: SegmentRef[] = [];
    for (const [index, s] of segments.entries()) {
      refs.push(
        await publisher.publishSegment(
          segment(s.text, { media: s.media, index, total: 3, idempotencyKey: `pub_thread:telegram:${index}`, root: refs[0], parent: refs[index - 1] }),
        ),
      );
    }

    const [photo, reply, ...album] = fake.messages;
    expect(photo).toMatchObject({ method: 'sendPhoto', caption: segments[0].text, file: { type: 'photo', mime: 'image/png' } });
    expect(photo.reply_to_message_id).toBeUndefined();
    expect(reply).toMatchObject({ method: 'sendMessage', text: segments[1].text, reply_to_message_id: photo.message_id });
    expect(album).toHaveLength(2);
    expect(album.map((m) => m.method)).toEqual(['sendMediaGroup', 'sendMediaGroup']);
    expect(album[0]).toMatchObject({ caption: segments[2].text, reply_to_message_id: reply.message_id, file: { type: 'photo', mime: 'image/png' } });
    expect(album[1].caption).toBeUndefined();
    expect(album[0].media_group_id).toBe(album[1].media_group_id);
    // The Bot API has no alt text: the description is not sent anywhere (nor turned into text).
    expect(JSON.stringify(fake.messages)).not.toContain('bar chart');

    expect(refs.map((r) => r.post_id)).toEqual([String(photo.message_id), String(reply.message_id), String(album[0].message_id)]);
    expect(refs[0]).toEqual({
      post_id: String(photo.message_id),
      post_url: `https://t.me/postloom_news/${photo.message_id}`,
      ref: { message_id: String(photo.message_id), chat_id: String(fake.chat.id) },
    });
  });

  it('honours disable_notification and parse_mode', async () => {
    await adapter().publishSegment(segment('<b>Bold</b> news', { settings: { disable_notification: true, parse_mode: 'HTML' } }));
    expect(fake.messages[0]).toMatchObject({ text: '<b>Bold</b> news', disable_notification: true, parse_mode: 'HTML' });
  });

  it('refuses text over 4,096 characters and a caption over 1,024 before any request', async () => {
    const tooLong = await rejection(adapter().publishSegment(segment('x'.repeat(4097))));
    expect(tooLong.kind).toBe('rejected');
    expect(tooLong.message).toMatch(/text is 4097 characters; Telegram takes at most 4096/);

    const caption = await rejection(adapter().publishSegment(segment('y'.repeat(1025), { media: image('/chart.png') })));
    expect(caption.message).toMatch(/caption is 1025 characters; Telegram takes at most 1024 under a photo/);
    expect(fake.requests).toEqual([]);

    expect(adapter().check({ text: 'z'.repeat(1025), media: image('/chart.png') })).toHaveLength(1);
    expect(adapter().check({ text: 'z'.repeat(1025), media: [] })).toEqual([]);
    expect(adapter().check({ text: '  ', media: [] })).toEqual(['a Telegram message needs text']);
  });

  it('a revoked token is auth, and the token appears in no message', async () => {
    const revoked = '7000000001:AAOldRevokedSecret_zyxwvutsrqponm';
    const err = await rejection(adapter().publishSegment(segment('hello', { account: accountOf({ bot_token: revoked }) })));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/the bot token was revoked/);
    expect(`${err.message}\n${err.stack}\n${JSON.stringify(err.details)}`).not.toContain('AAOldRevokedSecret');
  });

  it('a bot kicked from the chat is auth: add it back', async () => {
    fake.configure({ kicked: true });
    const err = await rejection(adapter().publishSegment(segment('hello')));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/Forbidden: bot is not a member of the channel chat.*add the bot back/);
  });

  it('429 is rate_limited for parameters.retry_after seconds', async () => {
    fake.failNext('sendMessage', { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 35', parameters: { retry_after: 35 } }, headers: { 'retry-after': '35' } });
    const err = await rejection(adapter().publishSegment(segment('slow down')));
    expect(err.kind).toBe('rate_limited');
    expect(err.details.retryAfterMs).toBe(35_000);
  });

  it('a 5xx is transient, and what was refused is known to be absent', async () => {
    fake.failNext('sendMessage', { status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } });
    const publisher = adapter();
    const request = segment('try again');
    const err = await rejection(publisher.publishSegment(request));
    expect(err).toMatchObject({ kind: 'transient', message: 'Telegram is unavailable (HTTP 502: Bad Gateway)' });
    await expect(publisher.findPublished(request)).resolves.toBeNull();
    const ref = await publisher.publishSegment(request);
    await expect(publisher.findPublished(request)).resolves.toEqual(ref);
    expect(fake.messages).toHaveLength(1);
  });

  it("passes on Telegram's own reason for a refused message", async () => {
    const markup = await rejection(adapter().publishSegment(segment('Version 2.0 is out', { settings: { parse_mode: 'MarkdownV2' } })));
    expect(markup).toMatchObject({ kind: 'rejected', message: "Telegram refused the post: Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'" });

    const orphan = { post_id: '4242', post_url: 'x', ref: { message_id: '4242', chat_id: String(fake.chat.id) } };
    const reply = await rejection(adapter().publishSegment(segment('replying to nothing', { index: 1, total: 2, root: orphan, parent: orphan })));
    expect(reply.message).toBe('Telegram refused the post: Bad Request: message to be replied not found');

    const chat = await rejection(adapter().publishSegment(segment('wrong chat', { account: accountOf({ chat_id: '-100999' }) })));
    expect(chat.message).toBe('Telegram refused the post: Bad Request: chat not found');
  });

  it('a connection lost after sending is unknown_outcome, stays unknown, and never shows the token', async () => {
    fake.failNext('sendMessage', { status: 0, drop: true });
    const publisher = adapter();
    const request = segment('did it arrive?');
    const err = await rejection(publisher.publishSegment(request));
    expect(err.kind).toBe('unknown_outcome');
    expect(err.message).toContain('/bot<bot token>/sendMessage');
    expect(`${err.message}\n${err.stack}`).not.toContain(fake.token.split(':')[1]);
    const lookup = await rejection(publisher.findPublished(request));
    expect(lookup.kind).toBe('unknown_outcome');
    // Another process never saw the write: it cannot know either.
    expect((await rejection(adapter().findPublished(request))).kind).toBe('unknown_outcome');
  });

  it('an unreachable server is transient, its message without the token', async () => {
    const gone = await FakeTelegram.start();
    const account: PlatformAccount = { ...accountOf(), base_url: gone.url };
    await gone.close();
    const err = await rejection(adapter().publishSegment(segment('anyone?', { account })));
    expect(err.kind).toBe('transient');
    expect(err.message).not.toContain(fake.token);
    expect(err.message).toContain('<bot token>');
  });

  it('a malformed token is refused before it is put in a URL', async () => {
    const err = await rejection(adapter().publishSegment(segment('hi', { account: accountOf({ bot_token: 'not a token/../x' }) })));
    expect(err.kind).toBe('auth');
    expect(fake.requests).toEqual([]);
  });

  it('links to private supergroups by their internal id', async () => {
    fake.configure({ chat: { id: -1009876543210, type: 'supergroup', title: 'Team' } });
    const ref = await adapter().publishSegment(segment('internal note', { account: accountOf({ chat_id: '-1009876543210' }) }));
    expect(ref.post_url).toBe(`https://t.me/c/9876543210/${ref.post_id}`);
    expect(messageUrl({ id: 12345, type: 'private' }, 7)).toBe('tg://openmessage?chat_id=12345&message_id=7');
  });

  it('a group upgraded to a supergroup says which chat_id to use', () => {
    const err = telegramFailure({
      status: 400,
      headers: new Headers(),
      body: { ok: false, error_code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: -1001111 } },
    });
    expect(err.kind).toBe('rejected');
    expect(err.message).toMatch(/reconnect your Telegram account with chat_id -1001111/);
  });
});
