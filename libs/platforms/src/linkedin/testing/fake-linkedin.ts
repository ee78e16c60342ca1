import * as http from 'node:http';
import { sniffMime } from '../../media/sniff';
import { FakeOAuth } from '../../testing/fake-oauth';
import { LocalPlatformServer, ScriptedFailures } from '../../testing/fake-server';
import { LITTLE_TEXT_RESERVED } from '../rules';

/**
 * LinkedIn's versioned REST API on 127.0.0.1 for tests: Posts, Images and Videos
 * (initialize, upload, processing, finalize), and Comments, as the documented API
 * answers them. Refuses what LinkedIn refuses: a wrong token (401), a missing or
 * malformed `LinkedIn-Version` (400) or an inactive one (426, versions live a year),
 * a missing `X-Restli-Protocol-Version: 2.0.0`, media not yet AVAILABLE or not the
 * author's, commentary over 3,000, a duplicate post, comments on unknown posts. Renders
 * `commentary` as LinkedIn does: the little text format, cut at the first unescaped
 * reserved character.
 */

export interface FakeLinkedInOptions {
  accessToken?: string;
  author?: string;
  /** The clock deciding which `LinkedIn-Version`s are active (the 12 months up to now); default the real one. */
  now?: () => Date;
  /** Uploaded images and videos answer PROCESSING to this many status reads before AVAILABLE. */
  processingPolls?: number;
  /** Size of each video upload part. */
  videoPartBytes?: number;
}

export type FakeFailure = { status: number; body?: unknown; headers?: Record<string, string> } | { drop: 'before' | 'after' };

export interface FakeAsset {
  urn: string;
  kind: 'image' | 'video';
  owner: string;
  status: 'WAITING_UPLOAD' | 'PROCESSING' | 'AVAILABLE';
  pendingPolls: number;
  mime?: string;
  size?: number;
  parts: Array<{ firstByte: number; lastByte: number; etag?: string; bytes?: Buffer }>;
}

export interface FakeLinkedInPost {
  urn: string;
  author: string;
  /** As received, in little text. */
  commentary: string;
  /** As members see it. */
  text: string;
  hashtags: string[];
  visibility: string;
  content?: Record<string, any>;
  createdAt: number;
}

export interface FakeLinkedInComment {
  id: string;
  commentUrn: string;
  postUrn: string;
  actor: string;
  text: string;
  image?: string;
  created: number;
}

class Refusal {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {}
}

const refuse = (status: number, message: string, extra: Record<string, unknown> = {}) => new Refusal(status, { status, message, ...extra });
const VISIBILITIES = ['PUBLIC', 'CONNECTIONS', 'LOGGED_IN', 'CONTAINER'];
const MENTION = /^@\[([^\]]*)\]\((urn:li:[^)]+)\)/;

/** Renders little text: escapes taken literally, `#word` hashtags and `@[name](urn)` mentions kept, cut at the first other unescaped reserved character. */
export function renderLittleText(commentary: string): { text: string; hashtags: string[] } {
  let text = '';
  const hashtags: string[] = [];
  for (let i = 0; i < commentary.length; i++) {
    const c = commentary[i];
    if (c === '\\' && i + 1 < commentary.length) {
      text += commentary[++i];
      continue;
    }
    if (c === '#') {
      const tag = /^#([\p{L}\p{N}]+)/u.exec(commentary.slice(i));
      if (!tag) break;
      hashtags.push(tag[1]);
      text += tag[0];
      i += tag[0].length - 1;
      continue;
    }
    if (c === '@') {
      const mention = MENTION.exec(commentary.slice(i));
      if (!mention) break;
      text += mention[1];
      i += mention[0].length - 1;
      continue;
    }
    if (LITTLE_TEXT_RESERVED.includes(c)) break;
    text += c;
  }
  return { text, hashtags };
}

export class FakeLinkedIn extends LocalPlatformServer {
  readonly posts: FakeLinkedInPost[] = [];
  readonly comments: FakeLinkedInComment[] = [];
  readonly assets = new Map<string, FakeAsset>();
  /** Every request, in order: `METHOD /path` (query string left out). */
  readonly requests: Array<{ route: string; headers: http.IncomingHttpHeaders; body?: any }> = [];
  private readonly failures = new ScriptedFailures<FakeFailure>();
  private readonly options: Required<FakeLinkedInOptions>;
  private nextId = 7_300_000_000_000_000_000n;
  /**
   * LinkedIn's 3-legged OAuth (learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow):
   * `GET /oauth/v2/authorization`, `POST /oauth/v2/accessToken` (id and secret in the form,
   * 60-day tokens; refresh tokens, 365 days, as for partner apps: programmatic-refresh-tokens),
   * and who the member is at `GET /v2/userinfo` (Sign In with LinkedIn using OpenID Connect).
   */
  readonly oauth: FakeOAuth;

  private constructor(options: FakeLinkedInOptions) {
    super('application/json');
    this.options = { accessToken: 'fake-linkedin-token', author: 'urn:li:person:8675309', now: () => new Date(), processingPolls: 1, videoPartBytes: 4 * 1024 * 1024, ...options };
    this.oauth = new FakeOAuth({
      clientAuth: 'body',
      accessTokenTtlS: 60 * 24 * 3600,
      refreshTokenTtlS: 365 * 24 * 3600,
      refreshTtlField: 'refresh_token_expires_in',
      issuesRefreshTokens: true,
      rotates: false,
      pkce: 'none',
      deadGrant: { status: 400, body: { error: 'invalid_grant', error_description: 'The provided authorization grant or refresh token is invalid, expired or revoked.' } },
      onAccessToken: (token) => {
        this.options.accessToken = token;
      },
    });
  }

  static async start(options: FakeLinkedInOptions = {}): Promise<FakeLinkedIn> {
    const fake = new FakeLinkedIn(options);
    await fake.listen();
    return fake;
  }

  get accessToken(): string {
    return this.options.accessToken;
  }

  get author(): string {
    return this.options.author;
  }

  /** The next `times` requests to `route` (`"POST /rest/posts"`, or `"*"`) get this answer instead. */
  failNext(route: string, failure: FakeFailure, times = 1): void {
    this.failures.add(route, failure, times);
  }

  requestsTo(route: string): Array<{ route: string; headers: http.IncomingHttpHeaders; body?: any }> {
    return this.requests.filter((r) => r.route === route);
  }

  commentsOn(postUrn: string): FakeLinkedInComment[] {
    return this.comments.filter((c) => c.postUrn === postUrn);
  }

  private newId(): string {
    return String(this.nextId++);
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await this.readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    const route = `${req.method} ${url.pathname}`;
    const json = (req.headers['content-type'] ?? '').includes('json') && raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as unknown) : undefined;
    this.requests.push({ route, headers: req.headers, ...(json !== undefined ? { body: json } : {}) });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => this.writeJson(res, status, payload, headers);

    if (route === 'GET /oauth/v2/authorization') {
      res.writeHead(302, { location: this.oauth.authorize(url) }).end();
      return;
    }
    if (route === 'POST /oauth/v2/accessToken') {
      const [status, payload] = this.oauth.token(new URLSearchParams(raw.toString('utf8')), req.headers.authorization);
      return send(status, payload);
    }
    if (route === 'GET /v2/userinfo') {
      if (!this.accepts(req.headers.authorization)) return send(401, { serviceErrorCode: 65600, message: 'Invalid access token', status: 401 });
      return send(200, { sub: this.options.author.replace('urn:li:person:', ''), name: 'Fake Poster', given_name: 'Fake', family_name: 'Poster', email_verified: true });
    }
    const failure = this.failures.take(route);
    if (failure) {
      if ('drop' in failure) {
        if (failure.drop === 'after') await this.answer(req, url, raw, json).catch(() => undefined);
        return this.hangUp(req);
      }
      return send(failure.status, failure.body ?? { status: failure.status, message: http.STATUS_CODES[failure.status] ?? 'Error' }, failure.headers);
    }
    try {
      const [status, payload, headers] = await this.answer(req, url, raw, json);
      send(status, payload, headers);
    } catch (err) {
      if (err instanceof Refusal) return send(err.status, err.body);
      send(500, { status: 500, message: `Internal Server Error: ${(err as Error).message}` });
    }
  }

  private accepts(authorization: string | undefined): boolean {
    return authorization === `Bearer ${this.options.accessToken}` || this.oauth.accepts(authorization);
  }

  private checkHeaders(req: http.IncomingMessage): void {
    if (!this.accepts(req.headers.authorization)) throw refuse(401, 'Invalid access token', { serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN' });
    const version = req.headers['linkedin-version'];
    if (typeof version !== 'string' || version === '') throw refuse(400, 'A version must be present. Please specify a version by adding the LinkedIn-Version header.', { code: 'VERSION_MISSING' });
    const match = /^(\d{4})(\d{2})(\.\d{2})?$/.exec(version);
    if (!match) throw refuse(400, `Invalid version format ${version}. The version must be in the format YYYYMM.`, { code: 'INVALID_VERSION' });
    const now = this.options.now();
    const months = (now.getUTCFullYear() - Number(match[1])) * 12 + (now.getUTCMonth() + 1 - Number(match[2]));
    if (months < 0 || months > 12) throw refuse(426, `Requested version ${version} is not active`, { code: 'NONEXISTENT_VERSION' });
    if (req.headers['x-restli-protocol-version'] !== '2.0.0') throw refuse(400, 'Rest.li protocol version 2.0.0 is required: set the X-Restli-Protocol-Version header', { code: 'ILLEGAL_ARGUMENT' });
  }

  private async answer(req: http.IncomingMessage, url: URL, raw: Buffer, json: any): Promise<[number, unknown, Record<string, string>?]> {
    const upload = /^\/dms-uploads\/(image|video)\/([^/]+)(?:\/(\d+))?$/.exec(url.pathname);
    if (req.method === 'PUT' && upload) return this.receiveUpload(req, upload[2], upload[3], raw);
    this.checkHeaders(req);
    const route = `${req.method} ${url.pathname}`;
    const action = url.searchParams.get('action');
    if (route === 'POST /rest/images' && action === 'initializeUpload') return [200, this.initializeImage(json)];
    if (route === 'POST /rest/videos' && action === 'initializeUpload') return [200, this.initializeVideo(json)];
    if (route === 'POST /rest/videos' && action === 'finalizeUpload') return [200, this.finalizeVideo(json)];
    const asset = /^\/rest\/(images|videos)\/(.+)$/.exec(url.pathname);
    if (req.method === 'GET' && asset) return [200, this.assetStatus(decodeURIComponent(asset[2]))];
    if (route === 'POST /rest/posts') return this.createPost(json);
    if (route === 'GET /rest/posts') return [200, this.findPosts(req, url.searchParams)];
    const comments = /^\/rest\/socialActions\/([^/]+)\/comments$/.exec(url.pathname);
    if (comments && req.method === 'POST') return this.createComment(decodeURIComponent(comments[1]), json);
    if (comments && req.method === 'GET') return [200, this.listComments(decodeURIComponent(comments[1]), url.searchParams)];
    throw refuse(404, `No resource found for ${url.pathname}`);
  }

  private initializeImage(body: any): unknown {
    const owner = body?.initializeUploadRequest?.owner;
    if (typeof owner !== 'string') throw refuse(422, 'ERROR :: /initializeUploadRequest/owner :: field is required but not found and has no default value');
    if (owner !== this.options.author) throw refuse(403, `Not enough permissions to access: images.ACTION.initializeUpload for owner ${owner}`, { serviceErrorCode: 100, code: 'ACCESS_DENIED' });
    const id = this.newId();
    const urn = `urn:li:image:D4E10AQ${id}`;
    this.assets.set(urn, { urn, kind: 'image', owner, status: 'WAITING_UPLOAD', pendingPolls: this.options.processingPolls, parts: [{ firstByte: 0, lastByte: -1 }] });
    return { value: { uploadUrlExpiresAt: Date.now() + 86_400_000, uploadUrl: `${this.url}/dms-uploads/image/${encodeURIComponent(urn)}`, image: urn } };
  }

  private initializeVideo(body: any): unknown {
    const request = body?.initializeUploadRequest;
    if (request?.owner !== this.options.author) throw refuse(403, 'Not enough permissions to access: videos.ACTION.initializeUpload', { serviceErrorCode: 100, code: 'ACCESS_DENIED' });
    const size = Number(request.fileSizeBytes);
    if (!Number.isInteger(size) || size <= 0) throw refuse(422, 'ERROR :: /initializeUploadRequest/fileSizeBytes :: field is required but not found and has no default value');
    const urn = `urn:li:video:D5E10AQ${this.newId()}`;
    const parts: FakeAsset['parts'] = [];
    for (let first = 0; first < size; first += this.options.videoPartBytes) parts.push({ firstByte: first, lastByte: Math.min(size, first + this.options.videoPartBytes) - 1 });
    this.assets.set(urn, { urn, kind: 'video', owner: request.owner, status: 'WAITING_UPLOAD', pendingPolls: this.options.processingPolls, size, parts });
    return {
      value: {
        uploadUrlsExpireAt: Date.now() + 86_400_000,
        video: urn,
        uploadInstructions: parts.map((p, i) => ({ uploadUrl: `${this.url}/dms-uploads/video/${encodeURIComponent(urn)}/${i}`, firstByte: p.firstByte, lastByte: p.lastByte })),
        uploadToken: '',
      },
    };
  }

  private receiveUpload(req: http.IncomingMessage, encodedUrn: string, partIndex: string | undefined, bytes: Buffer): [number, unknown, Record<string, string>] {
    const asset = this.assets.get(decodeURIComponent(encodedUrn));
    if (!asset || asset.status !== 'WAITING_UPLOAD') throw refuse(400, 'Upload URL is not valid');
    if (asset.kind === 'image') {
      if (req.headers.authorization !== `Bearer ${this.options.accessToken}`) throw refuse(401, 'Invalid access token');
      const mime = sniffMime(bytes);
      if (!mime?.startsWith('image/')) throw refuse(400, 'The uploaded file is not a supported image');
      asset.mime = mime;
      asset.size = bytes.length;
      asset.status = 'PROCESSING';
      return [201, undefined, {}];
    }
    const part = asset.parts[Number(partIndex)];
    if (!part || bytes.length !== part.lastByte - part.firstByte + 1) throw refuse(400, 'Uploaded part does not match the upload instructions');
    part.bytes = bytes;
    part.etag = `/ambry-video/signedId/${asset.urn}/part${partIndex}`;
    return [200, undefined, { etag: part.etag }];
  }

  private finalizeVideo(body: any): unknown {
    const request = body?.finalizeUploadRequest;
    const asset = this.assets.get(String(request?.video));
    if (!asset || asset.kind !== 'video' || asset.status !== 'WAITING_UPLOAD') throw refuse(400, 'Video is not awaiting finalization');
    const etags: unknown[] = Array.isArray(request.uploadedPartIds) ? request.uploadedPartIds : [];
    if (etags.length !== asset.parts.length || asset.parts.some((p, i) => !p.etag || p.etag !== etags[i])) throw refuse(400, 'uploadedPartIds do not match the uploaded parts');
    const mime = sniffMime(Buffer.concat(asset.parts.map((p) => p.bytes!)));
    if (!mime?.startsWith('video/')) throw refuse(400, 'The uploaded file is not a supported video');
    asset.mime = mime;
    asset.status = 'PROCESSING';
    return {};
  }

  private assetStatus(urn: string): unknown {
    const asset = this.assets.get(urn);
    if (!asset) throw refuse(404, `${urn} not found`);
    if (asset.status === 'PROCESSING') {
      if (asset.pendingPolls > 0) asset.pendingPolls--;
      else asset.status = 'AVAILABLE';
    }
    return { id: urn, owner: asset.owner, status: asset.status, ...(asset.status === 'AVAILABLE' ? { downloadUrl: `${this.url}/media/${encodeURIComponent(urn)}` } : {}) };
  }

  private usable(urn: unknown, kind: 'image' | 'video'): FakeAsset {
    const asset = typeof urn === 'string' ? this.assets.get(urn) : undefined;
    if (!asset || asset.kind !== kind) throw refuse(422, `ERROR :: /content :: ${String(urn)} is not a valid ${kind} URN`);
    if (asset.owner !== this.options.author) throw refuse(403, `Not enough permissions to use ${asset.urn}`, { serviceErrorCode: 100 });
    if (asset.status !== 'AVAILABLE') throw refuse(400, `${asset.urn} is not AVAILABLE; wait for processing to finish`);
    return asset;
  }

  private createPost(body: any): [number, unknown, Record<string, string>] {
    const missing = ['author', 'commentary', 'visibility', 'distribution', 'lifecycleState'].filter((f) => body?.[f] === undefined);
    if (missing.length > 0) throw refuse(422, missing.map((f) => `ERROR :: /${f} :: field is required but not found and has no default value`).join('\n'));
    if (body.author !== this.options.author) throw refuse(403, `Not enough permissions to post as ${body.author}`, { serviceErrorCode: 100, code: 'ACCESS_DENIED' });
    if (!VISIBILITIES.includes(body.visibility)) throw refuse(422, `ERROR :: /visibility :: "${body.visibility}" is not an enum symbol`);
    if (body.lifecycleState !== 'PUBLISHED' && body.lifecycleState !== 'DRAFT') throw refuse(422, `ERROR :: /lifecycleState :: "${body.lifecycleState}" is not an enum symbol`);
    if (body.distribution?.feedDistribution === undefined) throw refuse(422, 'ERROR :: /distribution/feedDistribution :: field is required but not found and has no default value');
    const content = body.content;
    if (content?.media) this.usable(content.media.id, String(content.media.id).startsWith('urn:li:video:') ? 'video' : 'image');
    if (content?.multiImage) {
      const images = Array.isArray(content.multiImage.images) ? content.multiImage.images : [];
      if (images.length < 2 || images.length > 20) throw refuse(422, 'ERROR :: /content/multiImage/images :: a multi-image post takes 2 to 20 images');
      for (const image of images) this.usable(image.id, 'image');
    }
    const { text, hashtags } = renderLittleText(String(body.commentary));
    if ([...text].length > 3000) throw refuse(422, 'ERROR :: /commentary :: length of commentary exceeds maximum of 3000');
    const earlier = this.posts.find((p) => p.commentary === body.commentary);
    if (earlier) throw refuse(422, `Content is a duplicate of ${earlier.urn}`, { code: 'DUPLICATE_POST' });
    const urn = `urn:li:share:${this.newId()}`;
    this.posts.push({ urn, author: body.author, commentary: body.commentary, text, hashtags, visibility: body.visibility, ...(content ? { content } : {}), createdAt: Date.now() });
    return [201, undefined, { 'x-restli-id': urn }];
  }

  private findPosts(req: http.IncomingMessage, query: URLSearchParams): unknown {
    if (req.headers['x-restli-method'] !== 'FINDER') throw refuse(400, 'A finder request needs the X-RestLi-Method: FINDER header');
    if (query.get('q') !== 'author' || query.get('author') !== this.options.author) throw refuse(403, 'Not enough permissions to read the posts of this author', { serviceErrorCode: 100 });
    const count = Math.min(Number(query.get('count') ?? 10), 100);
    const start = Number(query.get('start') ?? 0);
    const newest = this.posts.slice().sort((a, b) => b.createdAt - a.createdAt);
    return {
      elements: newest.slice(start, start + count).map((p) => ({ id: p.urn, author: p.author, commentary: p.commentary, visibility: p.visibility, lifecycleState: 'PUBLISHED', createdAt: p.createdAt, lastModifiedAt: p.createdAt })),
      paging: { start, count, links: [] },
    };
  }

  private createComment(postUrn: string, body: any): [number, unknown, Record<string, string>] {
    if (!this.posts.some((p) => p.urn === postUrn)) throw refuse(404, `Not Found: ${postUrn}`);
    if (body?.actor !== this.options.author) throw refuse(403, `Not enough permissions to comment as ${body?.actor}`, { serviceErrorCode: 100 });
    if (body.object !== postUrn) throw refuse(400, `object ${body.object} does not match ${postUrn}`);
    const text = body.message?.text;
    if (typeof text !== 'string' || text.trim() === '') throw refuse(422, 'ERROR :: /message/text :: field is required but not found and has no default value');
    if ([...text].length > 1250) throw refuse(422, 'ERROR :: /message/text :: length exceeds maximum of 1250');
    const image = body.content?.[0]?.entity?.image;
    if (image !== undefined) this.usable(image, 'image');
    const id = this.newId();
    const activity = postUrn.replace(/^urn:li:(share|ugcPost):/, 'urn:li:activity:');
    const comment: FakeLinkedInComment = { id, commentUrn: `urn:li:comment:(${activity},${id})`, postUrn, actor: body.actor, text, ...(image ? { image } : {}), created: Date.now() };
    this.comments.push(comment);
    return [201, this.commentView(comment), { 'x-restli-id': encodeURIComponent(comment.commentUrn) }];
  }

  private commentView(c: FakeLinkedInComment) {
    return { id: c.id, commentUrn: c.commentUrn, actor: c.actor, object: c.postUrn, message: { text: c.text }, created: { actor: c.actor, time: c.created }, ...(c.image ? { content: [{ entity: { image: c.image } }] } : {}) };
  }

  private listComments(postUrn: string, query: URLSearchParams): unknown {
    if (!this.posts.some((p) => p.urn === postUrn)) throw refuse(404, `Not Found: ${postUrn}`);
    const all = this.commentsOn(postUrn);
    const start = Number(query.get('start') ?? 0);
    const count = Math.min(Number(query.get('count') ?? 10), 100);
    return { elements: all.slice(start, start + count).map((c) => this.commentView(c)), paging: { start, count, total: all.length } };
  }
}
