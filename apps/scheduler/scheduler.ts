import { join } from 'node:path';
import { PostCommands } from '../../libs/posts';
import { connectWithin, type Logger, openRuntime, type Runtime, type RuntimeConfig, serveHealth } from '../../libs/runtime';
import { type SchedulerSettings, startScheduler } from '../../libs/scheduling';
import { connectMongoWebhookOutbox, openSqliteWebhookOutbox, startWebhookDelivery, type WebhookOutbox } from '../../libs/webhook-delivery';

export interface SchedulerApp {
  runtime: Runtime;
  close(): Promise<void>;
}

/**
 * The scheduler process: sends due scheduled posts to publish, and (unless
 * WEBHOOK_DELIVERY=false) delivers webhooks. Any number of replicas may run: a due post
 * is published once (optimistic concurrency) and deliveries are leased from the outbox.
 */
export async function startSchedulerApp(config: RuntimeConfig, settings: SchedulerSettings, options: { logger?: Logger } = {}): Promise<SchedulerApp> {
  const runtime = await openRuntime(config, { projector: false, messaging: false, logger: options.logger });
  try {
    const commands = new PostCommands(runtime.eventStore, runtime.clock);
    const scheduler = startScheduler({
      model: runtime.readModel,
      commands,
      accounts: runtime.accounts,
      clock: runtime.clock,
      intervalMs: settings.intervalMs,
      logger: runtime.logger,
    });
    runtime.onClose(() => scheduler.stop());

    if (settings.webhooks) {
      let outbox: WebhookOutbox;
      if (config.mongoUrl) {
        const url = config.mongoUrl;
        outbox = await connectWithin('MongoDB (webhook outbox)', url, config.connectTimeoutMs, runtime.logger, () => connectMongoWebhookOutbox(url));
      } else {
        outbox = openSqliteWebhookOutbox(join(config.dataDir, 'webhook-outbox.sqlite'));
      }
      runtime.onClose(() => outbox.close());
      const delivery = await startWebhookDelivery({ store: runtime.eventStore, webhooks: runtime.webhooks, outbox, clock: runtime.clock, allowPrivateNetworks: config.webhookAllowPrivateNetworks, logger: runtime.logger });
      runtime.onClose(() => delivery.stop());
    }
    const health = await serveHealth({ port: config.port, host: config.host, health: () => runtime.health(), metrics: runtime.metrics.registry, logger: runtime.logger });
    runtime.onClose(() => health.close());
    return { runtime, close: () => runtime.close() };
  } catch (err) {
    await runtime.close();
    throw err;
  }
}
