import { PlatformError, SegmentRef } from '../port';
import { graphCall, GraphCall, GraphParams, GraphWrite, idOf, pause } from './graph';

/**
 * Publishing through media containers, as Instagram and Threads both do: a container is
 * made (a carousel's items first, each waited for), polled until `FINISHED`, then
 * published once. What differs between the two is named in `ContainerApi`.
 */

export interface ContainerApi {
  platformName: string;
  /** Account edges that make and publish a container: `media` / `media_publish`, `threads` / `threads_publish`. */
  createEdge: string;
  publishEdge: string;
  publishParams: (containerId: string) => GraphParams;
  /** The container field holding its state (`status_code`, `status`) and the one saying why it ended in `ERROR`. */
  stateField: string;
  reasonField: string;
  /** Fields read to learn whether a publish whose answer was lost went through. */
  settledFields: string;
  failed: (containerId: string, reason: unknown) => PlatformError;
  /** Stands in for a published post's permalink when it cannot be read. */
  fallbackUrl: string;
}

export interface ContainerTiming {
  timeoutMs?: number;
  /** Pause between status reads; default 3 s. */
  pollIntervalMs?: number;
  /** How long a container may take to reach `FINISHED`; default 3 minutes. */
  processingTimeoutMs?: number;
}

/** One publish: the versioned Graph base, the account that posts and its token. */
export interface ContainerSession {
  graph: string;
  accountId: string;
  token: string;
  signal?: AbortSignal;
}

/** A single container's parameters, or a carousel's items and the carousel made of them. */
export type ContainerPlan = { single: GraphParams } | { items: GraphParams[]; carousel: (childIds: string[]) => GraphParams };

export class MediaContainers {
  constructor(
    private readonly api: ContainerApi,
    private readonly timing: ContainerTiming,
    private readonly now: () => number,
  ) {}

  /** Makes and publishes the post; `findPublished` looks for it when the publish answer is lost. */
  async post(session: ContainerSession, plan: ContainerPlan, findPublished: () => Promise<SegmentRef | null>): Promise<SegmentRef> {
    let containerId: string;
    if ('items' in plan) {
      const children: string[] = [];
      for (const item of plan.items) children.push(await this.create(session, item));
      for (const child of children) await this.untilFinished(session, child);
      containerId = await this.create(session, plan.carousel(children));
    } else {
      containerId = await this.create(session, plan.single);
    }
    await this.untilFinished(session, containerId);

    const published = await this.publish(session, containerId, findPublished);
    if (typeof published !== 'string') return published;
    return { post_id: published, post_url: await this.permalink(session, published), ref: { id: published } };
  }

  /** A container is invisible until published, so creating one again after a lost answer is harmless. */
  private async create(session: ContainerSession, params: GraphParams): Promise<string> {
    const body = await this.call('POST', `${session.graph}/${session.accountId}/${this.api.createEdge}`, params, session, 'repeatable');
    const id = idOf(body);
    if (!id) throw new PlatformError('transient', `${this.api.platformName} answered a media container without an id`);
    return id;
  }

  /** The platform refuses to publish a container before it is `FINISHED`. */
  private async untilFinished(session: ContainerSession, containerId: string): Promise<void> {
    const { platformName, stateField, reasonField } = this.api;
    const deadline = this.now() + (this.timing.processingTimeoutMs ?? 180_000);
    const interval = this.timing.pollIntervalMs ?? 3_000;
    for (;;) {
      const body = await this.call('GET', `${session.graph}/${containerId}`, { fields: `${stateField},${reasonField}` }, session, 'read');
      switch (body[stateField]) {
        case 'FINISHED':
          return;
        case 'ERROR':
          throw this.api.failed(containerId, body[reasonField]);
        case 'EXPIRED':
          throw new PlatformError('transient', `${platformName} media container ${containerId} expired before it was published; a new one will be made`);
      }
      if (this.now() + interval > deadline) throw new PlatformError('transient', `${platformName} is still processing media container ${containerId}; will try again later`);
      await pause(interval, platformName, session.signal);
    }
  }

  /**
   * When the publish answer is lost, the container's own state tells what happened
   * (https://developers.facebook.com/docs/threads/troubleshooting): still `FINISHED`
   * means not published, and publishing that same container again cannot make a second
   * post (a container is published once); `PUBLISHED` means it is out, and it is looked up.
   */
  private async publish(session: ContainerSession, containerId: string, findPublished: () => Promise<SegmentRef | null>): Promise<string | SegmentRef> {
    const publish = async () => {
      const body = await this.call('POST', `${session.graph}/${session.accountId}/${this.api.publishEdge}`, this.api.publishParams(containerId), session, 'final');
      const id = idOf(body);
      if (!id) throw new PlatformError('unknown_outcome', `${this.api.platformName} published container ${containerId} but answered no media id`);
      return id;
    };
    try {
      return await publish();
    } catch (err) {
      if (!(err instanceof PlatformError) || err.kind !== 'unknown_outcome') throw err;
      if ((await this.settledState(session, containerId)) === 'FINISHED') {
        try {
          return await publish();
        } catch (again) {
          // Refused as already published: the first request got through after all.
          if ((await this.settledState(session, containerId)) !== 'PUBLISHED') throw again;
        }
      }
      const found = await findPublished().catch(() => null);
      if (found) return found;
      throw err;
    }
  }

  private settledState(session: ContainerSession, containerId: string): Promise<unknown> {
    return this.call('GET', `${session.graph}/${containerId}`, { fields: this.api.settledFields }, session, 'read').then(
      (body) => body[this.api.stateField],
      () => undefined,
    );
  }

  /** The post is out by now: a failed permalink read must not fail the segment (a retry would post it twice). */
  private async permalink(session: ContainerSession, mediaId: string): Promise<string> {
    try {
      const body = await this.call('GET', `${session.graph}/${mediaId}`, { fields: 'permalink' }, session, 'read');
      if (typeof body.permalink === 'string' && body.permalink !== '') return body.permalink;
    } catch {
      // Falls through to the stand-in link.
    }
    return this.api.fallbackUrl;
  }

  private call(method: 'GET' | 'POST', url: string, params: GraphParams, session: ContainerSession, write: GraphWrite): Promise<Record<string, unknown>> {
    const call: GraphCall = { platformName: this.api.platformName, token: session.token, write, timeoutMs: this.timing.timeoutMs, signal: session.signal, now: this.now };
    return graphCall(method, url, params, call);
  }
}
