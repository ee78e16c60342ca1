import type { Platform } from '../../libs/domain';
import { InProcessJobQueue, JobQueue, NatsJobQueue } from '../../libs/messaging';
import { PostCommands } from '../../libs/posts';
import { createPlatformAdapters, parsePlatformList, PUBLISHABLE_PLATFORMS, startPublishing } from '../../libs/publishing';
import { ConfigError, connectWithin, type Logger, openRuntime, redactUrl, type Runtime, type RuntimeConfig } from '../../libs/runtime';

/** What the publisher reads from its environment beyond the runtime's settings. */
export interface PublisherSettings {
  platforms: Platform[];
  concurrency: number;
  /** Deliveries of one job before its platform is recorded as failed. */
  maxAttempts: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** NATS: a job not acknowledged (nor heartbeated) within this is delivered again. */
  ackWaitMs: number;
}

export function loadPublisherSettings(env: NodeJS.ProcessEnv = process.env): PublisherSettings {
  const problems: string[] = [];
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return Number(raw);
  };
  let platforms: Platform[] = [];
  try {
    platforms = parsePlatformList(env.PLATFORMS, PUBLISHABLE_PLATFORMS);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const settings: PublisherSettings = {
    platforms,
    concurrency: integer('PUBLISH_CONCURRENCY', 4, 1, 1000),
    maxAttempts: integer('PUBLISH_MAX_ATTEMPTS', 8, 1, 100),
    retryInitialMs: integer('PUBLISH_RETRY_INITIAL_MS', 2_000, 1, 3_600_000),
    retryMaxMs: integer('PUBLISH_RETRY_MAX_MS', 300_000, 1, 86_400_000),
    ackWaitMs: integer('NATS_ACK_WAIT_MS', 30_000, 500, 3_600_000),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

export interface PublisherApp {
  runtime: Runtime;
  close(): Promise<void>;
}

/**
 * A publisher process for `PLATFORMS`: dispatches their publish requests to the job queue
 * (NATS JetStream when NATS_URL is set, else in-process) and works the jobs. The stores
 * are the servers the environment names, or the embedded files under DATA_DIR, so it can
 * run beside an embedded API (the projector stays with the API).
 */
export async function startPublisherApp(config: RuntimeConfig, settings: PublisherSettings, options: { logger?: Logger } = {}): Promise<PublisherApp> {
  const runtime = await openRuntime(config, { projector: false, messaging: false, logger: options.logger });
  try {
    const logger = runtime.logger;
    let queue: JobQueue;
    if (config.natsUrl) {
      const url = config.natsUrl;
      queue = await connectWithin('NATS', url, config.connectTimeoutMs, logger, () =>
        NatsJobQueue.connect({
          servers: url.split(',').map((s) => s.trim()),
          maxDeliver: settings.maxAttempts,
          ackWaitMs: settings.ackWaitMs,
          onError: (err, context) => logger.error({ err, context }, 'job queue error'),
        }),
      );
      logger.info({ nats: redactUrl(url) }, 'job queue: NATS JetStream');
    } else {
      queue = new InProcessJobQueue({ maxAttempts: settings.maxAttempts, onError: (err, context) => logger.error({ err, context }, 'job queue error') });
      logger.info('job queue: in-process (set NATS_URL to share work between replicas)');
    }
    runtime.onClose(() => queue.close());

    const publishing = await startPublishing({
      queue,
      store: runtime.eventStore,
      commands: new PostCommands(runtime.eventStore, runtime.clock),
      accounts: runtime.accounts,
      adapters: createPlatformAdapters({}, settings.platforms),
      platforms: settings.platforms,
      model: runtime.readModel,
      concurrency: settings.concurrency,
      logger,
      media: { allowPrivateNetworks: config.mediaAllowPrivateNetworks },
      retryBackoff: { initialMs: settings.retryInitialMs, maxMs: settings.retryMaxMs },
      // Well inside the acknowledgement window, so a long thread is never taken for abandoned.
      heartbeatMs: Math.max(100, Math.min(5_000, Math.floor(settings.ackWaitMs / 3))),
    });
    runtime.onClose(() => publishing.stop());
    return { runtime, close: () => runtime.close() };
  } catch (err) {
    await runtime.close();
    throw err;
  }
}
