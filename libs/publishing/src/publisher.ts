import { PLATFORMS, Platform } from '../../domain';
import type { EventStore } from '../../event-store';
import { InProcessJobQueue, JobConsumer, JobDelivery, JobOutcome, JobQueue } from '../../messaging';
import { linkPreview, MediaAttachmentOptions, PlatformAdapter } from '../../platforms';
import type { PostReadModel } from '../../read-models';
import { RetryBackoff } from './backoff';
import { readModelCheckpoint, SubscriberCheckpoint } from './checkpoint';
import { Dispatcher, startDispatcher } from './dispatcher';
import { AccountCredentials, PostCommandSide, PublishingLogger, silentLogger } from './ports';
import { segmentAttachments } from './platform-checks';
import { publishThread, PublishResult, ThreadOutcome } from './publish-thread';
import { UsableCredentials, withUsableCredentials } from './usable-credentials';

export interface PublishingDeps {
  queue: JobQueue;
  store: EventStore;
  commands: PostCommandSide;
  accounts: AccountCredentials;
  /**
   * The credentials port: refreshes tokens ahead of expiry and once after a 401. Without
   * it, adapters get the stored credentials as they are.
   */
  credentials?: UsableCredentials;
  /** From `createPlatformAdapters`. */
  adapters: Partial<Record<Platform, PlatformAdapter>>;
  /** Platforms this process publishes to (dispatches and consumes); each needs an adapter. */
  platforms: readonly Platform[];
  /** Read model: keeps the dispatcher's checkpoint, and its unfinished posts re-dispatch at start. */
  model: Pick<PostReadModel, 'publishing' | 'checkpoint' | 'save'>;
  /** Jobs worked on at once per platform in this process. Default 4. */
  concurrency?: number;
  logger?: PublishingLogger;
  /** Media downloads (`allowPrivateNetworks` from MEDIA_ALLOW_PRIVATE_NETWORKS). */
  media?: MediaAttachmentOptions;
  /** Delay between attempts after a retryable failure. Default 2 s doubling up to 5 min, jittered. */
  retryBackoff?: RetryBackoff;
  /** How often a long job tells the queue it is still alive. Default 5 s. */
  heartbeatMs?: number;
  /** Whether the queue keeps jobs across a restart; default: every queue but `InProcessJobQueue`. */
  durableQueue?: boolean;
  /**
   * Fail targets of these platforms at once (embedded mode: platforms nothing here can publish
   * to), instead of leaving them to a publisher that will never come.
   */
  refusePlatforms?: readonly Platform[];
  /** Dispatcher checkpoint; default kept in the read model under `dispatcher:<platforms>`. */
  checkpoint?: SubscriberCheckpoint;
  /** Told how each delivery ended (`error`: it threw), for metrics. */
  onOutcome?: (platform: Platform, outcome: JobOutcomeName) => void;
}

export type JobOutcomeName = ThreadOutcome['kind'] | 'error';

export interface Publishing {
  /** Resolves once the work that was waiting at start is back in the queue. */
  readonly ready: Promise<void>;
  /** Stops dispatching, then lets in-flight jobs finish (their results are recorded). */
  stop(): Promise<void>;
}

/** Platforms from `PLATFORMS=bluesky,mastodon`, each known and with an adapter. */
export function parsePlatformList(raw: string | undefined, available: readonly Platform[]): Platform[] {
  const names = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0) throw new Error(`PLATFORMS is required: a comma-separated list of ${available.join(', ')}`);
  const problems: string[] = [];
  const platforms: Platform[] = [];
  for (const name of names) {
    if (!(PLATFORMS as readonly string[]).includes(name)) problems.push(`"${name}" is not a platform (known: ${PLATFORMS.join(', ')})`);
    else if (!available.includes(name as Platform)) problems.push(`no publisher for "${name}" yet (available: ${available.join(', ')})`);
    else if (!platforms.includes(name as Platform)) platforms.push(name as Platform);
  }
  if (problems.length > 0) throw new Error(`PLATFORMS: ${problems.join('; ')}`);
  return platforms;
}


/**
 * The publishers of this process: a dispatcher turning publish requests into jobs for
 * `platforms`, and one consumer per platform running `publishThread` on each job and
 * reporting the results as commands (`actor: publisher:<platform>`, correlated by the
 * publish id).
 */
export async function startPublishing(deps: PublishingDeps): Promise<Publishing> {
  const logger = deps.logger ?? silentLogger;
  const platforms = [...new Set(deps.platforms)];
  const missing = platforms.filter((p) => !deps.adapters[p]);
  if (missing.length > 0) throw new Error(`no adapter for ${missing.join(', ')}`);
  const heartbeatMs = deps.heartbeatMs ?? 5_000;
  const media = deps.media ?? {};

  const handle = async (delivery: JobDelivery): Promise<JobOutcome> => {
    try {
      return await work(delivery);
    } catch (err) {
      deps.onOutcome?.(delivery.job.platform as Platform, 'error');
      throw err;
    }
  };

  const work = async (delivery: JobDelivery): Promise<JobOutcome> => {
    const { job } = delivery;
    const platform = job.platform as Platform;
    const adapter = deps.adapters[platform];
    const log = { job_id: job.id, post_id: job.post_id, publish_id: job.publish_id, platform, attempt: delivery.attempt };
    if (!adapter) {
      logger.error(log, 'job for a platform without an adapter');
      return { kind: 'give_up' };
    }
    const heartbeat = setInterval(() => delivery.heartbeat(), heartbeatMs);
    heartbeat.unref();
    try {
      const { state } = await deps.commands.load(job.post_id);
      const accountId = state.progress[platform]?.account_id ?? job.account_id;
      const stored = accountId ? await deps.accounts.credentialsOf(job.workspace_id, accountId) : null;
      const account = stored && stored.platform === platform ? stored : null;
      const record = async (result: PublishResult): Promise<void> => {
        await deps.commands.execute(job.post_id, result, { workspace_id: job.workspace_id, actor: `publisher:${platform}`, correlation_id: job.publish_id }, { retries: 20 });
      };
      const outcome: ThreadOutcome = await publishThread({
        state,
        platform,
        publishId: job.publish_id,
        adapter: account && deps.credentials ? withUsableCredentials(adapter, deps.credentials, job.workspace_id, account.id) : adapter,
        account,
        attempt: delivery.attempt,
        maxAttempts: delivery.maxAttempts,
        record,
        attachMedia: (segmentMedia) => segmentAttachments(segmentMedia, media),
        attachLink: (link) => linkPreview(link, media),
        backoff: deps.retryBackoff,
        heartbeat: () => delivery.heartbeat(),
      });
      deps.onOutcome?.(platform, outcome.kind);
      switch (outcome.kind) {
        case 'published':
          logger.info({ ...log, segments: outcome.segments }, 'published');
          return { kind: 'done' };
        case 'failed':
          logger.warn({ ...log, code: outcome.code, error: outcome.error }, 'platform failed');
          return { kind: 'done' };
        case 'skipped':
          logger.debug({ ...log, reason: outcome.reason }, 'nothing to publish');
          return { kind: 'done' };
        case 'retry':
          logger.info({ ...log, delay_ms: outcome.delayMs, reason: outcome.reason }, 'will retry');
          return { kind: 'retry', delayMs: outcome.delayMs };
      }
    } finally {
      clearInterval(heartbeat);
    }
  };

  const consumers: JobConsumer[] = [];
  let dispatcher: Dispatcher | null = null;
  try {
    for (const platform of platforms) {
      consumers.push(await deps.queue.consume(platform, handle, { concurrency: deps.concurrency ?? 4 }));
    }
    dispatcher = await startDispatcher({
      store: deps.store,
      queue: deps.queue,
      commands: deps.commands,
      checkpoint: deps.checkpoint ?? readModelCheckpoint(deps.model, `dispatcher:${[...platforms].sort().join(',')}`),
      platforms,
      durableQueue: deps.durableQueue ?? !(deps.queue instanceof InProcessJobQueue),
      model: deps.model,
      refusePlatforms: deps.refusePlatforms,
      logger,
    });
  } catch (err) {
    await Promise.allSettled(consumers.map((c) => c.stop()));
    throw err;
  }
  const started = dispatcher;
  logger.info({ platforms }, 'publishing started');

  let stopping: Promise<void> | null = null;
  return {
    ready: started.ready,
    stop() {
      stopping ??= (async () => {
        await started.stop();
        await Promise.all(consumers.map((c) => c.stop()));
        logger.info({ platforms }, 'publishing stopped');
      })();
      return stopping;
    },
  };
}
