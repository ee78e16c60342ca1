import { graphBase } from '../facebook/requests';
import { ContainerApi, MediaContainers } from '../facebook/containers';
import { foundIn, graphCall, GraphCall, GraphParams, GraphWrite, graphTime, listed, publicMediaProblems, sameText, sinceOf } from '../facebook/graph';
import { PlatformAdapter, PlatformError, SegmentRef, SegmentRequest } from '../port';
import { containerFailure } from './errors';
import { carouselItemParams, carouselParams, credentialsOf, publishParams, segmentProblems, singleContainerParams, ThreadsCredentials } from './requests';
import { THREADS_API_VERSION, THREADS_GRAPH_HOST, THREADS_NAME, THREADS_RULES, THREADS_WEB } from './rules';

export interface ThreadsAdapterOptions {
  /** Threads Graph host; default `https://graph.threads.net`; an account's `base_url` replaces it. */
  baseUrl?: string;
  /** Default `v1.0`. */
  apiVersion?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Pause between reads of a container's `status`; default 3 s. */
  pollIntervalMs?: number;
  /** How long a container may take to reach `FINISHED`; default 3 minutes (Meta: "no more than 5 minutes"). */
  processingTimeoutMs?: number;
  /** `allowPrivateNetworks`: let media URLs on private networks through (tests; Threads itself cannot fetch them). */
  mediaOptions?: { allowPrivateNetworks?: boolean };
  now?: () => number;
}

const LOOKUP_SLACK_MS = 5 * 60_000;

// https://developers.facebook.com/docs/threads/posts
const CONTAINERS: ContainerApi = {
  platformName: THREADS_NAME,
  createEdge: 'threads',
  publishEdge: 'threads_publish',
  publishParams,
  stateField: 'status',
  reasonField: 'error_message',
  settledFields: 'status,error_message',
  failed: containerFailure,
  fallbackUrl: `${THREADS_WEB}/`,
};

/**
 * Threads: each segment is a media container (text, an image, a video, or a carousel of
 * finished items) created with `reply_to_id` set to the previous segment, published with
 * `threads_publish` once its `status` is `FINISHED`. Threads fetches media from their URLs.
 */
export class ThreadsAdapter implements PlatformAdapter {
  readonly platform = 'threads' as const;
  readonly rules = THREADS_RULES;
  private readonly containers: MediaContainers;

  constructor(private readonly options: ThreadsAdapterOptions = {}) {
    this.containers = new MediaContainers(CONTAINERS, options, () => this.now());
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private graph(request: Pick<SegmentRequest, 'account'>): string {
    return graphBase(request.account.base_url ?? this.options.baseUrl ?? THREADS_GRAPH_HOST, this.options.apiVersion ?? THREADS_API_VERSION);
  }

  check(request: Pick<SegmentRequest, 'text' | 'media' | 'settings'>): string[] {
    return [...segmentProblems(request), ...publicMediaProblems(THREADS_NAME, request.media, this.options.mediaOptions?.allowPrivateNetworks)];
  }

  async publishSegment(request: SegmentRequest): Promise<SegmentRef> {
    const problems = this.check(request);
    if (problems.length > 0) throw new PlatformError('rejected', `${THREADS_NAME} would refuse this post: ${problems.join('; ')}`);
    const creds = credentialsOf(request.account);
    return this.containers.post(
      { graph: this.graph(request), accountId: creds.userId, token: creds.token, signal: request.signal },
      request.media.length > 1 ? { items: request.media.map(carouselItemParams), carousel: (children) => carouselParams(request, children) } : { single: singleContainerParams(request) },
      () => this.findPublished(request),
    );
  }

  /** Looks for the segment among the account's posts (or replies, for later segments) made since the request. */
  async findPublished(request: SegmentRequest): Promise<SegmentRef | null> {
    const creds = credentialsOf(request.account);
    const graph = this.graph(request);
    const windowStart = Date.parse(request.requestedAt) - LOOKUP_SLACK_MS;
    const parentId = request.parent ? (request.parent.ref?.id ?? request.parent.post_id) : undefined;
    const edge = request.index > 0 ? 'replies' : 'threads';
    const fields = request.index > 0 ? 'id,text,timestamp,permalink,replied_to' : 'id,text,timestamp,permalink';
    const body = await this.call('GET', `${graph}/${creds.userId}/${edge}`, { fields, since: sinceOf(request.requestedAt, LOOKUP_SLACK_MS), limit: 25 }, creds, 'read', request.signal);
    return foundIn(
      THREADS_NAME,
      listed(body),
      windowStart,
      (item) => {
        const repliedTo = (item.replied_to as { id?: unknown } | undefined)?.id;
        return sameText(item.text, request.text) && (graphTime(item.timestamp) ?? 0) >= windowStart && (parentId === undefined || repliedTo === undefined || repliedTo === parentId);
      },
      (item) => graphTime(item.timestamp),
      (item) => ({ post_id: String(item.id), post_url: typeof item.permalink === 'string' ? item.permalink : `${THREADS_WEB}/`, ref: { id: String(item.id) } }),
    );
  }

  private call(method: 'GET' | 'POST', url: string, params: GraphParams, creds: ThreadsCredentials, write: GraphWrite, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const call: GraphCall = { platformName: THREADS_NAME, token: creds.token, write, timeoutMs: this.options.timeoutMs, signal, now: () => this.now() };
    return graphCall(method, url, params, call);
  }
}
