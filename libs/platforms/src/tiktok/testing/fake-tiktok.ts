import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { isVideoType, sniffMime } from '../../media/sniff';
import { FakeOAuth } from '../../testing/fake-oauth';
import { LocalPlatformServer, ScriptedFailures } from '../../testing/fake-server';

/**
 * TikTok's Content Posting API on 127.0.0.1 for tests: creator info, direct-post init for
 * videos and photos (media pulled from their URLs, as TikTok does: the fake downloads
 * them), status fetch, and the Display API's video list. It refuses what TikTok refuses,
 * with `{data, error: {code, message, log_id}}` bodies: bad tokens and missing scopes,
 * a missing JSON content type, a privacy level the creator does not offer, captions over
 * their limits, more than 6 inits a minute per token, URLs outside the verified prefixes;
 * and a post whose media cannot be pulled, or is not a video / JPEG / WebP, ends FAILED.
 * Post ids are 64-bit integers written raw into the JSON, as TikTok writes them.
 */

export interface FakeTiktokOptions {
  token?: string;
  scopes?: string[];
  username?: string;
  privacyOptions?: string[];
  commentDisabled?: boolean;
  duetDisabled?: boolean;
  stitchDisabled?: boolean;
  /** URL prefixes verified for the app; undefined takes any URL. */
  verifiedUrlPrefixes?: string[];
  /** Status reads that still answer PROCESSING_UPLOAD once the media is downloaded. */
  processingPolls?: number;
  /** Init answers spam_risk_too_many_posts (the account's daily cap). */
  dailyCapReached?: boolean;
}

export interface FakeTiktokPulled {
  url: string;
  mime?: string;
  size: number;
}

export interface FakeTiktokPost {
  publishId: string;
  kind: 'video' | 'photo';
  /** Video caption, or photo title. */
  title?: string;
  description?: string;
  privacyLevel: string;
  disableComment: boolean;
  disableDuet?: boolean;
  disableStitch?: boolean;
  mediaUrls: string[];
  coverIndex?: number;
  pulled: FakeTiktokPulled[];
  status: 'PROCESSING_DOWNLOAD' | 'PROCESSING_UPLOAD' | 'PUBLISH_COMPLETE' | 'FAILED';
  failReason?: string;
  pendingPolls: number;
  postId?: string;
  createTime: number;
}

export interface FakeTiktokFailure {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Handle the request (it takes effect) but close the connection instead of answering. */
  dropAnswer?: boolean;
}

const INIT_LIMIT = 6;
const INIT_WINDOW_MS = 60_000;
const PHOTO_TYPES = ['image/jpeg', 'image/webp'];
const FIRST_POST_ID = 7_345_678_901_234_567_890n;

class Refusal {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
  ) {}
}

export class FakeTiktok extends LocalPlatformServer {
  readonly posts: FakeTiktokPost[] = [];
  /** Every request, in order: `METHOD /path`. */
  readonly requests: string[] = [];
  private readonly failures = new ScriptedFailures<FakeTiktokFailure>();
  private readonly inits: number[] = [];
  private readonly pulls: Array<Promise<void>> = [];
  private nextPostId = FIRST_POST_ID;
  /**
   * TikTok Login Kit for web (developers.tiktok.com/doc/oauth-user-access-token-management):
   * `GET /v2/auth/authorize/`, `POST /v2/oauth/token/` (client_key and client_secret in the
   * form; 24-hour tokens, refresh tokens rotated as the newer revision says), and the user at
   * `GET /v2/user/info/`. A dead refresh token: invalid_grant (OAUTH.md S29-S31).
   */
  readonly oauth: FakeOAuth;
  readonly openId = '-000fakeOpenId0000';
  private options: Required<Omit<FakeTiktokOptions, 'verifiedUrlPrefixes'>> & Pick<FakeTiktokOptions, 'verifiedUrlPrefixes'>;

  private constructor(options: FakeTiktokOptions) {
    super('application/json; charset=UTF-8');
    this.options = {
      token: 'act.fake-tiktok-token',
      scopes: ['user.info.basic', 'video.publish', 'video.list'],
      username: 'postloom',
      privacyOptions: ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY'],
      commentDisabled: false,
      duetDisabled: false,
      stitchDisabled: false,
      processingPolls: 1,
      dailyCapReached: false,
      ...options,
    };
    this.oauth = new FakeOAuth({
      clientAuth: 'body',
      clientIdParam: 'client_key',
      accessTokenTtlS: 86_400,
      refreshTokenTtlS: 365 * 86_400,
      issuesRefreshTokens: true,
      rotates: true,
      pkce: 'none',
      deadGrant: { status: 400, body: { error: 'invalid_grant', error_description: 'Refresh token is invalid or expired.', log_id: 'fake-log' } },
      onAccessToken: (token) => {
        this.options = { ...this.options, token };
      },
      tokenExtras: () => ({ open_id: this.openId, scope: this.options.scopes.join(',') }),
    });
  }

  static async start(options: FakeTiktokOptions = {}): Promise<FakeTiktok> {
    const fake = new FakeTiktok(options);
    await fake.listen();
    return fake;
  }

  get token(): string {
    return this.options.token;
  }

  configure(options: FakeTiktokOptions): void {
    this.options = { ...this.options, ...options };
    if (options.processingPolls !== undefined) for (const post of this.posts) post.pendingPolls = Math.min(post.pendingPolls, options.processingPolls);
  }

  /** The next request to `path` (`"/v2/post/publish/video/init/"`) gets this answer instead. */
  failNext(path: string, failure: FakeTiktokFailure): void {
    this.failures.add(path, failure);
  }

  private accepts(authorization: string | undefined): boolean {
    return authorization === `Bearer ${this.options.token}` || this.oauth.accepts(authorization);
  }

  callsOf(path: string): number {
    return this.requests.filter((r) => r === `POST ${path}`).length;
  }

  /** Resolves once every media pull started so far has finished (downloaded or failed). */
  async settled(): Promise<void> {
    await Promise.all(this.pulls);
  }

  override async close(): Promise<void> {
    await this.settled();
    await super.close();
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await this.readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push(`${req.method} ${url.pathname}`);
    if (req.method === 'GET' && url.pathname === '/v2/auth/authorize/') {
      res.writeHead(302, { location: this.oauth.authorize(url) }).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v2/oauth/token/') {
      const [status, payload] = this.oauth.token(new URLSearchParams(body.toString('utf8')), req.headers.authorization);
      return this.writeJson(res, status, payload);
    }
    if (req.method === 'GET' && url.pathname === '/v2/user/info/') {
      if (!this.accepts(req.headers.authorization)) return this.writeJson(res, 401, { data: {}, error: { code: 'access_token_invalid', message: 'The access token is invalid or not found in the request.', log_id: this.logId() } });
      return this.writeJson(res, 200, { data: { user: { open_id: this.openId, display_name: 'Postloom', username: this.options.username } }, error: { code: 'ok', message: '', log_id: this.logId() } });
    }
    const failure = this.failures.take(url.pathname);
    const send = (status: number, json: string, headers: Record<string, string> = {}): void => {
      if (failure?.dropAnswer) this.hangUp(req);
      else this.writeJsonText(res, status, json, headers);
    };
    const ok = (data: string) => send(200, `{"data":${data},"error":{"code":"ok","message":"","log_id":"${this.logId()}"}}`);
    if (failure && !failure.dropAnswer) {
      const status = failure.status ?? 500;
      return send(status, JSON.stringify(failure.body ?? { data: {}, error: { code: 'internal_error', message: 'Something went wrong.', log_id: this.logId() } }), failure.headers);
    }
    try {
      if (req.method !== 'POST') throw new Refusal(405, 'invalid_params', 'Method not allowed');
      if (!this.accepts(req.headers.authorization)) throw new Refusal(401, 'access_token_invalid', 'The access token is invalid or not found in the request.');
      if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) throw new Refusal(400, 'invalid_params', 'Content-Type must be application/json; charset=UTF-8');
      const input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, any>) : {};
      switch (url.pathname) {
        case '/v2/post/publish/creator_info/query/':
          this.requireScope('video.publish');
          return ok(JSON.stringify(this.creatorInfo()));
        case '/v2/post/publish/video/init/':
        case '/v2/post/publish/content/init/':
          this.requireScope('video.publish');
          return ok(JSON.stringify({ publish_id: this.init(url.pathname.includes('/video/') ? 'video' : 'photo', input) }));
        case '/v2/post/publish/status/fetch/':
          this.requireScope('video.publish');
          return ok(this.status(input));
        case '/v2/video/list/':
          this.requireScope('video.list');
          return ok(JSON.stringify(this.videoList(input)));
        default:
          throw new Refusal(404, 'invalid_params', 'Not found');
      }
    } catch (err) {
      const refusal = err instanceof Refusal ? err : err instanceof SyntaxError ? new Refusal(400, 'invalid_params', 'The request body is not valid JSON.') : new Refusal(500, 'internal_error', 'Something went wrong.');
      send(refusal.status, JSON.stringify({ data: {}, error: { code: refusal.code, message: refusal.message, log_id: this.logId() } }));
    }
  }

  private logId(): string {
    return `202603011200${randomBytes(8).toString('hex').toUpperCase()}`;
  }

  private requireScope(scope: string): void {
    if (!this.options.scopes.includes(scope)) throw new Refusal(401, 'scope_not_authorized', `The user did not authorize the scope required for completing this request: ${scope}.`);
  }

  private creatorInfo() {
    const o = this.options;
    return {
      creator_avatar_url: `${this.url}/avatar.jpg`,
      creator_username: o.username,
      creator_nickname: 'Postloom',
      privacy_level_options: o.privacyOptions,
      comment_disabled: o.commentDisabled,
      duet_disabled: o.duetDisabled,
      stitch_disabled: o.stitchDisabled,
      max_video_post_duration_sec: 600,
    };
  }

  private checkUrl(url: unknown): string {
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new Refusal(400, 'invalid_params', 'The media URL is invalid.');
    const prefixes = this.options.verifiedUrlPrefixes;
    if (prefixes && !prefixes.some((p) => url.startsWith(p))) {
      throw new Refusal(403, 'url_ownership_unverified', 'To use a URL as the source, the ownership of the domain or URL prefix must be verified.');
    }
    return url;
  }

  private init(kind: 'video' | 'photo', input: Record<string, any>): string {
    const now = Date.now();
    while (this.inits.length > 0 && this.inits[0] <= now - INIT_WINDOW_MS) this.inits.shift();
    if (this.inits.length >= INIT_LIMIT) throw new Refusal(429, 'rate_limit_exceeded', 'API rate limit was exceeded. Please try again later.');
    this.inits.push(now);
    if (this.options.dailyCapReached) throw new Refusal(403, 'spam_risk_too_many_posts', 'The daily post cap for this user has been reached.');

    const info = (input.post_info ?? {}) as Record<string, unknown>;
    const source = (input.source_info ?? {}) as Record<string, unknown>;
    const privacy = info.privacy_level;
    if (typeof privacy !== 'string') throw new Refusal(400, 'invalid_params', 'post_info.privacy_level is required.');
    if (!this.options.privacyOptions.includes(privacy)) throw new Refusal(400, 'privacy_level_option_mismatch', 'privacy_level is not among the privacy_level_options returned by creator_info.');
    // FILE_UPLOAD (chunked PUTs to an upload_url) is real but not served here: the adapter pulls from URLs.
    if (source.source !== 'PULL_FROM_URL') throw new Refusal(400, 'invalid_params', 'source_info.source must be PULL_FROM_URL here.');
    const flag = (key: string) => {
      if (info[key] !== undefined && typeof info[key] !== 'boolean') throw new Refusal(400, 'invalid_params', `post_info.${key} must be a boolean.`);
      return info[key] === true;
    };
    const title = typeof info.title === 'string' ? info.title : undefined;
    const base = { publishId: '', privacyLevel: privacy, disableComment: flag('disable_comment'), pulled: [], status: 'PROCESSING_DOWNLOAD' as const, pendingPolls: this.options.processingPolls, createTime: Math.floor(now / 1000) };
    let post: FakeTiktokPost;
    if (kind === 'video') {
      if (title !== undefined && title.length > 2200) throw new Refusal(400, 'invalid_params', 'post_info.title exceeds 2200 characters.');
      post = { ...base, publishId: `v_pub_url~v2-1.${randomBytes(9).toString('hex')}`, kind, ...(title !== undefined ? { title } : {}), disableDuet: flag('disable_duet'), disableStitch: flag('disable_stitch'), mediaUrls: [this.checkUrl(source.video_url)] };
    } else {
      if (input.post_mode !== 'DIRECT_POST' && input.post_mode !== 'MEDIA_UPLOAD') throw new Refusal(400, 'invalid_params', 'post_mode must be DIRECT_POST or MEDIA_UPLOAD.');
      if (input.media_type !== 'PHOTO') throw new Refusal(400, 'invalid_params', 'media_type must be PHOTO.');
      const images = source.photo_images;
      if (!Array.isArray(images) || images.length === 0 || images.length > 35) throw new Refusal(400, 'invalid_params', 'source_info.photo_images must hold 1 to 35 URLs.');
      const cover = Number(source.photo_cover_index ?? 0);
      if (!Number.isInteger(cover) || cover < 0 || cover >= images.length) throw new Refusal(400, 'invalid_params', 'source_info.photo_cover_index is out of range.');
      if (title !== undefined && title.length > 90) throw new Refusal(400, 'invalid_params', 'post_info.title exceeds 90 characters.');
      const description = typeof info.description === 'string' ? info.description : undefined;
      if (description !== undefined && description.length > 4000) throw new Refusal(400, 'invalid_params', 'post_info.description exceeds 4000 characters.');
      post = { ...base, publishId: `p_pub_url~v2.${randomBytes(9).toString('hex')}`, kind, ...(title !== undefined ? { title } : {}), ...(description !== undefined ? { description } : {}), mediaUrls: images.map((u) => this.checkUrl(u)), coverIndex: cover };
    }
    this.posts.push(post);
    this.pulls.push(this.pull(post));
    return post.publishId;
  }

  /** TikTok downloads the media itself; what it cannot fetch or read fails the post. */
  private async pull(post: FakeTiktokPost): Promise<void> {
    for (const url of post.mediaUrls) {
      let bytes: Buffer;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        bytes = Buffer.from(await response.arrayBuffer());
      } catch {
        post.status = 'FAILED';
        post.failReason = post.kind === 'video' ? 'video_pull_failed' : 'photo_pull_failed';
        return;
      }
      const mime = sniffMime(bytes);
      post.pulled.push({ url, size: bytes.length, ...(mime ? { mime } : {}) });
      const readable = post.kind === 'video' ? mime !== undefined && isVideoType(mime) : mime !== undefined && PHOTO_TYPES.includes(mime);
      if (!readable) {
        post.status = 'FAILED';
        post.failReason = 'file_format_check_failed';
        return;
      }
    }
    post.status = 'PROCESSING_UPLOAD';
    // Private posts get no public id; a public one has its id from here, shown once complete.
    if (post.privacyLevel !== 'SELF_ONLY') post.postId = String(this.nextPostId++);
  }

  private status(input: Record<string, unknown>): string {
    const post = this.posts.find((p) => p.publishId === input.publish_id);
    if (!post) throw new Refusal(400, 'invalid_params', 'publish_id is invalid.');
    if (post.status === 'PROCESSING_UPLOAD') {
      if (post.pendingPolls > 0) post.pendingPolls--;
      else post.status = 'PUBLISH_COMPLETE';
    }
    const downloaded = post.pulled.reduce((sum, p) => sum + p.size, 0);
    // Written by hand: the id is a 64-bit integer, as TikTok sends it.
    const ids = post.status === 'PUBLISH_COMPLETE' ? post.postId ?? '' : '';
    return `{"status":"${post.status}","fail_reason":"${post.failReason ?? ''}","publicaly_available_post_id":[${ids}],"uploaded_bytes":0,"downloaded_bytes":${downloaded}}`;
  }

  private videoList(input: Record<string, unknown>) {
    const max = Math.min(Number(input.max_count ?? 10), 20);
    const videos = this.posts
      .filter((p) => p.postId !== undefined && p.status !== 'FAILED')
      .reverse()
      .slice(0, max)
      .map((p) => ({
        id: p.postId,
        title: p.kind === 'photo' ? p.title ?? '' : '',
        video_description: p.kind === 'video' ? p.title ?? '' : p.description ?? '',
        create_time: p.createTime,
        share_url: `https://www.tiktok.com/@${this.options.username}/${p.kind}/${p.postId}?utm_source=share`,
      }));
    return { videos, cursor: 0, has_more: false };
  }
}
