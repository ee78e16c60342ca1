import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtpAgent } from '@atproto/api';
import { TestNetworkNoAppView } from '@atproto/dev-env';
import sharp from 'sharp';
import { PLATFORMS, type Platform } from '../../../libs/domain';
import { FakeDiscord, FakeFacebook, FakeInstagram, FakeLinkedIn, FakeMastodon, FakeSlack, FakeTelegram, FakeThreads, FakeTiktok, FakeTwitter, FakeYoutube } from '../../../libs/platforms/testing';
import { waitFor } from '../../../libs/publishing/testing';
import { startTestApp, TestApp } from '../../support/app';

/**
 * One post published through the HTTP API to all twelve platforms at once, each one's
 * local server (a real PDS for Bluesky) read back afterwards. Slack's token is revoked
 * (a permanent failure asking to reconnect); Telegram answers 429 with Retry-After once.
 *
 * The post carries one video: YouTube needs a video and takes no images, Instagram and
 * TikTok need media, and every other platform takes a lone video. A thread cannot go to
 * all twelve in one post: TikTok posts each segment as a post of its own, which needs a
 * video or photos, while YouTube and Instagram comments take no media, and segments carry
 * the same media for every platform (`platform_overrides` replaces only the first text).
 * So the thread is a second post to the eleven others.
 */

// An ISO base media file as the platforms sniff it (`ftyp` box, brand isom), with a small `mdat`.
function mp4Bytes(): Buffer {
  const box = (type: string, payload: Buffer) => {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(8 + payload.length);
    return Buffer.concat([size, Buffer.from(type, 'latin1'), payload]);
  };
  const ftyp = box('ftyp', Buffer.concat([Buffer.from('isom', 'latin1'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2avc1mp41', 'latin1')]));
  return Buffer.concat([ftyp, box('free', Buffer.alloc(0)), box('mdat', Buffer.alloc(2048, 0x42))]);
}

/** Serves the post's media on 127.0.0.1. */
class MediaServer {
  private constructor(private readonly server: http.Server) {}

  static async start(files: Record<string, { type: string; bytes: Buffer }>): Promise<MediaServer> {
    const server = http.createServer((req, res) => {
      const file = files[new URL(req.url ?? '/', 'http://media').pathname];
      if (file) res.writeHead(200, { 'content-type': file.type, 'content-length': String(file.bytes.length) }).end(file.bytes);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new MediaServer(server);
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Passes every request on to a platform's local server, noting when each one arrived. */
class TimingProxy {
  readonly seen: { route: string; at: number }[] = [];
  private constructor(private readonly server: http.Server) {}

  static async start(target: string): Promise<TimingProxy> {
    const server = http.createServer();
    const proxy = new TimingProxy(server);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      proxy.seen.push({ route: `${req.method} ${new URL(req.url ?? '/', 'http://proxy').pathname}`, at: Date.now() });
      const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Arrival times of the requests whose path ends with `suffix`. */
  times(suffix: string): number[] {
    return this.seen.filter((s) => s.route.endsWith(suffix)).map((s) => s.at);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const SUCCEEDING = PLATFORMS.filter((p) => p !== 'slack');
const THREAD_PLATFORMS = PLATFORMS.filter((p): p is Exclude<Platform, 'tiktok'> => p !== 'tiktok');

/** Each platform's outcome in a line, so that one diff shows them all. */
function summaryOf(post: any, platforms: readonly Platform[]): Record<string, string> {
  return Object.fromEntries(
    platforms.map((p) => {
      const result = post.platform_results?.[p];
      if (!result) return [p, 'no result'];
      return [p, result.success === true ? `published after ${result.attempts} attempt(s)` : `failed after ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}: ${result.error}`];
    }),
  );
}

describe('one post to all twelve platforms through the HTTP API (embedded app, real PDS, local platform servers)', () => {
  let app: TestApp;
  let network: TestNetworkNoAppView;
  let pdsFiles: string;
  let reader: AtpAgent;
  let did: string;
  let appPassword: string;
  let media: MediaServer;
  let mastodon: FakeMastodon;
  let twitter: FakeTwitter;
  let threads: FakeThreads;
  let linkedin: FakeLinkedIn;
  let facebook: FakeFacebook;
  let instagram: FakeInstagram;
  let tiktok: FakeTiktok;
  let youtube: FakeYoutube;
  let discord: FakeDiscord;
  let slack: FakeSlack;
  let telegram: FakeTelegram;
  let telegramTraffic: TimingProxy;
  let videoUrl: string;
  let coverUrl: string;

  beforeAll(async () => {
    // The PDS keeps its SQLite files and blobs on disk: in one folder, removed afterwards.
    pdsFiles = await mkdtemp(join(tmpdir(), 'postloom-pds-'));
    await mkdir(join(pdsFiles, 'data'), { recursive: true });
    const cover = await sharp({ create: { width: 64, height: 36, channels: 3, background: '#2a6df4' } }).png().toBuffer();
    [network, media, mastodon, twitter, threads, linkedin, facebook, instagram, tiktok, youtube, discord, slack, telegram] = await Promise.all([
      TestNetworkNoAppView.create({ dbPostgresSchema: 'postloom_all_platforms', pds: { dataDirectory: join(pdsFiles, 'data'), blobstoreDiskLocation: join(pdsFiles, 'blobs') } }),
      MediaServer.start({ '/launch.mp4': { type: 'video/mp4', bytes: mp4Bytes() }, '/cover.png': { type: 'image/png', bytes: cover } }),
      FakeMastodon.start(),
      FakeTwitter.start(),
      // Containers and uploads ready at the first status read: the adapters' default pauses are seconds.
      FakeThreads.start({ processingPolls: 0 }),
      FakeLinkedIn.start({ processingPolls: 0 }),
      FakeFacebook.start(),
      FakeInstagram.start({ processingPolls: 0 }),
      FakeTiktok.start({ processingPolls: 0 }),
      FakeYoutube.start(),
      FakeDiscord.start(),
      FakeSlack.start({ sharePolls: 0 }),
      FakeTelegram.start(),
    ]);
    telegramTraffic = await TimingProxy.start(telegram.url);
    videoUrl = media.url('/launch.mp4');
    coverUrl = media.url('/cover.png');
    reader = network.pds.getClient();
    const created = await reader.createAccount({ email: 'dana@test.com', handle: 'dana.test', password: 'dana-main-password' });
    did = created.data.did;
    appPassword = (await reader.com.atproto.server.createAppPassword({ name: 'postloom' })).data.password;
    app = await startTestApp({
      env: { MEDIA_ALLOW_PRIVATE_NETWORKS: 'true', PUBLISH_RETRY_INITIAL_MS: '100', PUBLISH_RETRY_MAX_MS: '200', PUBLISH_MAX_ATTEMPTS: '3' },
    });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.all([mastodon, twitter, threads, linkedin, facebook, instagram, tiktok, youtube, discord, slack, telegram, telegramTraffic, media].map((s) => s?.close()));
    await network?.close();
    if (pdsFiles) await rm(pdsFiles, { recursive: true, force: true });
  });

  /** A new workspace with one account on each platform, every one pointing at its local server. */
  async function workspace(options: { discordBot?: boolean } = {}): Promise<{ key: string; accounts: Record<Platform, string> }> {
    const key = await app.createKey(`all-platforms-${Math.random().toString(36).slice(2)}`, { rate_limit_per_minute: 100_000 });
    const connections: Record<Platform, { credentials: Record<string, string>; base_url: string }> = {
      bluesky: { credentials: { identifier: 'dana.test', app_password: appPassword }, base_url: network.pds.url },
      mastodon: { credentials: { access_token: mastodon.accessToken }, base_url: mastodon.url },
      twitter: { credentials: { access_token: twitter.accessToken }, base_url: twitter.url },
      threads: { credentials: { access_token: threads.accessToken, user_id: threads.userId }, base_url: threads.url },
      linkedin: { credentials: { access_token: linkedin.accessToken, author_urn: linkedin.author }, base_url: linkedin.url },
      facebook: { credentials: { page_access_token: facebook.accessToken, page_id: facebook.pageId }, base_url: facebook.url },
      instagram: { credentials: { access_token: instagram.accessToken, ig_user_id: instagram.igUserId }, base_url: instagram.url },
      tiktok: { credentials: { access_token: tiktok.token }, base_url: tiktok.url },
      youtube: { credentials: { access_token: 'ya29.fake-youtube-token' }, base_url: youtube.url },
      // A bot (bot_token + channel_id) replies to the previous message; a webhook posts a run of messages.
      // The registry requires webhook_url for every Discord account (the README says a bot's
      // bot_token + channel_id suffice), so the bot account carries both.
      discord: {
        credentials: options.discordBot ? { webhook_url: discord.webhookUrl, bot_token: discord.botToken, channel_id: discord.channelId } : { webhook_url: discord.webhookUrl },
        base_url: discord.url,
      },
      slack: { credentials: { bot_token: slack.token, channel: 'C0POSTLOOM1' }, base_url: slack.apiUrl },
      telegram: { credentials: { bot_token: telegram.token, chat_id: String(telegram.chat.id) }, base_url: telegramTraffic.url },
    };
    const accounts = {} as Record<Platform, string>;
    for (const platform of PLATFORMS) {
      const connected = await app.request('POST', '/v1/accounts', { key, body: { platform, name: `${platform}-main`, ...connections[platform] } });
      expect({ platform, status: connected.status }).toEqual({ platform, status: 201 });
      accounts[platform] = connected.body.id;
    }
    return { key, accounts };
  }

  async function blueskyPosts(): Promise<{ uri: string; value: any }[]> {
    const { data } = await reader.com.atproto.repo.listRecords({ repo: did, collection: 'app.bsky.feed.post', limit: 100 });
    return data.records as { uri: string; value: any }[];
  }

  async function untilFinished(key: string, postId: string, timeoutMs = 20_000): Promise<any> {
    return waitFor(
      async () => {
        const got = await app.request('GET', `/v1/posts/${postId}`, { key });
        return got.body.status === 'published' || got.body.status === 'failed' ? got.body : null;
      },
      `post ${postId} finished publishing`,
      timeoutMs,
      50,
    );
  }

  describe('a post with a video to all twelve; Slack revoked, Telegram rate limited once', () => {
    const text = 'Launch day: one post, twelve platforms, one video. Thanks for building it with us.';
    const youtubeTitle = 'Postloom launch day';
    let key: string;
    let body: Record<string, unknown>;
    let post: any;

    beforeAll(async () => {
      ({ key } = await workspace());
      body = {
        content: text,
        platforms: [...PLATFORMS],
        media: { video: { url: videoUrl, thumbnail_url: coverUrl } },
        platform_settings: {
          youtube: { title: youtubeTitle, privacy: 'unlisted' },
          tiktok: { privacy_level: 'PUBLIC_TO_EVERYONE' },
          mastodon: { visibility: 'unlisted' },
          twitter: { who_can_reply: 'following' },
          linkedin: { visibility: 'CONNECTIONS' },
        },
      };
      // The app was uninstalled from the Slack workspace: every call answers token_revoked.
      slack.configure({ revoked: true });
      // Telegram's flood control, once: Retry-After 1 s (and its own retry_after), then it takes the video.
      telegram.failNext('sendVideo', {
        status: 429,
        body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } },
        headers: { 'retry-after': '1' },
      });
      const created = await app.request('POST', '/v1/posts', { key, body });
      expect(created.status).toBe(201);
      const published = await app.request('POST', `/v1/posts/${created.body.id}/publish`, { key });
      expect(published.status).toBe(202);
      post = await untilFinished(key, created.body.id);
    }, 60_000);

    it('passes /v1/posts/validate for all twelve platforms at once', async () => {
      const validation = await app.request('POST', '/v1/posts/validate', { key, body });
      expect(validation.status).toBe(200);
      expect(validation.body).toEqual({ valid: true, problems: [] });
    });

    it('is published with a result for each of the twelve: eleven published (Telegram at its second attempt), Slack failed', () => {
      expect(post.status).toBe('published');
      expect(post.published_at).toEqual(expect.stringMatching(/Z$/));
      expect(Object.keys(post.platform_results).sort()).toEqual([...PLATFORMS].sort());
      expect(summaryOf(post, PLATFORMS)).toEqual(
        Object.fromEntries(PLATFORMS.map((p) => [p, p === 'slack' ? expect.stringMatching(/^failed after 1 attempt: /) : `published after ${p === 'telegram' ? 2 : 1} attempt(s)`])),
      );
      expect(Object.fromEntries(SUCCEEDING.map((p) => [p, post.platform_results[p]]))).toMatchObject(
        Object.fromEntries(SUCCEEDING.map((p) => [p, { success: true, post_id: expect.stringMatching(/\S/), post_url: expect.stringMatching(/^https?:\/\/\S+$/), published_at: expect.stringMatching(/Z$/) }])),
      );
    });

    it('Slack, whose token was revoked, failed after one attempt with a reason asking to reconnect the account, and got nothing', () => {
      expect(post.platform_results.slack).toMatchObject({ success: false, post_id: null, attempts: 1, error: expect.stringMatching(/Slack.*token_revoked.*reconnect your Slack account/) });
      expect(slack.messages).toHaveLength(0);
      expect(slack.callsOf('chat.postMessage') + slack.callsOf('files.completeUploadExternal')).toBe(0);
    });

    it('Telegram, refused once with 429 Retry-After: 1, waited the second and then took the video exactly once', () => {
      expect(post.platform_results.telegram).toMatchObject({ success: true, attempts: 2 });
      const sends = telegramTraffic.times('/sendVideo');
      expect(sends).toHaveLength(2);
      // The retry backoff here is at most 200 ms: only the Retry-After explains a second's wait.
      expect(sends[1] - sends[0]).toBeGreaterThanOrEqual(990);
      const videos = telegram.messages.filter((m) => m.caption === text);
      expect(videos).toHaveLength(1);
      expect(videos[0]).toMatchObject({ method: 'sendVideo', chat_id: telegram.chat.id, file: { type: 'video', mime: 'video/mp4' } });
      expect(String(videos[0].message_id)).toBe(post.platform_results.telegram.post_id);
    });

    const received: Record<Exclude<Platform, 'slack' | 'telegram'>, () => Promise<void> | void> = {
      bluesky: async () => {
        const records = (await blueskyPosts()).filter((r) => r.value.text === text);
        expect(records).toHaveLength(1);
        expect(records[0].uri).toBe(post.platform_results.bluesky.post_id);
        expect(records[0].value.embed).toMatchObject({ $type: 'app.bsky.embed.video', video: { mimeType: 'video/mp4' } });
        expect(post.platform_results.bluesky.post_url).toContain('bsky.app');
      },
      mastodon: () => {
        const statuses = mastodon.statuses.filter((s) => s.text === text);
        expect(statuses).toHaveLength(1);
        expect(statuses[0]).toMatchObject({ id: post.platform_results.mastodon.post_id, visibility: 'unlisted', in_reply_to_id: null, media: [{ mime: 'video/mp4' }] });
      },
      twitter: () => {
        const tweets = twitter.tweets.filter((t) => t.text === text);
        expect(tweets).toHaveLength(1);
        expect(tweets[0]).toMatchObject({ id: post.platform_results.twitter.post_id, replySettings: 'following', media: [{ mime: 'video/mp4', category: 'tweet_video' }] });
      },
      threads: () => {
        const posts = threads.posts.filter((p) => p.text === text);
        expect(posts).toHaveLength(1);
        expect(posts[0]).toMatchObject({ id: post.platform_results.threads.post_id, mediaType: 'VIDEO', media: [{ type: 'VIDEO', url: videoUrl }] });
      },
      linkedin: () => {
        const posts = linkedin.posts.filter((p) => p.text === text);
        expect(posts).toHaveLength(1);
        expect(posts[0]).toMatchObject({ urn: post.platform_results.linkedin.post_id, visibility: 'CONNECTIONS', content: { media: { id: expect.stringMatching(/^urn:li:video:/) } } });
      },
      facebook: () => {
        const posts = facebook.posts.filter((p) => p.message === text);
        expect(posts).toHaveLength(1);
        expect(posts[0]).toMatchObject({ id: post.platform_results.facebook.post_id, kind: 'video', video: { file_url: videoUrl, mime: 'video/mp4' } });
      },
      instagram: () => {
        const reels = instagram.media.filter((m) => m.caption === text);
        expect(reels).toHaveLength(1);
        expect(reels[0]).toMatchObject({ id: post.platform_results.instagram.post_id, media_product_type: 'REELS', container: { params: { video_url: videoUrl, cover_url: coverUrl } } });
      },
      tiktok: () => {
        const videos = tiktok.posts.filter((p) => p.title === text);
        expect(videos).toHaveLength(1);
        expect(videos[0]).toMatchObject({ kind: 'video', status: 'PUBLISH_COMPLETE', privacyLevel: 'PUBLIC_TO_EVERYONE', mediaUrls: [videoUrl], pulled: [{ mime: 'video/mp4' }] });
        expect(videos[0].postId).toBe(post.platform_results.tiktok.post_id);
      },
      youtube: () => {
        const videos = youtube.videos.filter((v) => v.description === text);
        expect(videos).toHaveLength(1);
        expect(videos[0]).toMatchObject({ id: post.platform_results.youtube.post_id, title: youtubeTitle, privacyStatus: 'unlisted', mime: 'video/mp4' });
        expect(videos[0].bytes.equals(mp4Bytes())).toBe(true);
      },
      discord: () => {
        const messages = discord.messages.filter((m) => m.content === text);
        expect(messages).toHaveLength(1);
        expect(messages[0]).toMatchObject({ id: post.platform_results.discord.post_id, channel_id: discord.channelId, attachments: [{ content_type: 'video/mp4' }] });
      },
    };

    it.each(Object.keys(received))('%s received the post exactly once, with the text and the video', async (platform) => {
      expect(post.platform_results[platform]?.success).toBe(true);
      await received[platform as keyof typeof received]();
    });
  });

  describe('a 2-segment thread (video, then a text reply) to the eleven platforms that can thread it', () => {
    const first = 'Thread time: what shipped this week, with a short demo video.';
    const second = 'Second part: every reply is linked the way its platform links replies.';
    let post: any;

    beforeAll(async () => {
      slack.configure({ revoked: false });
      const { key } = await workspace({ discordBot: true });
      const created = await app.request('POST', '/v1/posts', {
        key,
        body: {
          content: first,
          platforms: [...THREAD_PLATFORMS],
          media: { video: { url: videoUrl } },
          segments: [{ content: second }],
          platform_settings: { youtube: { title: 'What shipped this week' } },
        },
      });
      expect(created.status).toBe(201);
      expect((await app.request('POST', `/v1/posts/${created.body.id}/publish`, { key })).status).toBe(202);
      post = await untilFinished(key, created.body.id);
    }, 60_000);

    it('is published on all eleven at the first attempt, with both segments recorded', () => {
      expect(post.status).toBe('published');
      expect(Object.keys(post.platform_results).sort()).toEqual([...THREAD_PLATFORMS].sort());
      expect(summaryOf(post, THREAD_PLATFORMS)).toEqual(Object.fromEntries(THREAD_PLATFORMS.map((p) => [p, 'published after 1 attempt(s)'])));
      const segment = { post_id: expect.stringMatching(/\S/), post_url: expect.stringMatching(/^https?:\/\//) };
      expect(Object.fromEntries(THREAD_PLATFORMS.map((p) => [p, post.platform_results[p]]))).toMatchObject(
        Object.fromEntries(THREAD_PLATFORMS.map((p) => [p, { success: true, post_id: post.platform_results[p]?.segments?.[0]?.post_id, segments: [segment, segment] }])),
      );
    });

    /** The ids of the two segments on one platform. */
    const ids = (platform: Platform): [string, string] => {
      const [root, reply] = post.platform_results[platform].segments as { post_id: string }[];
      return [root.post_id, reply.post_id];
    };

    const linked: Record<(typeof THREAD_PLATFORMS)[number], () => Promise<void> | void> = {
      bluesky: async () => {
        const [root, reply] = ids('bluesky');
        const records = await blueskyPosts();
        expect(records.filter((r) => r.value.text === second)).toHaveLength(1);
        expect(records.find((r) => r.uri === reply)?.value).toMatchObject({ text: second, reply: { root: { uri: root }, parent: { uri: root } } });
      },
      mastodon: () => {
        const [root, reply] = ids('mastodon');
        expect(mastodon.statuses.filter((s) => s.text === second)).toEqual([expect.objectContaining({ id: reply, in_reply_to_id: root })]);
      },
      twitter: () => {
        const [root, reply] = ids('twitter');
        expect(twitter.tweets.filter((t) => t.text === second)).toEqual([expect.objectContaining({ id: reply, inReplyTo: root })]);
      },
      threads: () => {
        const [root, reply] = ids('threads');
        expect(threads.posts.filter((p) => p.text === second)).toEqual([expect.objectContaining({ id: reply, replyTo: root, mediaType: 'TEXT' })]);
      },
      linkedin: () => {
        const [root, reply] = ids('linkedin');
        expect(linkedin.comments.filter((c) => c.text === second)).toEqual([expect.objectContaining({ commentUrn: reply, postUrn: root, actor: linkedin.author })]);
      },
      facebook: () => {
        const [root, reply] = ids('facebook');
        expect(facebook.comments.filter((c) => c.message === second)).toEqual([expect.objectContaining({ id: reply, objectId: root })]);
      },
      instagram: () => {
        const [root, reply] = ids('instagram');
        expect(instagram.comments.filter((c) => c.text === second)).toEqual([expect.objectContaining({ id: reply, mediaId: root })]);
      },
      youtube: () => {
        const [root, reply] = ids('youtube');
        expect(youtube.comments.filter((c) => c.text === second)).toEqual([expect.objectContaining({ id: reply, videoId: root })]);
      },
      discord: () => {
        const [root, reply] = ids('discord');
        expect(discord.messages.filter((m) => m.content === second)).toEqual([expect.objectContaining({ id: reply, message_reference: { message_id: root, channel_id: discord.channelId } })]);
      },
      slack: () => {
        const [root, reply] = ids('slack');
        expect(slack.messages.filter((m) => m.text === first)).toEqual([expect.objectContaining({ ts: root, files: [expect.any(String)] })]);
        expect(slack.messages.filter((m) => m.text === second)).toEqual([expect.objectContaining({ ts: reply, thread_ts: root, channel: 'C0POSTLOOM1' })]);
      },
      telegram: () => {
        const [root, reply] = ids('telegram');
        expect(telegram.messages.filter((m) => m.text === second)).toEqual([expect.objectContaining({ message_id: Number(reply), method: 'sendMessage', reply_to_message_id: Number(root) })]);
      },
    };

    it.each(Object.keys(linked))('%s got the second segment once, linked to the first the platform’s way', async (platform) => {
      expect(post.platform_results[platform]?.success).toBe(true);
      await linked[platform as keyof typeof linked]();
    });
  });
});
