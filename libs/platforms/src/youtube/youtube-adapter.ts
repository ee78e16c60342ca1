import { JsonResponse, requestJson, RequestJsonInit } from '../http/request-json';
import { delay } from '../http/delay';
import { LoadedMedia, PlatformAdapter, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { SegmentAttempts } from '../telegram/segment-attempts';
import { youtubeFailure } from './errors';
import {
  channelOf,
  commentRef,
  commentReplyBody,
  commentThreadBody,
  dataUrl,
  nextByte,
  segmentProblems,
  settingsOf,
  uploadStartUrl,
  videoIdOf,
  videoRef,
  videoResource,
  YoutubeChannel,
} from './requests';
import { YOUTUBE_API_ORIGIN, YOUTUBE_NAME, YOUTUBE_RULES } from './rules';

export interface YoutubeAdapterOptions {
  /** Host of the upload and Data API for accounts without `base_url`; default `https://www.googleapis.com`. */
  baseUrl?: string;
  /** Per metadata request; default 30 s. */
  timeoutMs?: number;
  /** Per upload request (the video bytes); default 10 minutes. */
  uploadTimeoutMs?: number;
  /** Times an interrupted upload is resumed within one attempt; default 5. */
  maxResumes?: number;
  /** Pause before resuming an interrupted upload; default 1 s. */
  pollIntervalMs?: number;
  now?: () => number;
}

interface VideoResource {
  id?: string;
  snippet?: { channelId?: string };
}

const JSON_UTF8 = 'application/json; charset=UTF-8';
const SESSION_EXPIRED = 'upload_session_expired';
// A duplicate would be among the channel's latest uploads or the video's latest comments.
const LOOKUP_PAGE = '50';

/**
 * YouTube through the Data API v3: the first segment is the video (resumable upload, its
 * text the description), the next one a top-level comment on it, and the rest replies to
 * that comment, so the thread reads in order under one comment (top-level comments are
 * sorted by YouTube, replies are not).
 */
export class YoutubeAdapter implements PlatformAdapter {
  /** Channels of videos uploaded by this process, from the upload's answer. */
  private readonly videoChannels = new Map<string, string>();
  readonly platform = 'youtube' as const;
  readonly rules = YOUTUBE_RULES;
  private readonly attempts = new SegmentAttempts();

  constructor(private readonly options: YoutubeAdapterOptions = {}) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  check(request: Pick<SegmentRequest, 'text' | 'media' | 'index' | 'total' | 'settings'>): string[] {
    return segmentProblems(request);
  }

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    const problems = segmentProblems(request);
    if (problems.length > 0) throw new PlatformError('rejected', `${YOUTUBE_NAME} would refuse this post: ${problems.join('; ')}`);
    const channel = channelOf(request.account, this.options.baseUrl ?? YOUTUBE_API_ORIGIN);
    const known = this.attempts.recall(request.idempotencyKey);
    if (known?.state === 'published') return known.ref;
    const ref = request.index === 0 ? await this.uploadVideo(channel, request) : await this.comment(channel, request);
    return this.attempts.published(request.idempotencyKey, ref);
  }

  /**
   * An upload this process started is asked where it stands; otherwise the channel's latest
   * uploads (a video with the same title and description) or the video's latest comments
   * (the same text) are read. Needs a scope that reads (`youtube.force-ssl` does).
   */
  async findPublished(request: SegmentRequest): Promise<SegmentRef | null> {
    const known = this.attempts.recall(request.idempotencyKey);
    if (known?.state === 'published') return known.ref;
    const channel = channelOf(request.account, this.options.baseUrl ?? YOUTUBE_API_ORIGIN);
    try {
      const session = known?.data.upload_url;
      if (request.index === 0 && session) {
        const video = await this.finishedUpload(channel, session, Number(known?.data.upload_length), request.signal);
        if (video === null) return null;
        return this.attempts.published(request.idempotencyKey, videoRef(video));
      }
      if (known?.state === 'not_published') return null;
      const found = request.index === 0 ? await this.findVideo(channel, request) : await this.findComment(channel, request);
      return found ? this.attempts.published(request.idempotencyKey, found) : null;
    } catch (err) {
      throw new PlatformError('unknown_outcome', `${YOUTUBE_NAME}: whether segment ${request.index + 1} was posted cannot be checked (${err instanceof Error ? err.message : String(err)}); look on the channel`);
    }
  }

  private async uploadVideo(channel: YoutubeChannel, request: SegmentRequest): Promise<SegmentRef> {
    const attachment = request.media.find((m) => m.kind === 'video');
    if (!attachment) throw new PlatformError('rejected', `${YOUTUBE_NAME} needs a video`);
    const video = await attachment.load();
    const key = request.idempotencyKey;
    const remembered = this.attempts.recall(key)?.data;
    let session = remembered?.upload_url && remembered.upload_length === String(video.bytes.length) ? remembered.upload_url : undefined;
    const resuming = session !== undefined;
    if (!session) {
      // https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol#Start_Resumable_Session
      const started = await this.call(uploadStartUrl(channel), {
        method: 'POST',
        headers: { authorization: `Bearer ${channel.token}`, 'content-type': JSON_UTF8, 'x-upload-content-length': String(video.bytes.length), 'x-upload-content-type': video.mime },
        body: JSON.stringify(videoResource(request)),
        signal: request.signal,
      }).catch((err: unknown) => {
        // A session whose answer was lost holds no video: opening another is harmless.
        throw err instanceof PlatformError && err.kind === 'unknown_outcome' ? new PlatformError('transient', err.message, err.details) : err;
      });
      const location = started.headers.get('location');
      if (!location) throw new PlatformError('transient', `${YOUTUBE_NAME} opened no upload session (no Location header)`);
      session = new URL(location, channel.origin).href;
      // Kept so that the next attempt resumes this upload instead of starting a second video.
      this.attempts.note(key, { upload_url: session, upload_length: String(video.bytes.length) });
    }
    const uploadUrl = session;
    try {
      const id = await this.attempts.send(key, () => this.transfer(channel, uploadUrl, video, resuming, request.signal));
      this.attempts.forget(key, 'upload_url', 'upload_length');
      return videoRef(id, this.videoChannels.get(id));
    } catch (err) {
      if (err instanceof PlatformError && err.details.platformCode === SESSION_EXPIRED) this.attempts.forget(key, 'upload_url', 'upload_length');
      throw err;
    }
  }

  /**
   * Sends the bytes, resuming after a 308 (Resume Incomplete), a 5xx or a lost connection
   * from where the upload stands; the video exists once YouTube answers 200/201 with it.
   */
  private async transfer(channel: YoutubeChannel, session: string, video: LoadedMedia, resuming: boolean, signal?: AbortSignal): Promise<string> {
    const total = video.bytes.length;
    let offset = 0;
    if (resuming) {
      const standing = await this.uploadStatus(channel, session, total, signal);
      if (standing.id) return standing.id;
      offset = standing.next;
    }
    const maxResumes = this.options.maxResumes ?? 5;
    for (let resumes = 0; ; resumes++) {
      let response: JsonResponse | undefined;
      try {
        // https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol#Save_Resumable_Session_URI
        response = await requestJson(session, {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${channel.token}`,
            'content-type': video.mime,
            ...(offset > 0 ? { 'content-range': `bytes ${offset}-${total - 1}/${total}` } : {}),
          },
          body: new Uint8Array(video.bytes.subarray(offset)),
          redirect: 'manual',
          signal,
          timeoutMs: this.options.uploadTimeoutMs ?? 600_000,
          label: YOUTUBE_NAME,
        });
      } catch (err) {
        if (!(err instanceof PlatformError) || (err.kind !== 'unknown_outcome' && err.kind !== 'transient')) throw err;
      }
      if (response?.status === 200 || response?.status === 201) return this.videoId(response);
      if (response && response.status !== 308 && response.status < 500) throw youtubeFailure(response, this.now());
      if (resumes >= maxResumes) throw new PlatformError('transient', `${YOUTUBE_NAME} upload was interrupted ${resumes + 1} times; it resumes on the next attempt`);
      // https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol#Check_Upload_Status
      if (response?.status !== 308) await delay(this.options.pollIntervalMs ?? 1_000, signal, () => new PlatformError('transient', `${YOUTUBE_NAME} upload was cancelled`));
      const status = await this.uploadStatus(channel, session, total, signal);
      if (status.id) return status.id;
      offset = status.next;
    }
  }

  /** Asks an upload session where it stands: finished (the video's id) or the next byte it wants. */
  private async uploadStatus(channel: YoutubeChannel, session: string, total: number, signal?: AbortSignal): Promise<{ id?: string; next: number }> {
    let response: JsonResponse;
    try {
      response = await requestJson(session, {
        method: 'PUT',
        headers: { authorization: `Bearer ${channel.token}`, 'content-range': `bytes */${total}` },
        body: new Uint8Array(0),
        redirect: 'manual',
        signal,
        timeoutMs: this.options.timeoutMs,
        label: YOUTUBE_NAME,
      });
    } catch (err) {
      // Asking changes nothing, but while unanswered the upload may have finished.
      throw err instanceof PlatformError ? new PlatformError('unknown_outcome', err.message, err.details) : err;
    }
    if (response.status === 200 || response.status === 201) return { id: this.videoId(response), next: total };
    if (response.status === 308) return { next: nextByte(response.headers.get('range')) };
    if (response.status === 404 || response.status === 410) {
      throw new PlatformError('transient', `${YOUTUBE_NAME} upload session expired before the video was complete; the upload starts over`, { status: response.status, platformCode: SESSION_EXPIRED });
    }
    const failure = youtubeFailure(response, this.now());
    throw failure.kind === 'transient' ? new PlatformError('unknown_outcome', failure.message, failure.details) : failure;
  }

  /** The video of a finished upload session, or null when it never finished (nothing was created). */
  private async finishedUpload(channel: YoutubeChannel, session: string, total: number, signal?: AbortSignal): Promise<string | null> {
    try {
      const status = await this.uploadStatus(channel, session, total, signal);
      return status.id ?? null;
    } catch (err) {
      if (err instanceof PlatformError && err.kind === 'transient') return null;
      throw err;
    }
  }

  private videoId(response: JsonResponse): string {
    const video = response.body as VideoResource | undefined;
    const id = video?.id;
    if (typeof id !== 'string' || id === '') throw new PlatformError('unknown_outcome', `${YOUTUBE_NAME} finished the upload but its answer had no video id`);
    if (video?.snippet?.channelId) this.videoChannels.set(id, video.snippet.channelId);
    return id;
  }

  /**
   * The channel a video belongs to: recorded from the upload's answer (`snippet.channelId`),
   * else the account's own channel (`channels.list?mine=true`), as for a thread resumed
   * from a segment recorded before the channel was kept.
   */
  private async channelIdFor(channel: YoutubeChannel, request: SegmentRequest): Promise<string> {
    const recorded = request.root?.ref?.channel_id;
    if (recorded) return recorded;
    // https://developers.google.com/youtube/v3/docs/channels/list
    const mine = await this.call(dataUrl(channel, 'channels', { part: 'id', mine: 'true' }), { headers: { authorization: `Bearer ${channel.token}` }, signal: request.signal });
    const id = (mine.body as { items?: Array<{ id?: string }> } | undefined)?.items?.[0]?.id;
    if (!id) throw new PlatformError('rejected', `${YOUTUBE_NAME} names no channel for this account, so the video cannot be commented on`);
    return id;
  }

  private async comment(channel: YoutubeChannel, request: SegmentRequest): Promise<SegmentRef> {
    const videoId = videoIdOf(request);
    const headers = { authorization: `Bearer ${channel.token}`, 'content-type': JSON_UTF8 };
    if (request.index === 1) {
      const channelId = await this.channelIdFor(channel, request);
      // https://developers.google.com/youtube/v3/docs/commentThreads/insert
      const response = await this.attempts.send(request.idempotencyKey, () =>
        this.call(dataUrl(channel, 'commentThreads', { part: 'snippet' }), { method: 'POST', headers, body: JSON.stringify(commentThreadBody(channelId, videoId, request.text)), signal: request.signal }),
      );
      const thread = response.body as { id?: string; snippet?: { topLevelComment?: { id?: string } } } | undefined;
      const commentId = thread?.snippet?.topLevelComment?.id ?? thread?.id;
      if (!commentId) throw new PlatformError('unknown_outcome', `${YOUTUBE_NAME} took the comment but its answer had no id`);
      return commentRef(videoId, commentId, commentId);
    }
    const parentId = request.parent?.ref?.thread_comment_id;
    if (!parentId) throw new PlatformError('rejected', `the thread's first ${YOUTUBE_NAME} comment id is missing, so this reply cannot be posted`);
    // https://developers.google.com/youtube/v3/docs/comments/insert
    const response = await this.attempts.send(request.idempotencyKey, () =>
      this.call(dataUrl(channel, 'comments', { part: 'snippet' }), { method: 'POST', headers, body: JSON.stringify(commentReplyBody(parentId, request.text)), signal: request.signal }),
    );
    const id = (response.body as { id?: string } | undefined)?.id;
    if (!id) throw new PlatformError('unknown_outcome', `${YOUTUBE_NAME} took the reply but its answer had no id`);
    return commentRef(videoId, id, parentId);
  }

  private async findVideo(channel: YoutubeChannel, request: SegmentRequest): Promise<SegmentRef | null> {
    const auth = { authorization: `Bearer ${channel.token}` };
    // https://developers.google.com/youtube/v3/docs/channels/list
    const mine = await this.call(dataUrl(channel, 'channels', { part: 'contentDetails', mine: 'true' }), { headers: auth, signal: request.signal });
    const uploads = (mine.body as { items?: Array<{ contentDetails?: { relatedPlaylists?: { uploads?: string } } }> } | undefined)?.items?.[0]?.contentDetails?.relatedPlaylists?.uploads;
    if (!uploads) return null;
    // https://developers.google.com/youtube/v3/docs/playlistItems/list
    const page = await this.call(dataUrl(channel, 'playlistItems', { part: 'snippet', playlistId: uploads, maxResults: LOOKUP_PAGE }), { headers: auth, signal: request.signal });
    const title = settingsOf(request.settings).title;
    const items = (page.body as { items?: Array<{ snippet?: { channelId?: string; title?: string; description?: string; resourceId?: { videoId?: string } } }> } | undefined)?.items ?? [];
    const found = items.find((item) => item.snippet?.title === title && item.snippet?.description === request.text);
    const id = found?.snippet?.resourceId?.videoId;
    return id ? videoRef(id, found?.snippet?.channelId) : null;
  }

  private async findComment(channel: YoutubeChannel, request: SegmentRequest): Promise<SegmentRef | null> {
    const auth = { authorization: `Bearer ${channel.token}` };
    const videoId = videoIdOf(request);
    if (request.index === 1) {
      // https://developers.google.com/youtube/v3/docs/commentThreads/list
      const page = await this.call(dataUrl(channel, 'commentThreads', { part: 'snippet', videoId, maxResults: LOOKUP_PAGE, order: 'time', textFormat: 'plainText' }), { headers: auth, signal: request.signal });
      const items = (page.body as { items?: Array<{ snippet?: { topLevelComment?: { id?: string; snippet?: { textOriginal?: string } } } }> } | undefined)?.items ?? [];
      const top = items.map((item) => item.snippet?.topLevelComment).find((c) => c?.snippet?.textOriginal === request.text);
      return top?.id ? commentRef(videoId, top.id, top.id) : null;
    }
    const parentId = request.parent?.ref?.thread_comment_id;
    if (!parentId) return null;
    // https://developers.google.com/youtube/v3/docs/comments/list
    const page = await this.call(dataUrl(channel, 'comments', { part: 'snippet', parentId, maxResults: LOOKUP_PAGE, textFormat: 'plainText' }), { headers: auth, signal: request.signal });
    const items = (page.body as { items?: Array<{ id?: string; snippet?: { textOriginal?: string } }> } | undefined)?.items ?? [];
    const reply = items.find((c) => c.snippet?.textOriginal === request.text);
    return reply?.id ? commentRef(videoId, reply.id, parentId) : null;
  }

  private async call(url: string, init: RequestJsonInit): Promise<JsonResponse> {
    const response = await requestJson(url, { timeoutMs: this.options.timeoutMs, label: YOUTUBE_NAME, ...init });
    if (response.ok) return response;
    throw youtubeFailure(response, this.now());
  }
}
