import { JsonResponse, requestJson } from '../http/request-json';
import { delay } from '../http/delay';
import { MediaAttachment, PlatformAdapter, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { SegmentAttempts } from '../telegram/segment-attempts';
import { errorOf, failedPost, tiktokFailure } from './errors';
import {
  CreatorInfo,
  creatorInfoOf,
  creatorOf,
  photoInitBody,
  postKind,
  postRef,
  privacyFor,
  publicPostIds,
  segmentProblems,
  settingsOf,
  TiktokCreator,
  TiktokPostKind,
  unlistedRef,
  videoInitBody,
} from './requests';
import { TIKTOK_API_BASE, TIKTOK_JSON, TIKTOK_MAX_PHOTO_BYTES, TIKTOK_NAME, TIKTOK_PHOTO_TYPES, TIKTOK_RULES, TIKTOK_WEB } from './rules';

export interface TiktokAdapterOptions {
  /** API host for accounts without `base_url`; default `https://open.tiktokapis.com`. */
  baseUrl?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Pause between status reads; default 5 s (the status endpoint allows 30 reads a minute). */
  pollIntervalMs?: number;
  /** How long to follow a post through download, processing and moderation; default 10 minutes. */
  publishTimeoutMs?: number;
  now?: () => number;
}

interface PublishStatus {
  status?: string;
  failReason?: string;
  postIds: string[];
}

const PROCESSING = new Set(['PROCESSING_DOWNLOAD', 'PROCESSING_UPLOAD', 'SEND_TO_USER_INBOX']);
// A duplicate posted before a lost answer would be this old at most, relative to the publish request.
const LOOKUP_WINDOW_S = 300;
const LOOKUP_FIELDS = 'id,title,video_description,create_time,share_url';

/**
 * Photos are pulled by TikTok from their URLs, but TikTok takes JPEG and WebP only: the
 * bytes are sniffed first, so a PNG is refused here rather than failing minutes later.
 */
async function checkPhotos(media: readonly MediaAttachment[]): Promise<void> {
  for (const [i, photo] of media.entries()) {
    const { bytes, mime } = await photo.load();
    if (!TIKTOK_PHOTO_TYPES.includes(mime)) throw new PlatformError('rejected', `${TIKTOK_NAME} photo posts take JPEG or WebP images; photo ${i + 1} is ${mime}`);
    if (bytes.length > TIKTOK_MAX_PHOTO_BYTES) throw new PlatformError('rejected', `${TIKTOK_NAME} takes photos up to ${TIKTOK_MAX_PHOTO_BYTES} bytes; photo ${i + 1} has ${bytes.length}`);
  }
}

/**
 * TikTok through the Content Posting API (direct post, media pulled from its URLs): the
 * creator's allowed privacy levels are read first, the post is initialised, then its
 * status is followed until TikTok publishes it (or says why not). A thread is a run of
 * separate posts, each carrying its `(i/n)`.
 */
export class TiktokAdapter implements PlatformAdapter {
  readonly platform = 'tiktok' as const;
  readonly rules = TIKTOK_RULES;
  private readonly attempts = new SegmentAttempts();

  constructor(private readonly options: TiktokAdapterOptions = {}) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  check(request: Pick<SegmentRequest, 'text' | 'media' | 'index' | 'total' | 'settings'>): string[] {
    return segmentProblems(request);
  }

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    const problems = segmentProblems(request);
    if (problems.length > 0) throw new PlatformError('rejected', `${TIKTOK_NAME} would refuse this post: ${problems.join('; ')}`);
    const creator = creatorOf(request.account, this.options.baseUrl ?? TIKTOK_API_BASE);
    const key = request.idempotencyKey;
    const known = this.attempts.recall(key);
    if (known?.state === 'published') return known.ref;

    const kind = postKind(request.media);
    const settings = settingsOf(request.settings);
    // An earlier attempt's post is still being published: follow it rather than post again.
    const pending = known?.data.publish_id;
    if (pending) return this.attempts.send(key, () => this.follow(creator, pending, key, request.signal));

    if (kind === 'photo') await checkPhotos(request.media);
    const info = await this.creatorInfo(creator, request.signal);
    const privacy = privacyFor(settings, info);
    const body =
      kind === 'video'
        ? videoInitBody(request.text, settings, info, privacy, request.media[0].url)
        : photoInitBody(
            request.text,
            settings,
            info,
            privacy,
            request.media.map((m) => m.url),
          );
    return this.attempts.send(key, async () => {
      // https://developers.tiktok.com/doc/content-posting-api-reference-direct-post (video)
      // https://developers.tiktok.com/doc/content-posting-api-reference-photo-post (photos)
      const answer = await this.call(creator, kind === 'video' ? '/v2/post/publish/video/init/' : '/v2/post/publish/content/init/', body, { posts: true, signal: request.signal });
      const publishId = (answer.body as { data?: { publish_id?: unknown } } | undefined)?.data?.publish_id;
      if (typeof publishId !== 'string' || publishId === '') throw new PlatformError('unknown_outcome', `${TIKTOK_NAME} accepted the post but its answer had no publish_id`);
      this.attempts.note(key, { publish_id: publishId, kind, privacy, ...(info.username ? { username: info.username } : {}) });
      return this.follow(creator, publishId, key, request.signal);
    });
  }

  /**
   * A post this process initialised is asked for its status; otherwise the account's latest
   * videos (`/v2/video/list/`, scope `video.list`) are searched for one with the segment's
   * text, made since shortly before the publish request.
   */
  async findPublished(request: SegmentRequest): Promise<SegmentRef | null> {
    const key = request.idempotencyKey;
    const known = this.attempts.recall(key);
    if (known?.state === 'published') return known.ref;
    const creator = creatorOf(request.account, this.options.baseUrl ?? TIKTOK_API_BASE);
    const publishId = known?.data.publish_id;
    try {
      if (publishId) {
        const status = await this.status(creator, publishId, request.signal);
        if (status.status === 'FAILED') {
          this.attempts.forget(key, 'publish_id');
          return null;
        }
        if (status.status === 'PUBLISH_COMPLETE') return this.attempts.published(key, this.refOf(known?.data ?? {}, publishId, status.postIds));
        throw new PlatformError('unknown_outcome', `${TIKTOK_NAME} is still publishing ${publishId} (${status.status ?? 'no status'})`);
      }
      if (known?.state === 'not_published') return null;
      const found = await this.lookUp(creator, request);
      return found ? this.attempts.published(key, found) : null;
    } catch (err) {
      throw new PlatformError('unknown_outcome', `${TIKTOK_NAME}: whether segment ${request.index + 1} was posted cannot be checked (${err instanceof Error ? err.message : String(err)}); look on the account`);
    }
  }

  private refOf(data: Record<string, string>, publishId: string, postIds: readonly string[]): SegmentRef {
    const kind: TiktokPostKind = data.kind === 'photo' ? 'photo' : 'video';
    return postIds[0] ? postRef(data.username, postIds[0], kind, publishId) : unlistedRef(data.username, publishId);
  }

  /**
   * Follows the post until TikTok publishes it. A public post's id comes only after
   * moderation; a private one never gets a public id, so its publish_id stands in. A post
   * that FAILED was not published (the reason says why); one still going at the deadline
   * may yet be published, so its outcome is unknown (the publish_id is kept to look again).
   */
  private async follow(creator: TiktokCreator, publishId: string, key: string, signal?: AbortSignal): Promise<SegmentRef> {
    const data = this.attempts.recall(key)?.data ?? {};
    const deadline = this.now() + (this.options.publishTimeoutMs ?? 600_000);
    const interval = this.options.pollIntervalMs ?? 5_000;
    for (;;) {
      let status: PublishStatus;
      try {
        status = await this.status(creator, publishId, signal);
      } catch (err) {
        throw new PlatformError('unknown_outcome', `${TIKTOK_NAME} accepted the post (publish_id ${publishId}) but its status could not be read: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (status.status === 'FAILED') {
        this.attempts.forget(key, 'publish_id');
        throw failedPost(status.failReason || 'unknown', publishId);
      }
      const complete = status.status === 'PUBLISH_COMPLETE';
      if (complete && (status.postIds.length > 0 || data.privacy === 'SELF_ONLY')) return this.attempts.published(key, this.refOf(data, publishId, status.postIds));
      const outOfTime = this.now() + interval > deadline;
      if (complete && outOfTime) return this.attempts.published(key, this.refOf(data, publishId, []));
      if (outOfTime) {
        throw new PlatformError('unknown_outcome', `${TIKTOK_NAME} is still publishing ${publishId} (${status.status ?? 'no status'}) after ${this.options.publishTimeoutMs ?? 600_000} ms`);
      }
      if (!complete && status.status !== undefined && !PROCESSING.has(status.status)) {
        throw new PlatformError('unknown_outcome', `${TIKTOK_NAME} answered an unknown status ${status.status} for ${publishId}`);
      }
      await delay(interval, signal, () => new PlatformError('unknown_outcome', `${TIKTOK_NAME} status wait was cancelled`));
    }
  }

  private async creatorInfo(creator: TiktokCreator, signal?: AbortSignal): Promise<CreatorInfo> {
    // https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
    const answer = await this.call(creator, '/v2/post/publish/creator_info/query/', undefined, { signal });
    return creatorInfoOf((answer.body as { data?: unknown } | undefined)?.data);
  }

  private async status(creator: TiktokCreator, publishId: string, signal?: AbortSignal): Promise<PublishStatus> {
    // https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
    const answer = await this.call(creator, '/v2/post/publish/status/fetch/', { publish_id: publishId }, { signal });
    const data = (answer.body as { data?: { status?: unknown; fail_reason?: unknown } } | undefined)?.data;
    return {
      ...(typeof data?.status === 'string' ? { status: data.status } : {}),
      ...(typeof data?.fail_reason === 'string' && data.fail_reason !== '' ? { failReason: data.fail_reason } : {}),
      postIds: publicPostIds(answer.text),
    };
  }

  private async lookUp(creator: TiktokCreator, request: SegmentRequest): Promise<SegmentRef | null> {
    // https://developers.tiktok.com/doc/tiktok-api-v2-video-list
    const answer = await this.call(creator, `/v2/video/list/?fields=${LOOKUP_FIELDS}`, { max_count: 20 }, { signal: request.signal });
    const videos = (answer.body as { data?: { videos?: Array<Record<string, unknown>> } } | undefined)?.data?.videos ?? [];
    const requested = Date.parse(request.requestedAt);
    const since = Number.isNaN(requested) ? 0 : Math.floor(requested / 1000) - LOOKUP_WINDOW_S;
    const found = videos.find(
      (v) => typeof v.id === 'string' && (typeof v.create_time !== 'number' || v.create_time >= since) && (v.video_description === request.text || v.title === request.text),
    );
    if (!found) return null;
    const id = found.id as string;
    const shared = typeof found.share_url === 'string' && found.share_url.startsWith(TIKTOK_WEB) ? found.share_url.split('?')[0] : undefined;
    return { post_id: id, post_url: shared ?? `${TIKTOK_WEB}/player/v1/${id}`, ref: { post_id: id } };
  }

  private async call(creator: TiktokCreator, path: string, body: unknown, opts: { posts?: boolean; signal?: AbortSignal }): Promise<JsonResponse> {
    let response: JsonResponse;
    try {
      response = await requestJson(`${creator.base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${creator.token}`, 'content-type': TIKTOK_JSON },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: opts.signal,
        timeoutMs: this.options.timeoutMs,
        label: TIKTOK_NAME,
      });
    } catch (err) {
      // Reads change nothing: a lost answer is only worth asking again.
      if (!opts.posts && err instanceof PlatformError && err.kind === 'unknown_outcome') throw new PlatformError('transient', err.message, err.details);
      throw err;
    }
    if (response.ok && errorOf(response.body).code === 'ok') return response;
    if (response.ok && opts.posts) throw new PlatformError('unknown_outcome', `${TIKTOK_NAME} answered HTTP ${response.status} without saying ok`);
    throw tiktokFailure(response, this.now());
  }
}
