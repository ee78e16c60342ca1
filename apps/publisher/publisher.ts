import { InProcessJobQueue, JobQueue, NatsJobQueue } from '../../libs/messaging';
import { PostCommands } from '../../libs/posts';
import { adapterOptionsFor, createPlatformAdapters, type PublisherSettings, startPublishing } from '../../libs/publishing';
import { connectWithin, type Logger, openRuntime, redactUrl, type Runtime, type RuntimeConfig, serveHealth } from '../../libs/runtime';

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
      credentials: runtime.credentials,
      adapters: createPlatformAdapters(adapterOptionsFor({ allowPrivateNetworks: config.mediaAllowPrivateNetworks }), settings.platforms),
      platforms: settings.platforms,
      model: runtime.readModel,
      concurrency: settings.concurrency,
      logger,
      media: { allowPrivateNetworks: config.mediaAllowPrivateNetworks, stored: runtime.storedMedia },
      retryBackoff: { initialMs: settings.retryInitialMs, maxMs: settings.retryMaxMs },
      // Well inside the acknowledgement window, so a long thread is never taken for abandoned.
      heartbeatMs: Math.max(100, Math.min(5_000, Math.floor(settings.ackWaitMs / 3))),
      onOutcome: (platform, outcome) => runtime.metrics.publishJobs.labels(platform, outcome).inc(),
    });
    runtime.onClose(() => publishing.stop());
    // Long-lived tokens are renewed in the background; due times live in the registry.
    runtime.onClose(runtime.credentials.startRenewals());
    const health = await serveHealth({ port: config.port, host: config.host, health: () => runtime.health(), metrics: runtime.metrics.registry, logger });
    runtime.onClose(() => health.close());
    return { runtime, close: () => runtime.close() };
  } catch (err) {
    await runtime.close();
    throw err;
  }
}
