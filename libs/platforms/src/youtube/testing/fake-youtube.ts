import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { isVideoType, sniffMime } from '../../media/sniff';
import { FakeOAuth } from '../../testing/fake-oauth';
import { LocalPlatformServer, ScriptedFailures } from '../../testing/fake-server';

/**
 * The YouTube Data API v3 and its upload endpoint on 127.0.0.1 for tests (one host serves
 * both, as `www.googleapis.com` does). Resumable uploads follow Google's protocol: a
 * session from `POST /upload/youtube/v3/videos?uploadType=resumable`, bytes by `PUT`,
 * `308 Resume Incomplete` with `Range` for a partial upload or a status query
 * (`Content-Range: bytes *\/N`). It refuses what YouTube refuses, with Google's error
 * bodies: bad or missing tokens (401 authError), missing scopes (403
 * insufficientPermissions), missing upload headers, titles and descriptions that are
 * empty, too long or contain `<`/`>`, non-video bytes, comments on unknown videos or on
 * videos with comments off (made for kids), replies to unknown comments. It can run out
 * of quota, refuse more uploads, take only part of each PUT, or drop the connection in the
 * middle of an upload. Keeps every video and comment for assertions.
 */

export interface FakeYoutubeOptions {
  token?: string;
  scopes?: string[];
  /** Every call answers 403 quotaExceeded. */
  quotaExhausted?: boolean;
  /** Uploads answer 400 uploadLimitExceeded. */
  uploadLimitReached?: boolean;
  /** Each PUT keeps at most this many bytes and answers 308 (as if the connection had ended there). */
  maxBytesPerPut?: number;
  /** The first PUT with bytes has its connection cut after this many bytes arrived. */
  dropUploadAfterBytes?: number;
}

export interface FakeYoutubeVideo {
  id: string;
  title: string;
  description: string;
  tags: string[];
  privacyStatus: string;
  madeForKids: boolean;
  mime: string;
  bytes: Buffer;
}

export interface FakeYoutubeComment {
  id: string;
  videoId: string;
  text: string;
  /** The top-level comment this one replies to. */
  parentId?: string;
}

export interface FakeYoutubeFailure {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Handle the request (it takes effect) but close the connection instead of answering. */
  dropAnswer?: boolean;
}

interface UploadSession {
  id: string;
  length: number;
  type: string;
  metadata: { title: string; description: string; tags: string[]; privacyStatus: string; madeForKids: boolean };
  received: Buffer[];
  receivedBytes: number;
  videoId?: string;
}

export const CHANNEL_ID = 'UCfakePostloomChannel00';
const UPLOADS_PLAYLIST = 'UUfakePostloomChannel00';
const PRIVACY = ['public', 'private', 'unlisted'];

class Refusal {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly message: string,
    readonly domain: string = 'youtube.api',
  ) {}
}

function id(length: number): string {
  return randomBytes(length).toString('base64url').slice(0, length);
}

export class FakeYoutube extends LocalPlatformServer {
  readonly videos: FakeYoutubeVideo[] = [];
  readonly comments: FakeYoutubeComment[] = [];
  /** Every request, in order: `METHOD /path` and, for uploads, the `Content-Range` sent. */
  readonly requests: string[] = [];
  private readonly sessions = new Map<string, UploadSession>();
  private readonly failures = new ScriptedFailures<FakeYoutubeFailure>();
  private dropArmed: boolean;
  /**
   * Google's OAuth 2.0 for web server apps (developers.google.com/identity/protocols/oauth2/web-server):
   * `GET /o/oauth2/v2/auth`, `POST /token` (client id and secret in the body, 1-hour tokens,
   * refresh tokens not rotated), `POST /revoke`. A dead refresh token: 400 invalid_grant
   * "Token has been expired or revoked." (OAUTH.md S36).
   */
  readonly oauth: FakeOAuth;
  private options: Required<Omit<FakeYoutubeOptions, 'maxBytesPerPut' | 'dropUploadAfterBytes'>> & Pick<FakeYoutubeOptions, 'maxBytesPerPut' | 'dropUploadAfterBytes'>;

  private constructor(options: FakeYoutubeOptions) {
    super('application/json; charset=UTF-8');
    this.options = { token: 'ya29.fake-youtube-token', scopes: ['youtube.upload', 'youtube.force-ssl'], quotaExhausted: false, uploadLimitReached: false, ...options };
    this.dropArmed = options.dropUploadAfterBytes !== undefined;
    this.oauth = new FakeOAuth({
      clientAuth: 'body',
      accessTokenTtlS: 3599,
      issuesRefreshTokens: true,
      rotates: false,
      pkce: 'optional',
      deadGrant: { status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } },
      onAccessToken: (token) => {
        this.options = { ...this.options, token };
      },
    });
  }

  static async start(options: FakeYoutubeOptions = {}): Promise<FakeYoutube> {
    const fake = new FakeYoutube(options);
    await fake.listen();
    return fake;
  }

  get token(): string {
    return this.options.token;
  }

  configure(options: FakeYoutubeOptions): void {
    this.options = { ...this.options, ...options };
    if (options.dropUploadAfterBytes !== undefined) this.dropArmed = true;
  }

  /** The next request whose `METHOD /path` matches gets this answer instead. */
  failNext(route: RegExp, failure: FakeYoutubeFailure): void {
    this.failures.add(route, failure);
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const route = `${req.method} ${url.pathname}`;
    const range = req.headers['content-range'];
    this.requests.push(range ? `${route} ${range}` : route);
    const isUploadPut = route === `PUT /upload/youtube/v3/videos`;

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const piece = chunk as Buffer;
      if (isUploadPut && this.dropArmed && this.options.dropUploadAfterBytes !== undefined && size + piece.length > this.options.dropUploadAfterBytes) {
        // The connection breaks mid-upload: what arrived so far is kept, as YouTube keeps it.
        chunks.push(piece.subarray(0, this.options.dropUploadAfterBytes - size));
        this.dropArmed = false;
        this.receivePartial(url, Buffer.concat(chunks));
        this.hangUp(req);
        return;
      }
      chunks.push(piece);
      size += piece.length;
    }
    const body = Buffer.concat(chunks);

    if (route === 'GET /o/oauth2/v2/auth') {
      res.writeHead(302, { location: this.oauth.authorize(url) }).end();
      return;
    }
    if (route === 'POST /token' || route === 'POST /revoke') {
      const form = new URLSearchParams(body.toString('utf8'));
      if (route === 'POST /revoke') {
        this.oauth.revoke();
        return this.writeJson(res, 200, {});
      }
      const [status, payload] = this.oauth.token(form, req.headers.authorization);
      return this.writeJson(res, status, payload);
    }
    const failure = this.failures.take(route);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      if (failure?.dropAnswer) this.hangUp(req);
      else this.writeJson(res, status, payload, headers);
    };
    if (failure && !failure.dropAnswer) {
      const status = failure.status ?? 500;
      return send(status, failure.body ?? { error: { code: status, message: http.STATUS_CODES[status] ?? 'Error', errors: [{ message: 'Backend Error', domain: 'global', reason: 'backendError' }] } }, failure.headers);
    }
    try {
      this.authorize(req, url.pathname);
      if (route === 'POST /upload/youtube/v3/videos') return this.startUpload(req, url, body, send);
      if (isUploadPut) return this.receive(req, url, body, send);
      if (route === 'GET /youtube/v3/channels') return send(200, this.channels(url));
      if (route === 'GET /youtube/v3/playlistItems') return send(200, this.playlistItems(url));
      if (route === 'POST /youtube/v3/commentThreads') return send(200, this.insertThread(url, body));
      if (route === 'POST /youtube/v3/comments') return send(200, this.insertReply(url, body));
      if (route === 'GET /youtube/v3/commentThreads') return send(200, this.listThreads(url));
      if (route === 'GET /youtube/v3/comments') return send(200, this.listReplies(url));
      throw new Refusal(404, 'notFound', 'Not Found', 'global');
    } catch (err) {
      if (err instanceof Refusal) {
        return send(err.status, { error: { code: err.status, message: err.message, errors: [{ message: err.message, domain: err.domain, reason: err.reason }] } });
      }
      send(500, { error: { code: 500, message: 'Backend Error', errors: [{ message: 'Backend Error', domain: 'global', reason: 'backendError' }] } });
    }
  }

  private authorize(req: http.IncomingMessage, path: string): void {
    if (req.headers.authorization !== `Bearer ${this.options.token}` && !this.oauth.accepts(req.headers.authorization)) {
      throw new Refusal(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'global');
    }
    if (this.options.quotaExhausted) {
      throw new Refusal(403, 'quotaExceeded', 'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.', 'youtube.quota');
    }
    const scopes = this.options.scopes;
    const needs = path.startsWith('/upload/') ? ['youtube.upload', 'youtube', 'youtube.force-ssl'] : ['youtube.force-ssl', 'youtube'];
    const reads = path.startsWith('/youtube/v3/') && req.method === 'GET' ? ['youtube.readonly'] : [];
    if (!scopes.some((s) => needs.includes(s) || reads.includes(s))) throw new Refusal(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.', 'global');
  }

  private startUpload(req: http.IncomingMessage, url: URL, body: Buffer, send: (status: number, payload: unknown, headers?: Record<string, string>) => void): void {
    if (url.searchParams.get('uploadType') !== 'resumable') throw new Refusal(400, 'badRequest', "Invalid value for uploadType: expected 'resumable'", 'global');
    const parts = (url.searchParams.get('part') ?? '').split(',');
    if (!parts.includes('snippet') || !parts.includes('status')) throw new Refusal(400, 'unexpectedPart', 'The request metadata specifies parts it does not request.');
    const length = Number(req.headers['x-upload-content-length']);
    const type = String(req.headers['x-upload-content-type'] ?? '');
    if (!Number.isInteger(length) || length <= 0) throw new Refusal(400, 'badRequest', 'The X-Upload-Content-Length header is missing or invalid.', 'global');
    if (!type.startsWith('video/')) throw new Refusal(400, 'invalidContentType', `Media type '${type}' is not supported.`);
    if (this.options.uploadLimitReached) throw new Refusal(400, 'uploadLimitExceeded', 'The user has exceeded the number of videos they may upload.');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new Refusal(400, 'badContent', 'The request metadata is not JSON.', 'global');
    const resource = JSON.parse(body.toString('utf8') || '{}') as { snippet?: { title?: unknown; description?: unknown; tags?: unknown }; status?: { privacyStatus?: unknown; selfDeclaredMadeForKids?: unknown } };
    const title = typeof resource.snippet?.title === 'string' ? resource.snippet.title : '';
    const description = typeof resource.snippet?.description === 'string' ? resource.snippet.description : '';
    if (title.trim() === '' || [...title].length > 100 || /[<>]/.test(title)) throw new Refusal(400, 'invalidTitle', 'The request metadata specifies an invalid or empty video title.');
    if (Buffer.byteLength(description) > 5000 || /[<>]/.test(description)) throw new Refusal(400, 'invalidDescription', 'The request metadata specifies an invalid video description.');
    const tags = Array.isArray(resource.snippet?.tags) ? (resource.snippet.tags as string[]) : [];
    if (tags.reduce((n, t) => n + t.length + (t.includes(' ') ? 2 : 0), 0) + Math.max(0, tags.length - 1) > 500) throw new Refusal(400, 'invalidTags', 'The request metadata specifies invalid video keywords.');
    const privacyStatus = typeof resource.status?.privacyStatus === 'string' ? resource.status.privacyStatus : 'public';
    if (!PRIVACY.includes(privacyStatus)) throw new Refusal(400, 'invalidVideoMetadata', 'The request metadata is invalid.');
    const session: UploadSession = {
      id: id(24),
      length,
      type,
      metadata: { title, description, tags, privacyStatus, madeForKids: resource.status?.selfDeclaredMadeForKids === true },
      received: [],
      receivedBytes: 0,
    };
    this.sessions.set(session.id, session);
    send(200, undefined, { location: `${this.url}/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status&upload_id=${session.id}` });
  }

  private session(url: URL): UploadSession {
    const session = this.sessions.get(url.searchParams.get('upload_id') ?? '');
    if (!session) throw new Refusal(404, 'notFound', 'Not Found', 'global');
    return session;
  }

  private receivePartial(url: URL, bytes: Buffer): void {
    const session = this.sessions.get(url.searchParams.get('upload_id') ?? '');
    if (!session || session.videoId) return;
    session.received.push(bytes);
    session.receivedBytes += bytes.length;
  }

  private receive(req: http.IncomingMessage, url: URL, body: Buffer, send: (status: number, payload: unknown, headers?: Record<string, string>) => void): void {
    const session = this.session(url);
    const range = String(req.headers['content-range'] ?? '');
    const standing = (): Record<string, string> => (session.receivedBytes > 0 ? { range: `bytes=0-${session.receivedBytes - 1}` } : {});
    if (/^bytes \*\/\d+$/.test(range)) {
      if (session.videoId) return send(200, this.videoView(this.videos.find((v) => v.id === session.videoId)!));
      return send(308, undefined, standing());
    }
    if (session.videoId) return send(200, this.videoView(this.videos.find((v) => v.id === session.videoId)!));
    const start = range === '' ? 0 : Number(/^bytes (\d+)-(\d+)\/(\d+)$/.exec(range)?.[1] ?? NaN);
    if (start !== session.receivedBytes) throw new Refusal(400, 'badRequest', `Content-Range starts at ${range || 0}, the upload is at byte ${session.receivedBytes}`, 'global');
    if (req.headers['content-type'] !== session.type) throw new Refusal(400, 'badContent', `The upload's Content-Type ${req.headers['content-type']} is not the announced ${session.type}`, 'global');
    const kept = this.options.maxBytesPerPut !== undefined ? body.subarray(0, this.options.maxBytesPerPut) : body;
    session.received.push(kept);
    session.receivedBytes += kept.length;
    if (session.receivedBytes < session.length) return send(308, undefined, standing());
    const bytes = Buffer.concat(session.received);
    const mime = sniffMime(bytes);
    if (bytes.length !== session.length || !mime || !isVideoType(mime)) {
      this.sessions.delete(session.id);
      throw new Refusal(400, 'invalidVideo', 'The uploaded file is not a video or does not match its announced length.');
    }
    const video: FakeYoutubeVideo = { id: id(11), ...session.metadata, mime: session.type, bytes };
    session.videoId = video.id;
    this.videos.push(video);
    send(201, this.videoView(video));
  }

  private videoView(video: FakeYoutubeVideo) {
    return {
      kind: 'youtube#video',
      id: video.id,
      snippet: { title: video.title, description: video.description, tags: video.tags, channelId: CHANNEL_ID, publishedAt: new Date().toISOString() },
      status: { uploadStatus: 'uploaded', privacyStatus: video.privacyStatus, selfDeclaredMadeForKids: video.madeForKids, madeForKids: video.madeForKids },
    };
  }

  private channels(url: URL) {
    if (url.searchParams.get('mine') !== 'true') throw new Refusal(400, 'missingRequiredParameter', 'No filter selected. Expected one of: mine, id, forHandle.', 'youtube.parameter');
    return { kind: 'youtube#channelListResponse', items: [{ kind: 'youtube#channel', id: CHANNEL_ID, snippet: { title: 'Fake Postloom Channel', customUrl: '@fakepostloom' }, contentDetails: { relatedPlaylists: { uploads: UPLOADS_PLAYLIST } } }] };
  }

  private playlistItems(url: URL) {
    if (url.searchParams.get('playlistId') !== UPLOADS_PLAYLIST) throw new Refusal(404, 'playlistNotFound', 'The playlist identified with the request\'s playlistId parameter cannot be found.');
    const max = Number(url.searchParams.get('maxResults') ?? 5);
    const items = [...this.videos].reverse().slice(0, max).map((v) => ({ kind: 'youtube#playlistItem', snippet: { channelId: CHANNEL_ID, title: v.title, description: v.description, resourceId: { kind: 'youtube#video', videoId: v.id } } }));
    return { kind: 'youtube#playlistItemListResponse', items };
  }

  private text(value: unknown): string {
    const text = typeof value === 'string' ? value : '';
    if (text.trim() === '') throw new Refusal(400, 'commentTextRequired', 'The comment resource must contain a snippet.textOriginal property.');
    if ([...text].length > 10_000) throw new Refusal(400, 'commentTextTooLong', 'The comment resource contains too many characters in the snippet.textOriginal property.');
    return text;
  }

  private insertThread(url: URL, body: Buffer) {
    if (!(url.searchParams.get('part') ?? '').includes('snippet')) throw new Refusal(400, 'missingRequiredParameter', 'No part selected.', 'youtube.parameter');
    const input = JSON.parse(body.toString('utf8') || '{}') as { snippet?: { channelId?: string; videoId?: string; topLevelComment?: { snippet?: { textOriginal?: string } } } };
    // "you must specify a value for ... snippet.channelId, snippet.videoId" (commentThreads/insert, error table: 400 channelOrVideoIdMissing).
    if (!input.snippet?.channelId || !input.snippet.videoId) {
      throw new Refusal(400, 'channelOrVideoIdMissing', 'The comment thread must specify a channel ID or a video ID.', 'youtube.commentThread');
    }
    const video = this.videos.find((v) => v.id === input.snippet?.videoId);
    if (!video) throw new Refusal(404, 'videoNotFound', 'The video identified by the videoId parameter could not be found.');
    if (video.madeForKids) throw new Refusal(403, 'commentsDisabled', 'The video identified by the videoId parameter has disabled comments.');
    const comment: FakeYoutubeComment = { id: `Ugz${id(20)}`, videoId: video.id, text: this.text(input.snippet?.topLevelComment?.snippet?.textOriginal) };
    this.comments.push(comment);
    return { kind: 'youtube#commentThread', id: comment.id, snippet: { videoId: video.id, topLevelComment: this.commentView(comment), totalReplyCount: 0, canReply: true, isPublic: true } };
  }

  private insertReply(url: URL, body: Buffer) {
    if (!(url.searchParams.get('part') ?? '').includes('snippet')) throw new Refusal(400, 'missingRequiredParameter', 'No part selected.', 'youtube.parameter');
    const input = JSON.parse(body.toString('utf8') || '{}') as { snippet?: { parentId?: string; textOriginal?: string } };
    const parent = this.comments.find((c) => c.id === input.snippet?.parentId && c.parentId === undefined);
    if (!parent) throw new Refusal(404, 'commentNotFound', 'The specified parent comment could not be found.');
    const comment: FakeYoutubeComment = { id: `${parent.id}.${id(22)}`, videoId: parent.videoId, text: this.text(input.snippet?.textOriginal), parentId: parent.id };
    this.comments.push(comment);
    return this.commentView(comment);
  }

  private commentView(comment: FakeYoutubeComment) {
    return {
      kind: 'youtube#comment',
      id: comment.id,
      snippet: { videoId: comment.videoId, textOriginal: comment.text, textDisplay: comment.text, authorChannelId: { value: CHANNEL_ID }, ...(comment.parentId ? { parentId: comment.parentId } : {}) },
    };
  }

  private listThreads(url: URL) {
    const videoId = url.searchParams.get('videoId');
    if (!this.videos.some((v) => v.id === videoId)) throw new Refusal(404, 'videoNotFound', 'The video identified by the videoId parameter could not be found.');
    const items = this.comments
      .filter((c) => c.videoId === videoId && c.parentId === undefined)
      .reverse()
      .map((c) => ({ kind: 'youtube#commentThread', id: c.id, snippet: { videoId, topLevelComment: this.commentView(c) } }));
    return { kind: 'youtube#commentThreadListResponse', items };
  }

  private listReplies(url: URL) {
    const parentId = url.searchParams.get('parentId');
    if (!this.comments.some((c) => c.id === parentId)) throw new Refusal(404, 'commentNotFound', 'The specified parent comment could not be found.');
    return { kind: 'youtube#commentListResponse', items: this.comments.filter((c) => c.parentId === parentId).map((c) => this.commentView(c)) };
  }
}
