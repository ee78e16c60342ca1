import { graphBase } from '../facebook/requests';
import { foundIn, graphCall, GraphCall, GraphParams, GraphWrite, graphTime, idOf, listed, pause, publicMediaProblems, sameText, sinceOf } from '../facebook/graph';
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

/**
 * Threads: each segment is a media container (text, an image, a video, or a carousel of
 * finished items) created with `reply_to_id` set to the previous segment, published with
 * `threads_publish` once its `status` is `FINISHED`. Threads fetches media from their URLs.
 */
export class ThreadsAdapter implements PlatformAdapter {
  readonly platform = 'threads' as const;
  readonly rules = THREADS_RULES;

  constructor(private readonly options: ThreadsAdapterOptions = {}) {}

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
    const graph = this.graph(request);

    let containerId: string;
    if (request.media.length > 1) {
      const children: string[] = [];
      for (const item of request.media) children.push(await this.container(graph, creds, carouselItemParams(item), request.signal));
      for (const child of children) await this.untilFinished(graph, creds, child, request.signal);
      containerId = await this.container(graph, creds, carouselParams(request, children), request.signal);
    } else {
      containerId = await this.container(graph, creds, singleContainerParams(request), request.signal);
    }
    await this.untilFinished(graph, creds, containerId, request.signal);

    const published = await this.publishContainer(request, creds, graph, containerId);
    if (typeof published !== 'string') return published;
    return { post_id: published, post_url: await this.permalink(graph, creds, published, request.signal), ref: { id: published } };
  }

  /** A container is invisible until published, so creating one again after a lost answer is harmless. */
  private async container(graph: string, creds: ThreadsCredentials, params: GraphParams, signal?: AbortSignal): Promise<string> {
    const body = await this.call('POST', `${graph}/${creds.userId}/threads`, params, creds, 'repeatable', signal);
    const id = idOf(body);
    if (!id) throw new PlatformError('transient', `${THREADS_NAME} answered a media container without an id`);
    return id;
  }

  private async status(graph: string, creds: ThreadsCredentials, containerId: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.call('GET', `${graph}/${containerId}`, { fields: 'status,error_message' }, creds, 'read', signal);
  }

  /** Polls `status` until `FINISHED`; Threads refuses to publish a container before. */
  private async untilFinished(graph: string, creds: ThreadsCredentials, containerId: string, signal?: AbortSignal): Promise<void> {
    const deadline = this.now() + (this.options.processingTimeoutMs ?? 180_000);
    const interval = this.options.pollIntervalMs ?? 3_000;
    for (;;) {
      const body = await this.status(graph, creds, containerId, signal);
      switch (body.status) {
        case 'FINISHED':
          return;
        case 'ERROR':
          throw containerFailure(containerId, body.error_message);
        case 'EXPIRED':
          throw new PlatformError('transient', `${THREADS_NAME} media container ${containerId} expired before it was published; a new one will be made`);
      }
      if (this.now() + interval > deadline) throw new PlatformError('transient', `${THREADS_NAME} is still processing media container ${containerId}; will try again later`);
      await pause(interval, THREADS_NAME, signal);
    }
  }

  /**
   * Publishes the container. When the answer is lost, the container's own status tells
   * what happened (https://developers.facebook.com/docs/threads/troubleshooting): still
   * `FINISHED` means not published, and publishing that same container again cannot make
   * a second post (a container is published once); `PUBLISHED` means it is out, and it
   * is looked up.
   */
  private async publishContainer(request: SegmentRequest, creds: ThreadsCredentials, graph: string, containerId: string): Promise<string | SegmentRef> {
    const publish = async () => {
      const body = await this.call('POST', `${graph}/${creds.userId}/threads_publish`, publishParams(containerId), creds, 'final', request.signal);
      const id = idOf(body);
      if (!id) throw new PlatformError('unknown_outcome', `${THREADS_NAME} published container ${containerId} but answered no media id`);
      return id;
    };
    try {
      return await publish();
    } catch (err) {
      if (!(err instanceof PlatformError) || err.kind !== 'unknown_outcome') throw err;
      if ((await this.settledStatus(graph, creds, containerId, request.signal)) === 'FINISHED') {
        try {
          return await publish();
        } catch (again) {
          // Refused as already published: the first request got through after all.
          if ((await this.settledStatus(graph, creds, containerId, request.signal)) !== 'PUBLISHED') throw again;
        }
      }
      const found = await this.findPublished(request).catch(() => null);
      if (found) return found;
      throw err;
    }
  }

  private settledStatus(graph: string, creds: ThreadsCredentials, containerId: string, signal?: AbortSignal): Promise<unknown> {
    return this.status(graph, creds, containerId, signal).then(
      (body) => body.status,
      () => undefined,
    );
  }

  /** The post is out by now: a failed permalink read must not fail the segment (a retry would post it twice). */
  private async permalink(graph: string, creds: ThreadsCredentials, mediaId: string, signal?: AbortSignal): Promise<string> {
    try {
      const body = await this.call('GET', `${graph}/${mediaId}`, { fields: 'permalink' }, creds, 'read', signal);
      if (typeof body.permalink === 'string' && body.permalink !== '') return body.permalink;
    } catch {
      // Falls through to the stand-in link.
    }
    return `${THREADS_WEB}/`;
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
