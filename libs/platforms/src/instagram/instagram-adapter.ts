import { graphBase } from '../facebook/requests';
import { ContainerApi, MediaContainers } from '../facebook/containers';
import { foundIn, graphCall, GraphCall, GraphParams, GraphWrite, graphTime, idOf, listed, publicMediaProblems, sameText, sinceOf } from '../facebook/graph';
import { MediaAttachment, PlatformAdapter, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { containerFailure } from './errors';
import {
  carouselItemParams,
  carouselParams,
  commentParams,
  containerParams,
  InstagramCredentials,
  credentialsOf,
  planOf,
  publishParams,
  segmentProblems,
  settingsOf,
} from './requests';
import { INSTAGRAM_GRAPH_HOST, INSTAGRAM_GRAPH_VERSION, INSTAGRAM_IMAGE_TYPES, INSTAGRAM_NAME, INSTAGRAM_RULES, INSTAGRAM_WEB } from './rules';

export interface InstagramAdapterOptions {
  /** Graph API host; default `https://graph.facebook.com`; an account's `base_url` replaces it. */
  baseUrl?: string;
  /** Default `v24.0` (`GRAPH_VERSION`). */
  graphVersion?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Pause between reads of a container's `status_code`; default 3 s. */
  pollIntervalMs?: number;
  /** How long a container may take to reach `FINISHED`; default 3 minutes (then the attempt is retried with new containers). */
  processingTimeoutMs?: number;
  /** `allowPrivateNetworks`: let media URLs on private networks through (tests; Instagram itself cannot fetch them). */
  mediaOptions?: { allowPrivateNetworks?: boolean };
  now?: () => number;
}

const LOOKUP_SLACK_MS = 5 * 60_000;

// https://developers.facebook.com/docs/instagram-platform/content-publishing
const CONTAINERS: ContainerApi = {
  platformName: INSTAGRAM_NAME,
  createEdge: 'media',
  publishEdge: 'media_publish',
  publishParams,
  stateField: 'status_code',
  reasonField: 'status',
  settledFields: 'status_code',
  failed: containerFailure,
  fallbackUrl: `${INSTAGRAM_WEB}/`,
};

/**
 * Instagram professional accounts through the Instagram API with Facebook Login:
 * every post is a media container (an image, a reel, a story, or a carousel of finished
 * item containers) that Instagram fetches and processes; once its `status_code` is
 * `FINISHED` it is published with `media_publish`. Later segments of a thread are
 * comments on the published media.
 */
export class InstagramAdapter implements PlatformAdapter {
  readonly platform = 'instagram' as const;
  readonly rules = INSTAGRAM_RULES;
  private readonly containers: MediaContainers;

  constructor(private readonly options: InstagramAdapterOptions = {}) {
    this.containers = new MediaContainers(CONTAINERS, options, () => this.now());
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private graph(request: Pick<SegmentRequest, 'account'>): string {
    return graphBase(request.account.base_url ?? this.options.baseUrl ?? INSTAGRAM_GRAPH_HOST, this.options.graphVersion ?? INSTAGRAM_GRAPH_VERSION);
  }

  check(request: Pick<SegmentRequest, 'text' | 'media' | 'index' | 'total' | 'settings'>): string[] {
    return [...segmentProblems(request), ...publicMediaProblems(INSTAGRAM_NAME, request.media, this.options.mediaOptions?.allowPrivateNetworks)];
  }

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    const problems = this.check(request);
    if (problems.length > 0) throw new PlatformError('rejected', `${INSTAGRAM_NAME} would refuse this ${request.index === 0 ? 'post' : 'comment'}: ${problems.join('; ')}`);
    const creds = credentialsOf(request.account);
    const graph = this.graph(request);
    if (request.index > 0) return this.comment(request, creds, graph);

    const settings = settingsOf(request.settings);
    const plan = planOf(request.media, settings.postType);
    if (!plan) throw new PlatformError('rejected', `${INSTAGRAM_NAME} cannot publish this media as a ${settings.postType}`);
    await this.requireJpeg(request.media);

    return this.containers.post(
      { graph, accountId: creds.igUserId, token: creds.token, signal: request.signal },
      plan.kind === 'carousel'
        ? { items: plan.items.map(carouselItemParams), carousel: (children) => carouselParams(children, request.text, settings) }
        : { single: containerParams(plan, request.text, settings) },
      () => this.findPublished(request),
    );
  }

  /**
   * Instagram takes JPEG images only and would say so only after fetching the file in its
   * container; the bytes are checked here so the reason comes at once.
   */
  private async requireJpeg(media: readonly MediaAttachment[]): Promise<void> {
    for (const [i, m] of media.entries()) {
      if (m.kind !== 'image') continue;
      const { mime } = await m.load();
      if (!INSTAGRAM_IMAGE_TYPES.includes(mime)) throw new PlatformError('rejected', `${INSTAGRAM_NAME} publishes JPEG images only; image ${i + 1} (${m.url}) is ${mime}`);
    }
  }

  private async comment(request: SegmentRequest, creds: InstagramCredentials, graph: string): Promise<SegmentRef> {
    const root = request.root;
    if (!root) throw new PlatformError('rejected', `${INSTAGRAM_NAME}: segment ${request.index} is a comment but the thread's first post is not known`);
    const body = await this.call('POST', `${graph}/${root.ref?.id ?? root.post_id}/comments`, commentParams(request.text), creds, 'final', request.signal);
    const id = idOf(body);
    if (!id) throw new PlatformError('unknown_outcome', `${INSTAGRAM_NAME} accepted the comment but answered no id`);
    // Instagram comments have no link of their own; they are read on the post.
    return { post_id: id, post_url: root.post_url, ref: { id } };
  }

  /** Looks for the segment among the account's media (or the first post's comments) made since the request. */
  async findPublished(request: SegmentRequest): Promise<SegmentRef | null> {
    const creds = credentialsOf(request.account);
    const graph = this.graph(request);
    const windowStart = Date.parse(request.requestedAt) - LOOKUP_SLACK_MS;
    const recent = (item: Record<string, unknown>) => (graphTime(item.timestamp) ?? 0) >= windowStart;

    if (request.index > 0) {
      const root = request.root;
      if (!root) return null;
      const body = await this.call('GET', `${graph}/${root.ref?.id ?? root.post_id}/comments`, { fields: 'id,text,timestamp,from', limit: 50 }, creds, 'read', request.signal);
      return foundIn(
        INSTAGRAM_NAME,
        listed(body),
        windowStart,
        (item) => (item.from as { id?: unknown } | undefined)?.id === creds.igUserId && sameText(item.text, request.text) && recent(item),
        (item) => graphTime(item.timestamp),
        (item) => ({ post_id: String(item.id), post_url: root.post_url, ref: { id: String(item.id) } }),
      );
    }

    if (settingsOf(request.settings).postType === 'story') {
      // A story has no caption to recognise it by: only "no story since the request" is certain.
      const body = await this.call('GET', `${graph}/${creds.igUserId}/stories`, { fields: 'id,timestamp,permalink' }, creds, 'read', request.signal);
      if (listed(body).items.some(recent)) throw new PlatformError('unknown_outcome', `${INSTAGRAM_NAME}: a story was published since the request; whether it is this one cannot be told`);
      return null;
    }
    const body = await this.call('GET', `${graph}/${creds.igUserId}/media`, { fields: 'id,caption,timestamp,permalink', since: sinceOf(request.requestedAt, LOOKUP_SLACK_MS), limit: 25 }, creds, 'read', request.signal);
    return foundIn(
      INSTAGRAM_NAME,
      listed(body),
      windowStart,
      (item) => sameText(item.caption, request.text) && recent(item),
      (item) => graphTime(item.timestamp),
      (item) => ({ post_id: String(item.id), post_url: typeof item.permalink === 'string' ? item.permalink : `${INSTAGRAM_WEB}/`, ref: { id: String(item.id) } }),
    );
  }

  private call(method: 'GET' | 'POST', url: string, params: GraphParams, creds: InstagramCredentials, write: GraphWrite, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const call: GraphCall = { platformName: INSTAGRAM_NAME, token: creds.token, write, timeoutMs: this.options.timeoutMs, signal, now: () => this.now() };
    return graphCall(method, url, params, call);
  }
}
