import { MediaAttachment, PlatformAccount, PlatformAdapter, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { foundIn, graphCall, GraphCall, GraphParams, GraphWrite, graphTime, idOf, listed, pause, publicMediaProblems, sameText, sinceOf } from './graph';
import {
  commentParams,
  commentUrl,
  feedParams,
  graphBase,
  PageCredentials,
  pageOf,
  photoParams,
  postUrl,
  reelFinishParams,
  reelStartParams,
  reelUploadHeaders,
  reelUrl,
  segmentProblems,
  videoParams,
  videoTypeOf,
  videoUrl,
} from './requests';
import { FACEBOOK_NAME, FACEBOOK_RULES, GRAPH_HOST, GRAPH_VERSION, GRAPH_VIDEO_HOST, RUPLOAD_HOST } from './rules';

export interface FacebookAdapterOptions {
  /** Graph API host; default `https://graph.facebook.com`. An account's `base_url` replaces every host. */
  baseUrl?: string;
  /** Host of `POST /{page_id}/videos`; default `https://graph-video.facebook.com`. */
  videoBaseUrl?: string;
  /** Host of the Reels resumable upload; default `https://rupload.facebook.com`. */
  ruploadBaseUrl?: string;
  /** Default `v24.0` (`GRAPH_VERSION`). */
  graphVersion?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Pause between polls of a reel's publishing status; default 2 s. */
  pollIntervalMs?: number;
  /** How long to follow a reel's processing after it was accepted; default 60 s. */
  processingTimeoutMs?: number;
  /** `allowPrivateNetworks`: let media URLs on private networks through (tests; Meta itself cannot fetch them). */
  mediaOptions?: { allowPrivateNetworks?: boolean };
  now?: () => number;
}

interface Hosts {
  graph: string;
  video: string;
  rupload: string;
}

// Clock skew between us and Meta when looking for a post made around the request.
const LOOKUP_SLACK_MS = 5 * 60_000;

function pageName(request: Pick<SegmentRequest, 'index'>): string {
  return request.index === 0 ? 'post' : 'comment';
}

/**
 * Facebook Pages through the Graph API: a text post on the feed, photos (one published
 * with its caption, several uploaded unpublished and attached to one feed post), a video
 * (`/videos`) or a reel (the Reels API's start / upload / finish). Later segments of a
 * thread are comments on the first. Meta fetches media from their URLs.
 */
export class FacebookAdapter implements PlatformAdapter {
  readonly platform = 'facebook' as const;
  readonly rules = FACEBOOK_RULES;

  constructor(private readonly options: FacebookAdapterOptions = {}) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private get version(): string {
    return this.options.graphVersion ?? GRAPH_VERSION;
  }

  private hosts(account: PlatformAccount): Hosts {
    if (account.base_url) return { graph: account.base_url, video: account.base_url, rupload: account.base_url };
    return {
      graph: this.options.baseUrl ?? GRAPH_HOST,
      video: this.options.videoBaseUrl ?? this.options.baseUrl ?? GRAPH_VIDEO_HOST,
      rupload: this.options.ruploadBaseUrl ?? this.options.baseUrl ?? RUPLOAD_HOST,
    };
  }

  check(request: Pick<SegmentRequest, 'text' | 'media' | 'index'>): string[] {
    return [...segmentProblems(request), ...publicMediaProblems(FACEBOOK_NAME, request.media, this.options.mediaOptions?.allowPrivateNetworks)];
  }

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    const problems = this.check(request);
    if (problems.length > 0) throw new PlatformError('rejected', `${FACEBOOK_NAME} would refuse this ${pageName(request)}: ${problems.join('; ')}`);
    const page = pageOf(request.account);
    const hosts = this.hosts(request.account);
    if (request.index > 0) return this.comment(request, page, hosts);

    const video = request.media.find((m) => m.kind === 'video');
    if (video) return videoTypeOf(request.settings) === 'reel' ? this.reel(request, video, page, hosts) : this.video(request, video, page, hosts);
    const images = request.media.filter((m) => m.kind === 'image');
    const graph = graphBase(hosts.graph, this.version);

    if (images.length === 1) {
      const body = await this.call('POST', `${graph}/${page.pageId}/photos`, photoParams(images[0], { caption: request.text, published: true }), page, 'final', request.signal);
      const postId = idOf(body, 'post_id') ?? idOf(body);
      if (!postId) throw new PlatformError('unknown_outcome', `${FACEBOOK_NAME} accepted the photo but answered no id`);
      return { post_id: postId, post_url: await this.permalink(graph, postId, page, request.signal), ref: { id: postId } };
    }

    const photoIds: string[] = [];
    for (const image of images) {
      // Unpublished photos stay invisible until attached, so uploading one again is harmless.
      const body = await this.call('POST', `${graph}/${page.pageId}/photos`, photoParams(image, { published: false }), page, 'repeatable', request.signal);
      const id = idOf(body);
      if (!id) throw new PlatformError('transient', `${FACEBOOK_NAME} answered a photo upload without an id`);
      photoIds.push(id);
    }
    const body = await this.call('POST', `${graph}/${page.pageId}/feed`, feedParams(request.text, photoIds), page, 'final', request.signal);
    const postId = idOf(body);
    if (!postId) throw new PlatformError('unknown_outcome', `${FACEBOOK_NAME} accepted the post but answered no id`);
    return { post_id: postId, post_url: await this.permalink(graph, postId, page, request.signal), ref: { id: postId } };
  }

  /**
   * The post's public address: `GET /{post-id}?fields=permalink_url` (Page post node,
   * https://developers.facebook.com/docs/graph-api/reference/page-post/). The post exists
   * already, so a failed read must not fail the segment (a retry would post it twice):
   * the Graph id on facebook.com, which redirects for most posts, stands in.
   */
  private async permalink(graph: string, postId: string, page: PageCredentials, signal?: AbortSignal): Promise<string> {
    try {
      const node = await this.call('GET', `${graph}/${postId}`, { fields: 'permalink_url' }, page, 'read', signal);
      const url = node.permalink_url;
      if (typeof url === 'string' && /^https:\/\//.test(url)) return url;
    } catch {
      // Falls through to the stand-in below.
    }
    return postUrl(postId);
  }

  /** A later segment: a comment on the thread's first post, as the Page. */
  private async comment(request: SegmentRequest, page: PageCredentials, hosts: Hosts): Promise<SegmentRef> {
    const root = request.root;
    if (!root) throw new PlatformError('rejected', `${FACEBOOK_NAME}: segment ${request.index} is a comment but the thread's first post is not known`);
    const image = request.media.find((m) => m.kind === 'image');
    const body = await this.call('POST', `${graphBase(hosts.graph, this.version)}/${root.ref?.id ?? root.post_id}/comments`, commentParams(request.text, image), page, 'final', request.signal);
    const id = idOf(body);
    if (!id) throw new PlatformError('unknown_outcome', `${FACEBOOK_NAME} accepted the comment but answered no id`);
    return { post_id: id, post_url: commentUrl(root.post_url, id), ref: { id } };
  }

  private async video(request: SegmentRequest, video: MediaAttachment, page: PageCredentials, hosts: Hosts): Promise<SegmentRef> {
    const body = await this.call('POST', `${graphBase(hosts.video, this.version)}/${page.pageId}/videos`, videoParams(video, request.text), page, 'final', request.signal);
    const id = idOf(body);
    if (!id) throw new PlatformError('unknown_outcome', `${FACEBOOK_NAME} accepted the video but answered no id`);
    return { post_id: id, post_url: videoUrl(page.pageId, id), ref: { id } };
  }

  /**
   * The Reels flow: start an upload session, have Meta fetch the hosted file, then finish
   * with `video_state=PUBLISHED`. Only the finish makes anything visible.
   */
  private async reel(request: SegmentRequest, video: MediaAttachment, page: PageCredentials, hosts: Hosts): Promise<SegmentRef> {
    const graph = graphBase(hosts.graph, this.version);
    const started = await this.call('POST', `${graph}/${page.pageId}/video_reels`, reelStartParams(), page, 'repeatable', request.signal);
    const videoId = idOf(started, 'video_id');
    if (!videoId) throw new PlatformError('transient', `${FACEBOOK_NAME} started a reel upload without a video id`);
    const uploadUrl = typeof started.upload_url === 'string' && started.upload_url !== '' ? started.upload_url : `${hosts.rupload.replace(/\/+$/, '')}/video-upload/${this.version}/${videoId}`;
    await this.call('POST', uploadUrl, {}, page, 'repeatable', request.signal, reelUploadHeaders(page.token, video));
    const finished = await this.call('POST', `${graph}/${page.pageId}/video_reels`, reelFinishParams(videoId, request.text), page, 'final', request.signal);
    if (finished.success === false) throw new PlatformError('rejected', `${FACEBOOK_NAME} refused to publish the reel`);
    await this.untilReelPublished(graph, videoId, page, request.signal);
    return { post_id: videoId, post_url: reelUrl(videoId), ref: { id: videoId } };
  }

  /**
   * A finished reel is published asynchronously. A processing error means it will never
   * appear, which the user should hear about; anything else (slow processing, a failed
   * status read) leaves it accepted: retrying would publish it twice.
   */
  private async untilReelPublished(graph: string, videoId: string, page: PageCredentials, signal?: AbortSignal): Promise<void> {
    const deadline = this.now() + (this.options.processingTimeoutMs ?? 60_000);
    const interval = this.options.pollIntervalMs ?? 2_000;
    for (;;) {
      let status: Record<string, unknown>;
      try {
        const body = await this.call('GET', `${graph}/${videoId}`, { fields: 'status' }, page, 'read', signal);
        status = (body.status ?? {}) as Record<string, unknown>;
      } catch {
        return;
      }
      const phases = ['uploading_phase', 'processing_phase', 'publishing_phase'].map((k) => (status[k] ?? {}) as { status?: unknown; error?: { message?: unknown } });
      const failed = phases.find((p) => p.status === 'error');
      if (status.video_status === 'error' || failed) {
        const reason = typeof failed?.error?.message === 'string' ? failed.error.message : 'processing failed';
        throw new PlatformError('rejected', `${FACEBOOK_NAME} could not publish the reel: ${reason}`);
      }
      if (status.video_status === 'ready' || phases[2].status === 'complete') return;
      if (this.now() + interval > deadline) return;
      try {
        await pause(interval, FACEBOOK_NAME, signal);
      } catch {
        return;
      }
    }
  }

  /** Looks for the segment among the Page's recent posts (or the root post's comments) made since the request. */
  async findPublished(request: SegmentRequest): Promise<SegmentRef | null> {
    const page = pageOf(request.account);
    const graph = graphBase(this.hosts(request.account).graph, this.version);
    const windowStart = Date.parse(request.requestedAt) - LOOKUP_SLACK_MS;
    const since = sinceOf(request.requestedAt, LOOKUP_SLACK_MS);
    const recent = (item: Record<string, unknown>) => (graphTime(item.created_time) ?? 0) >= windowStart;

    if (request.index > 0) {
      const root = request.root;
      if (!root) return null;
      const body = await this.call('GET', `${graph}/${root.ref?.id ?? root.post_id}/comments`, { fields: 'id,message,created_time,from', order: 'reverse_chronological', limit: 50 }, page, 'read', request.signal);
      return foundIn(
        FACEBOOK_NAME,
        listed(body),
        windowStart,
        (item) => (item.from as { id?: unknown } | undefined)?.id === page.pageId && sameText(item.message, request.text) && recent(item),
        (item) => graphTime(item.created_time),
        (item) => ({ post_id: String(item.id), post_url: commentUrl(root.post_url, String(item.id)), ref: { id: String(item.id) } }),
      );
    }

    const video = request.media.some((m) => m.kind === 'video');
    const reel = video && videoTypeOf(request.settings) === 'reel';
    const edge = reel ? 'video_reels' : video ? 'videos' : 'posts';
    const textField = video ? 'description' : 'message';
    const fields = `id,${textField},created_time${video ? '' : ',permalink_url'}`;
    const body = await this.call('GET', `${graph}/${page.pageId}/${edge}`, { fields, since, limit: 25 }, page, 'read', request.signal);
    return foundIn(
      FACEBOOK_NAME,
      listed(body),
      windowStart,
      (item) => sameText(item[textField], request.text) && recent(item),
      (item) => graphTime(item.created_time),
      (item) => {
        const id = String(item.id);
        const permalink = typeof item.permalink_url === 'string' ? item.permalink_url : postUrl(id);
        return { post_id: id, post_url: reel ? reelUrl(id) : video ? videoUrl(page.pageId, id) : permalink, ref: { id } };
      },
    );
  }

  private call(method: 'GET' | 'POST', url: string, params: GraphParams, page: PageCredentials, write: GraphWrite, signal?: AbortSignal, headers?: Record<string, string>): Promise<Record<string, unknown>> {
    const call: GraphCall = { platformName: FACEBOOK_NAME, token: page.token, write, timeoutMs: this.options.timeoutMs, signal, now: () => this.now(), ...(headers ? { headers } : {}) };
    return graphCall(method, url, params, call);
  }
}
