import { JsonResponse, requestJson, RequestJsonInit } from '../http/request-json';
import { delay } from '../http/delay';
import { fitImage } from '../media/fit-image';
import { MediaAttachment, PlatformAdapter, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { twitterFailure } from './errors';
import { altTextBody, appendForm, authorization, comparableText, imageUploadForm, initializeBody, postUrl, segmentProblems, tokenOf, tweetBody } from './requests';
import { TWITTER_NAME, TWITTER_RULES, X_API_BASE, X_CHUNK_BYTES, X_IMAGE_TYPES, X_MAX_GIF_BYTES, X_MAX_IMAGE_BYTES, X_MAX_VIDEO_BYTES, X_VIDEO_TYPES } from './rules';

export interface TwitterAdapterOptions {
  /** Default `https://api.x.com`; an account's `base_url` replaces it. */
  baseUrl?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Pause between processing-status reads of a video or GIF; default: the `check_after_secs` X answers. */
  pollIntervalMs?: number;
  /** How long a video or GIF may take to process; default 5 minutes. */
  processingTimeoutMs?: number;
  /** APPEND chunk size; default 4 MiB (X takes at most 5 MB). */
  chunkBytes?: number;
  now?: () => number;
}

/** The write that makes the post appear; everything before it can be repeated without a trace. */
type Write = 'read' | 'repeatable' | 'final';

interface PreparedMedia {
  attachment: MediaAttachment;
  bytes: Buffer;
  mime: string;
  kind: 'image' | 'gif' | 'video';
}

// How far back to look for a post made around the request, for clock skew.
const LOOKUP_SLACK_MS = 5 * 60_000;
const TIMELINE_PAGE = 20;
const TIMELINE_PAGES = 3;

function dataOf(response: JsonResponse): Record<string, unknown> {
  const data = (response.body as { data?: unknown } | undefined)?.data;
  return data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {};
}

function idIn(data: Record<string, unknown>): string | undefined {
  const id = data.id ?? data.media_id_string ?? data.media_id;
  return typeof id === 'string' && id !== '' ? id : typeof id === 'number' ? String(id) : undefined;
}

/**
 * X through API v2 with the account's OAuth 2.0 user token: media uploaded first (images
 * in one request, videos and GIFs in chunks and processed), alt text attached as
 * metadata, then `POST /2/tweets`, a reply to the previous segment for a thread.
 */
export class TwitterAdapter implements PlatformAdapter {
  readonly platform = 'twitter' as const;
  readonly rules = TWITTER_RULES;

  constructor(private readonly options: TwitterAdapterOptions = {}) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private base(request: Pick<SegmentRequest, 'account'>): string {
    return (request.account.base_url ?? this.options.baseUrl ?? X_API_BASE).replace(/\/+$/, '');
  }

  check(request: Pick<SegmentRequest, 'text' | 'media' | 'settings'>): string[] {
    return segmentProblems(request);
  }

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    const problems = segmentProblems(request);
    if (problems.length > 0) throw new PlatformError('rejected', `${TWITTER_NAME} would refuse this post: ${problems.join('; ')}`);
    const token = tokenOf(request.account);
    const base = this.base(request);
    const media = await this.prepare(request.media);

    const mediaIds: string[] = [];
    for (const item of media) mediaIds.push(await this.upload(base, token, item, request.signal));
    for (const [i, item] of media.entries()) {
      // Alt text is metadata of images and GIFs.
      if (item.attachment.alt_text && item.kind !== 'video') await this.call(`${base}/2/media/metadata`, { method: 'POST', headers: authorization(token), json: altTextBody(mediaIds[i], item.attachment.alt_text), signal: request.signal }, 'repeatable');
    }

    const response = await this.call(`${base}/2/tweets`, { method: 'POST', headers: authorization(token), json: tweetBody(request, mediaIds), signal: request.signal }, 'final');
    const id = idIn(dataOf(response));
    if (!id) throw new PlatformError('unknown_outcome', `${TWITTER_NAME} accepted the post but answered no id`);
    return { post_id: id, post_url: postUrl(id), ref: { id } };
  }

  /** Downloads and shapes the media before any request, so a bad file costs no upload. */
  private async prepare(media: readonly MediaAttachment[]): Promise<PreparedMedia[]> {
    const prepared = await Promise.all(
      media.map(async (attachment, i): Promise<PreparedMedia> => {
        const loaded = await attachment.load();
        if (attachment.kind === 'video') {
          if (!X_VIDEO_TYPES.includes(loaded.mime)) throw new PlatformError('rejected', `${TWITTER_NAME} takes MP4 or MOV videos; video ${i + 1} is ${loaded.mime}`);
          if (loaded.bytes.length > X_MAX_VIDEO_BYTES) throw new PlatformError('rejected', `${TWITTER_NAME} takes videos up to ${X_MAX_VIDEO_BYTES} bytes; video ${i + 1} has ${loaded.bytes.length}`);
          return { attachment, bytes: loaded.bytes, mime: loaded.mime, kind: 'video' };
        }
        if (loaded.mime === 'image/gif') {
          if (loaded.bytes.length > X_MAX_GIF_BYTES) throw new PlatformError('rejected', `${TWITTER_NAME} takes GIFs up to ${X_MAX_GIF_BYTES} bytes; image ${i + 1} has ${loaded.bytes.length}`);
          return { attachment, bytes: loaded.bytes, mime: loaded.mime, kind: 'gif' };
        }
        if (!X_IMAGE_TYPES.includes(loaded.mime)) throw new PlatformError('rejected', `${TWITTER_NAME} takes JPEG, PNG, WebP or GIF images; image ${i + 1} is ${loaded.mime}`);
        const fitted = await fitImage(loaded.bytes, loaded.mime, X_MAX_IMAGE_BYTES);
        return { attachment, bytes: fitted.bytes, mime: fitted.mime, kind: 'image' };
      }),
    );
    if (prepared.length > 1 && prepared.some((m) => m.kind === 'gif')) throw new PlatformError('rejected', `${TWITTER_NAME} takes an animated GIF alone in a post, not with other media`);
    return prepared;
  }

  private async upload(base: string, token: string, item: PreparedMedia, signal?: AbortSignal): Promise<string> {
    if (item.kind === 'image') {
      const response = await this.call(`${base}/2/media/upload`, { method: 'POST', headers: authorization(token), body: imageUploadForm(item.bytes, item.mime), signal }, 'repeatable');
      const id = idIn(dataOf(response));
      if (!id) throw new PlatformError('transient', `${TWITTER_NAME} answered an image upload without a media id`);
      return id;
    }
    // Videos and GIFs: initialize, append in chunks, finalize, then wait for processing.
    const category = item.kind === 'gif' ? 'tweet_gif' : 'tweet_video';
    const init = await this.call(`${base}/2/media/upload/initialize`, { method: 'POST', headers: authorization(token), json: initializeBody(item.bytes.length, item.mime, category), signal }, 'repeatable');
    const id = idIn(dataOf(init));
    if (!id) throw new PlatformError('transient', `${TWITTER_NAME} answered an upload initialization without a media id`);
    const chunk = this.options.chunkBytes ?? X_CHUNK_BYTES;
    for (let offset = 0, segment = 0; offset < item.bytes.length; offset += chunk, segment++) {
      await this.call(`${base}/2/media/upload/${encodeURIComponent(id)}/append`, { method: 'POST', headers: authorization(token), body: appendForm(item.bytes.subarray(offset, offset + chunk), segment), signal }, 'repeatable');
    }
    const finalized = await this.call(`${base}/2/media/upload/${encodeURIComponent(id)}/finalize`, { method: 'POST', headers: authorization(token), signal }, 'repeatable');
    await this.untilProcessed(base, token, id, dataOf(finalized).processing_info, signal);
    return id;
  }

  /** Follows `processing_info` until `succeeded` (https://docs.x.com/x-api/media/get-media-upload-status). */
  private async untilProcessed(base: string, token: string, id: string, initial: unknown, signal?: AbortSignal): Promise<void> {
    const deadline = this.now() + (this.options.processingTimeoutMs ?? 300_000);
    let info = initial as { state?: unknown; check_after_secs?: unknown; error?: { message?: unknown } } | undefined;
    for (;;) {
      if (info === undefined || info.state === 'succeeded') return;
      if (info.state === 'failed') {
        const reason = typeof info.error?.message === 'string' ? info.error.message : 'processing failed';
        throw new PlatformError('rejected', `${TWITTER_NAME} could not process the media: ${reason}`);
      }
      const wait = this.options.pollIntervalMs ?? Math.max(1, Number(info.check_after_secs) || 1) * 1000;
      if (this.now() + wait > deadline) throw new PlatformError('transient', `${TWITTER_NAME} is still processing media ${id}; will try again later`);
      await delay(wait, signal, () => new PlatformError('transient', `${TWITTER_NAME}: waiting for media processing was cancelled`));
      const status = await this.call(`${base}/2/media/upload?${new URLSearchParams({ command: 'STATUS', media_id: id })}`, { headers: authorization(token), signal }, 'read');
      info = (dataOf(status).processing_info ?? { state: 'succeeded' }) as typeof info;
    }
  }

  /**
   * Looks for the segment among the account's posts since the request (a reply must
   * answer the previous segment). Certain only when every post since then was seen.
   */
  async findPublished(request: SegmentRequest): Promise<SegmentRef | null> {
    const token = tokenOf(request.account);
    const base = this.base(request);
    const me = await this.call(`${base}/2/users/me`, { headers: authorization(token), signal: request.signal }, 'read');
    const userId = idIn(dataOf(me));
    if (!userId) throw new PlatformError('unknown_outcome', `${TWITTER_NAME} did not say which account the token belongs to`);
    const parentId = request.parent ? (request.parent.ref?.id ?? request.parent.post_id) : undefined;
    const wanted = comparableText(request.text, false);
    const startTime = new Date(Date.parse(request.requestedAt) - LOOKUP_SLACK_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');

    let paginationToken: string | undefined;
    for (let page = 0; page < TIMELINE_PAGES; page++) {
      const query = new URLSearchParams({ max_results: String(TIMELINE_PAGE), start_time: startTime, 'tweet.fields': 'created_at,referenced_tweets', ...(paginationToken ? { pagination_token: paginationToken } : {}) });
      const response = await this.call(`${base}/2/users/${encodeURIComponent(userId)}/tweets?${query}`, { headers: authorization(token), signal: request.signal }, 'read');
      const body = response.body as { data?: unknown; meta?: { next_token?: unknown } } | undefined;
      const tweets = Array.isArray(body?.data) ? (body.data as Array<{ id?: unknown; text?: unknown; referenced_tweets?: Array<{ type?: unknown; id?: unknown }> }>) : [];
      const hit = tweets.find((t) => {
        if (typeof t.text !== 'string' || comparableText(t.text, !request.text.startsWith('@')) !== wanted) return false;
        if (parentId === undefined) return true;
        return (t.referenced_tweets ?? []).some((r) => r.type === 'replied_to' && String(r.id) === parentId);
      });
      if (hit) return { post_id: String(hit.id), post_url: postUrl(String(hit.id)), ref: { id: String(hit.id) } };
      paginationToken = typeof body?.meta?.next_token === 'string' ? body.meta.next_token : undefined;
      if (!paginationToken) return null;
    }
    throw new PlatformError('unknown_outcome', `${TWITTER_NAME}: more posts were made since the request than could be read; whether this one was published cannot be told`);
  }

  private async call(url: string, init: RequestJsonInit, write: Write): Promise<JsonResponse> {
    let response: JsonResponse;
    try {
      response = await requestJson(url, { timeoutMs: this.options.timeoutMs, label: TWITTER_NAME, ...init });
    } catch (err) {
      // An upload, alt text or read repeated leaves nothing visible; only the post itself must not be.
      if (err instanceof PlatformError && err.kind === 'unknown_outcome' && write !== 'final') throw new PlatformError('transient', `${err.message}; repeating it is harmless`, err.details);
      throw err;
    }
    if (!response.ok) throw twitterFailure(response, this.now());
    return response;
  }
}
