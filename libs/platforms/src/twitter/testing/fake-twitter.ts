import * as http from 'node:http';
import { parseTweet } from 'twitter-text';
import { sniffMime } from '../../media/sniff';
import { FakeOAuth } from '../../testing/fake-oauth';
import { LocalPlatformServer, ScriptedFailures } from '../../testing/fake-server';

/**
 * X API v2 on 127.0.0.1 for tests: `POST /2/tweets`, the v2 media upload (one-shot for
 * images; initialize / append / finalize / STATUS for videos and GIFs, processed after a
 * few status reads), alt text metadata, `GET /2/users/me` and the user's posts, which it
 * gives back as X does (entities escaped, links as t.co, a t.co link for media).
 * Refuses what X refuses: a missing or wrong Bearer token, text over 280 weighted,
 * duplicate content, a reply to an unknown post, unknown or unprocessed media ids,
 * unknown `reply_settings`, alt text over 1,000. Answers errors as problem documents
 * (`{title, detail, type, status}`), records what it accepted, can fail the next requests.
 */

export interface FakeTwitterOptions {
  accessToken?: string;
  userId?: string;
  username?: string;
  /** Videos and GIFs answer `in_progress` to this many status reads before `succeeded`. */
  processingPolls?: number;
}

export type FakeFailure = { status: number; body?: unknown; headers?: Record<string, string> } | { drop: 'before' | 'after' };

export interface FakeMedia {
  id: string;
  category: string;
  mime: string;
  declaredBytes?: number;
  chunks: Buffer[];
  altText?: string;
  state: 'uploading' | 'pending' | 'in_progress' | 'succeeded';
  pendingPolls: number;
  usedBy?: string;
}

export interface FakeTweet {
  id: string;
  text: string;
  authorId: string;
  inReplyTo?: string;
  replySettings?: string;
  media: Array<{ id: string; mime: string; altText?: string; category: string }>;
  createdAt: string;
}

class Problem {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly type = 'about:blank',
    readonly errors?: Array<{ message: string; parameters?: Record<string, unknown> }>,
  ) {}
}

const REPLY_SETTINGS = ['following', 'mentionedUsers', 'subscribers', 'verified'];
const invalidRequest = (message: string) => new Problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', 'https://api.twitter.com/2/problems/invalid-request', [{ message }]);

export class FakeTwitter extends LocalPlatformServer {
  readonly tweets: FakeTweet[] = [];
  readonly media = new Map<string, FakeMedia>();
  /** Every request, in order: `METHOD /path`. */
  readonly requests: string[] = [];
  private readonly failures = new ScriptedFailures<FakeFailure>();
  private readonly options: Required<FakeTwitterOptions>;
  private nextId = 1_860_000_000_000_000_000n;
  /**
   * OAuth 2.0 with PKCE as X runs it (docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code):
   * `GET /i/oauth2/authorize`, `POST /2/oauth2/token` (Basic client auth, 2-hour tokens,
   * rotating refresh tokens), `POST /2/oauth2/revoke`. A dead refresh token is answered
   * 400 invalid_request "Value passed for the token was invalid." (OAUTH.md).
   */
  readonly oauth: FakeOAuth;

  private constructor(options: FakeTwitterOptions) {
    super('application/json; charset=utf-8');
    this.options = { accessToken: 'fake-x-token', userId: '2244994945', username: 'fakeposter', processingPolls: 1, ...options };
    this.oauth = new FakeOAuth({
      clientAuth: 'basic',
      accessTokenTtlS: 7200,
      issuesRefreshTokens: true,
      rotates: true,
      pkce: 'required',
      deadGrant: { status: 400, body: { error: 'invalid_request', error_description: 'Value passed for the token was invalid.' } },
      onAccessToken: (token) => {
        this.options.accessToken = token;
      },
    });
  }

  static async start(options: FakeTwitterOptions = {}): Promise<FakeTwitter> {
    const fake = new FakeTwitter(options);
    await fake.listen();
    return fake;
  }

  get accessToken(): string {
    return this.options.accessToken;
  }

  get userId(): string {
    return this.options.userId;
  }

  /** The next `times` requests to `route` (`"POST /2/tweets"`, or `"*"`) get this answer instead. */
  failNext(route: string, failure: FakeFailure, times = 1): void {
    this.failures.add(route, failure, times);
  }

  requestsTo(route: string): number {
    return this.requests.filter((r) => r === route).length;
  }

  private newId(): string {
    return String(this.nextId++);
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => this.writeJson(res, status, payload, headers);
    const body = await this.readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    const route = `${req.method} ${url.pathname}`;
    this.requests.push(route);

    if (req.method === 'GET' && url.pathname === '/i/oauth2/authorize') {
      res.writeHead(302, { location: this.oauth.authorize(url) }).end();
      return;
    }
    const failure = this.failures.take(route);
    if (failure) {
      if ('drop' in failure) {
        if (failure.drop === 'after') await this.answer(req, url, body).catch(() => undefined);
        return this.hangUp(req);
      }
      const title = http.STATUS_CODES[failure.status] ?? 'Error';
      return send(failure.status, failure.body ?? { title, detail: title, type: 'about:blank', status: failure.status }, failure.headers);
    }
    try {
      const [status, payload] = await this.answer(req, url, body);
      send(status, payload);
    } catch (err) {
      if (err instanceof Problem) return send(err.status, { ...(err.errors ? { errors: err.errors } : {}), title: err.title, detail: err.detail, type: err.type, status: err.status });
      send(500, { title: 'Internal Server Error', detail: (err as Error).message, type: 'about:blank', status: 500 });
    }
  }

  private async answer(req: http.IncomingMessage, url: URL, body: Buffer): Promise<[number, unknown]> {
    if (req.method === 'POST' && url.pathname === '/2/oauth2/token') return this.oauth.token(new URLSearchParams(body.toString('utf8')), req.headers.authorization);
    if (req.method === 'POST' && url.pathname === '/2/oauth2/revoke') {
      this.oauth.revoke();
      return [200, { revoked: true }];
    }
    if (req.headers.authorization !== `Bearer ${this.options.accessToken}` && !this.oauth.accepts(req.headers.authorization)) throw new Problem(401, 'Unauthorized', 'Unauthorized');
    const route = `${req.method} ${url.pathname}`;
    const json = () => {
      if (!(req.headers['content-type'] ?? '').includes('application/json')) throw invalidRequest('Content-Type must be application/json');
      return JSON.parse(body.toString('utf8') || '{}') as Record<string, any>;
    };
    const form = () => this.formOf(body, req.headers['content-type'] ?? '');
    if (route === 'POST /2/tweets') return [201, this.createTweet(json())];
    if (route === 'POST /2/media/upload') return [200, await this.simpleUpload(await form())];
    if (route === 'POST /2/media/upload/initialize') return [200, this.initialize(json())];
    if (route === 'GET /2/media/upload' && url.searchParams.get('command') === 'STATUS') return [200, this.status(url.searchParams.get('media_id') ?? '')];
    if (route === 'POST /2/media/metadata') return [200, this.metadata(json())];
    if (route === 'GET /2/users/me') return [200, { data: { id: this.options.userId, name: 'Fake Poster', username: this.options.username } }];
    const append = /^\/2\/media\/upload\/([^/]+)\/(append|finalize)$/.exec(url.pathname);
    if (req.method === 'POST' && append) return [200, append[2] === 'append' ? this.append(append[1], await form()) : this.finalize(append[1])];
    const timeline = /^\/2\/users\/([^/]+)\/tweets$/.exec(url.pathname);
    if (req.method === 'GET' && timeline) return [200, this.timeline(timeline[1], url.searchParams)];
    throw new Problem(404, 'Not Found Error', `Could not find ${url.pathname}`, 'https://api.twitter.com/2/problems/resource-not-found');
  }

  private createTweet(input: Record<string, any>): unknown {
    const text = typeof input.text === 'string' ? input.text : '';
    const mediaIds: string[] = Array.isArray(input.media?.media_ids) ? input.media.media_ids.map(String) : [];
    if (text === '' && mediaIds.length === 0) throw invalidRequest('You must provide text or media.');
    if (!parseTweet(text).valid && text !== '') throw new Problem(403, 'Forbidden', 'You are not permitted to perform this action.', 'about:blank');
    if (mediaIds.length > 4) throw invalidRequest('Your media IDs are invalid.');
    const media = mediaIds.map((id) => {
      const m = this.media.get(id);
      if (!m || m.state !== 'succeeded' || m.usedBy) throw invalidRequest('Your media IDs are invalid.');
      return m;
    });
    const replyTo = input.reply?.in_reply_to_tweet_id === undefined ? undefined : String(input.reply.in_reply_to_tweet_id);
    if (replyTo !== undefined && !this.tweets.some((t) => t.id === replyTo)) throw new Problem(403, 'Forbidden', 'You attempted to reply to a Tweet that is deleted or not visible to you.');
    if (input.reply_settings !== undefined && !REPLY_SETTINGS.includes(input.reply_settings)) throw invalidRequest(`\`reply_settings\` must be one of [${REPLY_SETTINGS.join(', ')}]`);
    if (text !== '' && this.tweets.some((t) => t.text === text)) throw new Problem(403, 'Forbidden', 'You are not allowed to create a Tweet with duplicate content.');
    const tweet: FakeTweet = {
      id: this.newId(),
      text,
      authorId: this.options.userId,
      ...(replyTo ? { inReplyTo: replyTo } : {}),
      ...(input.reply_settings ? { replySettings: input.reply_settings } : {}),
      media: media.map((m) => ({ id: m.id, mime: m.mime, category: m.category, ...(m.altText ? { altText: m.altText } : {}) })),
      createdAt: new Date().toISOString(),
    };
    for (const m of media) m.usedBy = tweet.id;
    this.tweets.push(tweet);
    return { data: { id: tweet.id, text: tweet.text, edit_history_tweet_ids: [tweet.id] } };
  }

  private async simpleUpload(form: FormData): Promise<unknown> {
    const file = form.get('media');
    if (!file || typeof file === 'string') throw invalidRequest('media is required');
    const bytes = Buffer.from(await file.arrayBuffer());
    const mime = sniffMime(bytes);
    if (!mime || !mime.startsWith('image/')) throw invalidRequest('media type unrecognized.');
    if (bytes.length > 5_000_000) throw invalidRequest('File size exceeds 5242880 bytes.');
    const id = this.newId();
    this.media.set(id, { id, category: String(form.get('media_category') ?? 'tweet_image'), mime, chunks: [bytes], state: 'succeeded', pendingPolls: 0 });
    return { data: { id, media_key: `3_${id}`, size: bytes.length, expires_after_secs: 86_400, image: { image_type: mime } } };
  }

  private initialize(input: Record<string, any>): unknown {
    if (typeof input.media_type !== 'string' || !Number.isInteger(input.total_bytes)) throw invalidRequest('media_type and total_bytes are required');
    const id = this.newId();
    this.media.set(id, { id, category: String(input.media_category ?? ''), mime: input.media_type, declaredBytes: input.total_bytes, chunks: [], state: 'uploading', pendingPolls: this.options.processingPolls });
    return { data: { id, media_key: `7_${id}`, expires_after_secs: 86_400 } };
  }

  private async append(id: string, form: FormData): Promise<unknown> {
    const media = this.media.get(id);
    if (!media || media.state !== 'uploading') throw invalidRequest('Invalid mediaId.');
    const file = form.get('media');
    const index = Number(form.get('segment_index'));
    if (!file || typeof file === 'string' || index !== media.chunks.length) throw invalidRequest('Segments must be appended in order, from 0.');
    media.chunks.push(Buffer.from(await file.arrayBuffer()));
    return { data: { expires_at: Math.floor(Date.now() / 1000) + 86_400 } };
  }

  private finalize(id: string): unknown {
    const media = this.media.get(id);
    if (!media || media.state !== 'uploading') throw invalidRequest('Invalid mediaId.');
    const size = media.chunks.reduce((n, c) => n + c.length, 0);
    if (size !== media.declaredBytes) throw invalidRequest(`File size mismatch: ${size} received, ${media.declaredBytes} declared.`);
    const sniffed = sniffMime(Buffer.concat(media.chunks));
    if (!sniffed) throw invalidRequest('media type unrecognized.');
    media.state = 'pending';
    return { data: { id, media_key: `7_${id}`, size, expires_after_secs: 86_400, processing_info: { state: 'pending', check_after_secs: 1 } } };
  }

  private status(id: string): unknown {
    const media = this.media.get(id);
    if (!media) throw invalidRequest('Invalid mediaId.');
    if (media.state === 'pending' || media.state === 'in_progress') {
      if (media.pendingPolls > 0) {
        media.pendingPolls--;
        media.state = 'in_progress';
      } else media.state = 'succeeded';
    }
    const info = media.state === 'succeeded' ? { state: 'succeeded', progress_percent: 100 } : { state: media.state, check_after_secs: 1, progress_percent: 50 };
    return { data: { id, media_key: `7_${id}`, processing_info: info } };
  }

  private metadata(input: Record<string, any>): unknown {
    const media = this.media.get(String(input.id ?? ''));
    if (!media) throw invalidRequest('Invalid mediaId.');
    const text = input.metadata?.alt_text?.text;
    if (typeof text !== 'string' || [...text].length > 1000) throw invalidRequest('alt_text.text must be at most 1000 characters');
    media.altText = text;
    return { data: { id: media.id, associated_metadata: { alt_text: { text } } } };
  }

  /** The user's posts as X returns them: newest first, entities escaped, links and media as t.co links. */
  private timeline(userId: string, query: URLSearchParams): unknown {
    if (userId !== this.options.userId) throw new Problem(404, 'Not Found Error', `Could not find user with id: [${userId}].`, 'https://api.twitter.com/2/problems/resource-not-found');
    const start = query.get('start_time') ? Date.parse(query.get('start_time')!) : -Infinity;
    const max = Math.min(Math.max(Number(query.get('max_results') ?? 10), 5), 100);
    const offset = Number(query.get('pagination_token') ?? 0);
    const all = this.tweets.filter((t) => Date.parse(t.createdAt) >= start).reverse();
    const page = all.slice(offset, offset + max);
    const shown = (t: FakeTweet) =>
      `${t.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/https?:\/\/\S+/g, () => `https://t.co/${t.id.slice(-10)}`)}${t.media.length > 0 ? ` https://t.co/m${t.id.slice(-9)}` : ''}`;
    return {
      data: page.map((t) => ({ id: t.id, text: shown(t), created_at: t.createdAt, edit_history_tweet_ids: [t.id], ...(t.inReplyTo ? { referenced_tweets: [{ type: 'replied_to', id: t.inReplyTo }] } : {}) })),
      meta: { result_count: page.length, ...(offset + max < all.length ? { next_token: String(offset + max) } : {}) },
    };
  }
}
