import { JsonResponse, requestJson, RequestJsonInit } from '../http/request-json';
import { delay } from '../http/delay';
import { MediaAttachment, PlatformAdapter, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { linkedinFailure } from './errors';
import {
  apiHeaders,
  commentBody,
  commentUrl,
  credentialsOf,
  finalizeVideoBody,
  initializeImageBody,
  initializeVideoBody,
  LinkedInCredentials,
  postBody,
  postContent,
  postUrl,
  segmentProblems,
  UploadedMedia,
  urnPath,
} from './requests';
import { LINKEDIN_API_BASE, LINKEDIN_NAME, LINKEDIN_RULES, LINKEDIN_VERSION, littleText } from './rules';

export interface LinkedInAdapterOptions {
  /** Default `https://api.linkedin.com`; an account's `base_url` replaces it. */
  baseUrl?: string;
  /** `LinkedIn-Version` header; default `LINKEDIN_VERSION`. */
  version?: string;
  /** Per request; default 30 s (uploads of large videos take the same per part). */
  timeoutMs?: number;
  /** Pause between status reads of an uploaded image or video; default 2 s. */
  pollIntervalMs?: number;
  /** How long an upload may take to become AVAILABLE; default 3 minutes. */
  processingTimeoutMs?: number;
  now?: () => number;
}

type Write = 'read' | 'repeatable' | 'final';

const LOOKUP_SLACK_MS = 5 * 60_000;
const LOOKUP_COUNT = 20;
const COMMENT_PAGES = 3;

function valueOf(response: JsonResponse): Record<string, unknown> {
  const value = (response.body as { value?: unknown } | undefined)?.value;
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * LinkedIn members and organizations through the versioned Posts API: images and videos
 * uploaded first (initialize, upload, wait until AVAILABLE), then `POST /rest/posts` with
 * the commentary in little text. Later segments of a thread are comments on the post.
 */
export class LinkedInAdapter implements PlatformAdapter {
  readonly platform = 'linkedin' as const;
  readonly rules = LINKEDIN_RULES;

  constructor(private readonly options: LinkedInAdapterOptions = {}) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private base(request: Pick<SegmentRequest, 'account'>): string {
    return (request.account.base_url ?? this.options.baseUrl ?? LINKEDIN_API_BASE).replace(/\/+$/, '');
  }

  private headers(creds: LinkedInCredentials): Record<string, string> {
    return apiHeaders(creds.token, this.options.version ?? LINKEDIN_VERSION);
  }

  check(request: Pick<SegmentRequest, 'text' | 'media' | 'index'>): string[] {
    return segmentProblems(request);
  }

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    const problems = segmentProblems(request);
    if (problems.length > 0) throw new PlatformError('rejected', `${LINKEDIN_NAME} would refuse this ${request.index === 0 ? 'post' : 'comment'}: ${problems.join('; ')}`);
    const creds = credentialsOf(request.account);
    const base = this.base(request);
    if (request.index > 0) return this.comment(request, creds, base);

    const video = request.media.find((m) => m.kind === 'video');
    const uploaded: UploadedMedia[] = [];
    if (video) uploaded.push({ urn: await this.uploadVideo(base, creds, video, request.signal) });
    else for (const image of request.media) uploaded.push({ urn: await this.uploadImage(base, creds, image, request.signal), altText: image.alt_text });

    const response = await this.call(`${base}/rest/posts`, { method: 'POST', headers: this.headers(creds), json: postBody(creds.author, request.text, request.settings, postContent(uploaded, video ? 'video' : 'image')), signal: request.signal }, 'final');
    const urn = str(response.headers.get('x-restli-id')) ?? str((response.body as { id?: unknown } | undefined)?.id);
    if (!urn) throw new PlatformError('unknown_outcome', `${LINKEDIN_NAME} accepted the post but did not say its URN`);
    return { post_id: urn, post_url: postUrl(urn), ref: { urn } };
  }

  private async comment(request: SegmentRequest, creds: LinkedInCredentials, base: string): Promise<SegmentRef> {
    const root = request.root;
    if (!root) throw new PlatformError('rejected', `${LINKEDIN_NAME}: segment ${request.index} is a comment but the thread's first post is not known`);
    const postUrn = root.ref?.urn ?? root.post_id;
    const image = request.media.find((m) => m.kind === 'image');
    const imageUrn = image ? await this.uploadImage(base, creds, image, request.signal) : undefined;
    const response = await this.call(
      `${base}/rest/socialActions/${urnPath(postUrn)}/comments`,
      { method: 'POST', headers: this.headers(creds), json: commentBody(creds.author, postUrn, request.text, imageUrn), signal: request.signal },
      'final',
    );
    const body = (response.body ?? {}) as { commentUrn?: unknown; id?: unknown };
    const commentUrn = str(body.commentUrn) ?? (str(body.id) ? `urn:li:comment:(${postUrn},${String(body.id)})` : str(response.headers.get('x-restli-id')));
    if (!commentUrn) throw new PlatformError('unknown_outcome', `${LINKEDIN_NAME} accepted the comment but did not say its URN`);
    return { post_id: commentUrn, post_url: commentUrl(postUrn, commentUrn), ref: { urn: commentUrn } };
  }

  /** Images API: initialize, PUT the bytes to the upload URL, wait until AVAILABLE. Nothing is visible until a post uses it. */
  private async uploadImage(base: string, creds: LinkedInCredentials, image: MediaAttachment, signal?: AbortSignal): Promise<string> {
    const { bytes } = await image.load();
    const init = valueOf(await this.call(`${base}/rest/images?action=initializeUpload`, { method: 'POST', headers: this.headers(creds), json: initializeImageBody(creds.author), signal }, 'repeatable'));
    const uploadUrl = str(init.uploadUrl);
    const urn = str(init.image);
    if (!uploadUrl || !urn) throw new PlatformError('transient', `${LINKEDIN_NAME} answered an image upload without an upload URL or image URN`);
    await this.call(uploadUrl, { method: 'PUT', headers: { authorization: `Bearer ${creds.token}`, 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes), signal }, 'repeatable');
    await this.untilAvailable(`${base}/rest/images/${urnPath(urn)}`, creds, urn, signal);
    return urn;
  }

  /** Videos API: initialize with the size, PUT each part, finalize with the parts' ETags, wait until AVAILABLE. */
  private async uploadVideo(base: string, creds: LinkedInCredentials, video: MediaAttachment, signal?: AbortSignal): Promise<string> {
    const { bytes } = await video.load();
    const init = valueOf(await this.call(`${base}/rest/videos?action=initializeUpload`, { method: 'POST', headers: this.headers(creds), json: initializeVideoBody(creds.author, bytes.length), signal }, 'repeatable'));
    const urn = str(init.video);
    const instructions = Array.isArray(init.uploadInstructions) ? (init.uploadInstructions as Array<{ uploadUrl?: unknown; firstByte?: unknown; lastByte?: unknown }>) : [];
    if (!urn || instructions.length === 0) throw new PlatformError('transient', `${LINKEDIN_NAME} answered a video upload without a video URN or upload instructions`);
    const etags: string[] = [];
    for (const part of instructions) {
      const url = str(part.uploadUrl);
      const first = Number(part.firstByte);
      const last = Number(part.lastByte);
      if (!url || !Number.isInteger(first) || !Number.isInteger(last)) throw new PlatformError('transient', `${LINKEDIN_NAME} answered malformed video upload instructions`);
      const uploaded = await this.call(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes.subarray(first, last + 1)), signal }, 'repeatable');
      const etag = uploaded.headers.get('etag');
      if (!etag) throw new PlatformError('transient', `${LINKEDIN_NAME} accepted a video part without an ETag`);
      etags.push(etag);
    }
    await this.call(`${base}/rest/videos?action=finalizeUpload`, { method: 'POST', headers: this.headers(creds), json: finalizeVideoBody(urn, str(init.uploadToken) ?? '', etags), signal }, 'repeatable');
    await this.untilAvailable(`${base}/rest/videos/${urnPath(urn)}`, creds, urn, signal);
    return urn;
  }

  private async untilAvailable(url: string, creds: LinkedInCredentials, urn: string, signal?: AbortSignal): Promise<void> {
    const deadline = this.now() + (this.options.processingTimeoutMs ?? 180_000);
    const interval = this.options.pollIntervalMs ?? 2_000;
    for (;;) {
      const response = await this.call(url, { headers: this.headers(creds), signal }, 'read');
      const status = (response.body as { status?: unknown } | undefined)?.status;
      if (status === 'AVAILABLE') return;
      if (status === 'PROCESSING_FAILED') throw new PlatformError('rejected', `${LINKEDIN_NAME} could not process ${urn}`);
      if (this.now() + interval > deadline) throw new PlatformError('transient', `${LINKEDIN_NAME} is still processing ${urn}; will try again later`);
      await delay(interval, signal, () => new PlatformError('transient', `${LINKEDIN_NAME}: waiting for media processing was cancelled`));
    }
  }

  /**
   * Looks for the segment among the author's posts (or the post's comments) made since
   * the request; certain only when every post since then was seen.
   */
  async findPublished(request: SegmentRequest): Promise<SegmentRef | null> {
    const creds = credentialsOf(request.account);
    const base = this.base(request);
    const windowStart = Date.parse(request.requestedAt) - LOOKUP_SLACK_MS;

    if (request.index > 0) {
      const root = request.root;
      if (!root) return null;
      const postUrn = root.ref?.urn ?? root.post_id;
      for (let page = 0; page < COMMENT_PAGES; page++) {
        const query = new URLSearchParams({ start: String(page * 100), count: '100' });
        const response = await this.call(`${base}/rest/socialActions/${urnPath(postUrn)}/comments?${query}`, { headers: this.headers(creds), signal: request.signal }, 'read');
        const body = (response.body ?? {}) as { elements?: unknown; paging?: { total?: unknown } };
        const elements = Array.isArray(body.elements) ? (body.elements as Array<{ id?: unknown; commentUrn?: unknown; actor?: unknown; message?: { text?: unknown }; created?: { time?: unknown } }>) : [];
        const hit = elements.find((c) => c.actor === creds.author && c.message?.text === request.text && Number(c.created?.time ?? 0) >= windowStart);
        if (hit) {
          const commentUrn = str(hit.commentUrn) ?? `urn:li:comment:(${postUrn},${String(hit.id)})`;
          return { post_id: commentUrn, post_url: commentUrl(postUrn, commentUrn), ref: { urn: commentUrn } };
        }
        const total = Number(body.paging?.total);
        if (elements.length < 100 || (Number.isFinite(total) && (page + 1) * 100 >= total)) return null;
      }
      throw new PlatformError('unknown_outcome', `${LINKEDIN_NAME}: the post has more comments than could be read; whether this one was published cannot be told`);
    }

    // Posts finder by author, newest first (https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api#find-posts-by-authors).
    const query = new URLSearchParams({ author: creds.author, q: 'author', count: String(LOOKUP_COUNT), sortBy: 'CREATED' });
    const response = await this.call(`${base}/rest/posts?${query}`, { headers: { ...this.headers(creds), 'x-restli-method': 'FINDER' }, signal: request.signal }, 'read');
    const elements = Array.isArray((response.body as { elements?: unknown } | undefined)?.elements)
      ? ((response.body as { elements: unknown[] }).elements as Array<{ id?: unknown; commentary?: unknown; createdAt?: unknown }>)
      : [];
    const commentary = littleText(request.text);
    const hit = elements.find((p) => p.commentary === commentary && Number(p.createdAt ?? 0) >= windowStart);
    if (hit) {
      const urn = String(hit.id);
      return { post_id: urn, post_url: postUrl(urn), ref: { urn } };
    }
    if (elements.length < LOOKUP_COUNT || elements.some((p) => Number(p.createdAt ?? Infinity) < windowStart)) return null;
    throw new PlatformError('unknown_outcome', `${LINKEDIN_NAME}: more posts were made since the request than could be read; whether this one was published cannot be told`);
  }

  private async call(url: string, init: RequestJsonInit, write: Write): Promise<JsonResponse> {
    let response: JsonResponse;
    try {
      response = await requestJson(url, { timeoutMs: this.options.timeoutMs, label: LINKEDIN_NAME, ...init });
    } catch (err) {
      // Uploads and reads repeated leave nothing visible; only the post or comment itself must not be.
      if (err instanceof PlatformError && err.kind === 'unknown_outcome' && write !== 'final') throw new PlatformError('transient', `${err.message}; repeating it is harmless`, err.details);
      throw err;
    }
    if (!response.ok) throw linkedinFailure(response, this.now());
    return response;
  }
}
