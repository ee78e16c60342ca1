import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { join } from 'node:path';
import { PLATFORMS } from '../../libs/domain';
import { createHttpApp } from '../../libs/http';
import { PostCommands } from '../../libs/posts';
import { adapterOptionsFor, createPlatformAdapters, loadPublisherSettings, type PublisherSettings, startPublishing } from '../../libs/publishing';
import { type Logger, openRuntime, type Runtime, type RuntimeConfig } from '../../libs/runtime';
import { loadSchedulerSettings, type SchedulerSettings, startScheduler } from '../../libs/scheduling';
import { openSqliteWebhookOutbox, startWebhookDelivery } from '../../libs/webhook-delivery';

export interface EmbeddedApp {
  runtime: Runtime;
  app: NestExpressApplication;
  /** Where the API listens, e.g. `http://localhost:3000`. */
  url: string;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  logger?: Logger;
  /** Default: read from the environment, every platform unless PLATFORMS narrows it. */
  publisher?: PublisherSettings;
  scheduler?: SchedulerSettings;
  /**
   * Default true. False leaves publish requests to publishers elsewhere (the `publisher`
   * app on NATS): the tests that stand in for publishers by recording results themselves.
   */
  publishing?: boolean;
}

/**
 * The whole product in one process: SQLite stores under DATA_DIR, the projector, the
 * publishers of every platform on the in-process queue (or NATS when NATS_URL is set),
 * the scheduler, webhook delivery and the HTTP API. `npm start` and the e2e tests both
 * start it through here.
 */
export async function startEmbedded(config: RuntimeConfig, options: EmbeddedOptions = {}): Promise<EmbeddedApp> {
  const publisher = options.publisher ?? loadPublisherSettings(process.env, { allPlatformsByDefault: true });
  const schedulerSettings = options.scheduler ?? loadSchedulerSettings(process.env);
  const runtime = await openRuntime(config, { logger: options.logger, queue: { maxAttempts: publisher.maxAttempts, ackWaitMs: publisher.ackWaitMs } });
  try {
    await startBackgroundWork(runtime, options.publishing === false ? null : publisher, schedulerSettings);
    const app = await createHttpApp(runtime);
    await app.listen(config.port, config.host);
    const { port } = app.getHttpServer().address() as AddressInfo;
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
    // Signed media links point here unless POSTLOOM_PUBLIC_URL says where platforms reach us.
    if (!config.publicUrl) runtime.mediaUrls.useBaseUrl(`http://${host}:${port}`);
    let closing: Promise<void> | null = null;
    return {
      runtime,
      app,
      url: `http://${host}:${port}`,
      close() {
        closing ??= app.close().finally(() => runtime.close());
        return closing;
      },
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}

/** Publishers (unless left to another process), scheduler and webhook delivery; each registers its stop with the runtime. */
async function startBackgroundWork(runtime: Runtime, publisher: PublisherSettings | null, schedulerSettings: SchedulerSettings): Promise<void> {
  const { config, logger } = runtime;
  const commands = new PostCommands(runtime.eventStore, runtime.clock);
  if (publisher) {
    const queue = runtime.jobQueue;
    if (!queue) throw new Error('the embedded app needs the job queue');
    const publishing = await startPublishing({
      queue,
      store: runtime.eventStore,
      commands,
      accounts: runtime.accounts,
      credentials: runtime.credentials,
      adapters: createPlatformAdapters(adapterOptionsFor({ allowPrivateNetworks: config.mediaAllowPrivateNetworks }), publisher.platforms),
      platforms: publisher.platforms,
      // With PLATFORMS narrowed and no NATS, nothing would ever take the other platforms' jobs.
      refusePlatforms: config.natsUrl ? [] : PLATFORMS.filter((p) => !publisher.platforms.includes(p)),
      model: runtime.readModel,
      concurrency: publisher.concurrency,
      logger,
      media: { allowPrivateNetworks: config.mediaAllowPrivateNetworks, stored: runtime.storedMedia },
      retryBackoff: { initialMs: publisher.retryInitialMs, maxMs: publisher.retryMaxMs },
      onOutcome: (platform, outcome) => runtime.metrics.publishJobs.labels(platform, outcome).inc(),
      heartbeatMs: Math.max(100, Math.min(5_000, Math.floor(publisher.ackWaitMs / 3))),
    });
    runtime.onClose(() => publishing.stop());
    // Long-lived tokens are renewed in the background; due times live in the registry.
    runtime.onClose(runtime.credentials.startRenewals());
  }

  const scheduler = startScheduler({
    model: runtime.readModel,
    commands,
    accounts: runtime.accounts,
    clock: runtime.clock,
    intervalMs: schedulerSettings.intervalMs,
    logger,
  });
  runtime.onClose(() => scheduler.stop());

  if (schedulerSettings.webhooks) {
    const outbox = openSqliteWebhookOutbox(join(config.dataDir, 'webhook-outbox.sqlite'));
    runtime.onClose(() => outbox.close());
    const delivery = await startWebhookDelivery({ store: runtime.eventStore, webhooks: runtime.webhooks, outbox, clock: runtime.clock, allowPrivateNetworks: config.webhookAllowPrivateNetworks, logger });
    runtime.onClose(() => delivery.stop());
  }
}
