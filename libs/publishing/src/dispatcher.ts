import { isPlatform, Platform, POST_STREAM_PREFIX, PostConflict, PostEvent, PostNotFound, upcastPostEvent } from '../../domain';
import type { EventStore, RecordedEvent, Subscription } from '../../event-store';
import type { JobQueue, PublishJob } from '../../messaging';
import type { PostReadModel } from '../../read-models';
import type { SubscriberCheckpoint } from './checkpoint';
import { PostCommandSide, PublishingLogger, silentLogger } from './ports';

export interface DispatcherOptions {
  store: EventStore;
  queue: JobQueue;
  commands: PostCommandSide;
  checkpoint: SubscriberCheckpoint;
  /** Platforms whose jobs this dispatcher enqueues. */
  platforms: readonly Platform[];
  /**
   * False for a queue that loses its jobs with the process (in-process): then the
   * checkpoint never moves past a request that is not finished, and the read model's
   * unfinished posts are enqueued again at start.
   */
  durableQueue: boolean;
  /** For re-dispatching unfinished work at start when the queue is not durable. */
  model?: Pick<PostReadModel, 'publishing'>;
  /**
   * Platforms no publisher of this deployment serves (embedded mode: those without an
   * adapter): their targets fail at once instead of waiting forever.
   */
  refusePlatforms?: readonly Platform[];
  logger?: PublishingLogger;
  /** How often the checkpoint is saved and failed enqueues are tried again. Default 1 s. */
  flushIntervalMs?: number;
}

export interface Dispatcher {
  /** Resolves once everything committed before the start has been dispatched. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

interface PendingTarget {
  job: PublishJob;
  /** Position of the PublishRequested event that asked for it. */
  position: bigint;
  /** Position of the event delivered just before that one: where a restart must resume to see it again. */
  before: bigint;
  /** Handed to the queue (or recorded as failed) already. */
  dispatched: boolean;
}

export const jobId = (postId: string, publishId: string, platform: string): string => `${postId}:${publishId}:${platform}`;

export function noAccountMessage(platform: string): string {
  return `no connected ${platform} account; connect one with POST /v1/accounts`;
}

function postIdOf(stream: string): string {
  return stream.slice(POST_STREAM_PREFIX.length);
}

/**
 * Turns each `PublishRequested` into one job per target platform. Job ids are
 * `<post_id>:<publish_id>:<platform>`, so dispatching the same request again is
 * harmless (the queues drop the duplicate; a job that runs twice finds the platform
 * finished). While catching up after a start, targets are only collected; once caught
 * up, those still without an outcome are enqueued: work finished meanwhile is not redone.
 */
export async function startDispatcher(options: DispatcherOptions): Promise<Dispatcher> {
  const { store, queue, commands, checkpoint, durableQueue } = options;
  const logger = options.logger ?? silentLogger;
  const served = new Set<Platform>(options.platforms);
  const refused = new Set<Platform>((options.refusePlatforms ?? []).filter((p) => !served.has(p)));
  const pending = new Map<string, PendingTarget>();
  const flushIntervalMs = options.flushIntervalMs ?? 1_000;

  const from = await checkpoint.load();
  const head = await store.headPosition([POST_STREAM_PREFIX]);
  let live = head === 0n || (from !== null && from >= head);
  let processed: bigint = from ?? 0n;
  let saved: bigint | null = from;
  let stopped = false;

  const recordFailure = async (job: PublishJob, code: 'no_account' | 'rejected', error: string): Promise<void> => {
    try {
      await commands.execute(
        job.post_id,
        { type: 'RecordPlatformFailed', publish_id: job.publish_id, platform: job.platform as Platform, error, code, retryable: false, attempts: 0 },
        { workspace_id: job.workspace_id, actor: `publisher:${job.platform}`, correlation_id: job.publish_id },
        { retries: 5 },
      );
    } catch (err) {
      // Recorded already, or the post is gone: either way nothing is waiting for this target.
      if (!(err instanceof PostConflict || err instanceof PostNotFound)) throw err;
    }
  };

  const dispatch = async (target: PendingTarget): Promise<void> => {
    const { job } = target;
    const platform = job.platform as Platform;
    if (refused.has(platform)) {
      await recordFailure(job, 'rejected', `this Postloom deployment does not publish to ${platform}`);
    } else if (job.account_id === null) {
      await recordFailure(job, 'no_account', noAccountMessage(platform));
    } else {
      await queue.enqueue(job);
    }
    target.dispatched = true;
    // A durable queue keeps the job from here on; a non-durable one needs the outcome seen.
    if (durableQueue || job.account_id === null || refused.has(platform)) pending.delete(job.id);
  };

  let flushing: Promise<void> | null = null;
  const flush = (): Promise<void> => {
    flushing ??= (async () => {
      try {
        for (const target of [...pending.values()]) {
          if (stopped) return;
          if (target.dispatched) continue;
          try {
            await dispatch(target);
          } catch (err) {
            logger.warn({ err, job_id: target.job.id }, 'dispatch failed; trying again shortly');
          }
        }
      } finally {
        flushing = null;
      }
    })();
    return flushing;
  };

  const forget = (predicate: (target: PendingTarget) => boolean): void => {
    for (const [id, target] of pending) if (predicate(target)) pending.delete(id);
  };

  const apply = async (recorded: RecordedEvent): Promise<void> => {
    let event: PostEvent;
    try {
      event = upcastPostEvent(recorded.type, recorded.version, recorded.data);
    } catch (err) {
      logger.error({ err, stream: recorded.stream, revision: recorded.revision }, 'unreadable post event skipped by the dispatcher');
      return;
    }
    const postId = postIdOf(recorded.stream);
    switch (event.type) {
      case 'PublishRequested': {
        for (const target of event.data.targets) {
          if (!isPlatform(target.platform) || !(served.has(target.platform) || refused.has(target.platform))) continue;
          const job: PublishJob = {
            id: jobId(postId, event.data.publish_id, target.platform),
            post_id: postId,
            workspace_id: recorded.metadata.workspace_id,
            publish_id: event.data.publish_id,
            platform: target.platform,
            account_id: target.account_id,
          };
          // A new round replaces whatever the platform had pending from an older one.
          forget((t) => t.job.post_id === postId && t.job.platform === target.platform);
          // `processed` is still the event delivered before this one: a real position (or the start).
          const entry: PendingTarget = { job, position: recorded.position, before: processed, dispatched: false };
          pending.set(job.id, entry);
          if (live) {
            try {
              await dispatch(entry);
            } catch (err) {
              logger.warn({ err, job_id: job.id }, 'dispatch failed; trying again shortly');
            }
          }
        }
        return;
      }
      case 'PlatformPublished':
      case 'PlatformFailed':
        pending.delete(jobId(postId, event.data.publish_id, event.data.platform));
        return;
      case 'PostDeleted':
        forget((t) => t.job.post_id === postId);
        return;
      default:
        return;
    }
  };

  /**
   * Everything at or below it is dispatched, or finished, for good. It is always the
   * position of an event that was delivered (or the start): EventStoreDB refuses to
   * resume `$all` from anything else, so "one before a pending target" must be the
   * event delivered before it, never `position - 1`.
   */
  const safePosition = (): bigint => {
    let position = processed;
    for (const target of pending.values()) {
      if ((!durableQueue || !target.dispatched) && target.before < position) position = target.before;
    }
    return position;
  };

  const saveCheckpoint = async (): Promise<void> => {
    const position = safePosition();
    if (saved !== null && position <= saved) return;
    if (saved === null && position === 0n) return;
    await checkpoint.save(position);
    saved = position;
  };

  if (!durableQueue && options.model) {
    // The queue forgot everything with the last process: what the read model shows as
    // publishing goes back in first (the catch-up below adds what it has not projected yet).
    try {
      const documents = await options.model.publishing(10_000);
      for (const document of documents) {
        const state = document.state;
        const round = state.round;
        if (!round || state.deleted) continue;
        for (const target of round.targets) {
          const progress = state.progress[target.platform];
          if (!served.has(target.platform) || target.account_id === null) continue;
          if (!progress || progress.publish_id !== round.publish_id || progress.outcome !== null) continue;
          await queue.enqueue({
            id: jobId(document.id, round.publish_id, target.platform),
            post_id: document.id,
            workspace_id: document.workspace_id,
            publish_id: round.publish_id,
            platform: target.platform,
            account_id: target.account_id,
          });
        }
      }
    } catch (err) {
      logger.warn({ err }, 'could not re-dispatch from the read model; the event store catch-up will');
    }
  }

  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  const goLive = async (): Promise<void> => {
    if (live && flushing === null && [...pending.values()].every((t) => t.dispatched)) {
      resolveReady();
      return;
    }
    live = true;
    await flush();
    resolveReady();
  };

  const subscription: Subscription = store.subscribe(
    async (recorded) => {
      if (stopped) return;
      await apply(recorded);
      processed = recorded.position;
      if (!live && recorded.position >= head) await goLive();
    },
    { ...(from !== null ? { from } : {}), streamPrefixes: [POST_STREAM_PREFIX], name: 'dispatcher' },
  );
  subscription.caughtUp.then(
    () => goLive(),
    (err: unknown) => logger.error({ err }, 'the dispatcher subscription failed to catch up'),
  );

  const timer = setInterval(() => {
    if (stopped) return;
    if (live) void flush();
    saveCheckpoint().catch((err: unknown) => logger.warn({ err }, 'could not save the dispatcher checkpoint'));
  }, flushIntervalMs);
  timer.unref();

  return {
    ready,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await subscription.stop();
      if (flushing) await flushing;
      await saveCheckpoint().catch((err: unknown) => logger.warn({ err }, 'could not save the dispatcher checkpoint'));
    },
  };
}
