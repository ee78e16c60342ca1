import { join } from 'node:path';
import { PostCommands } from '../../libs/posts';
import { ConfigError, connectWithin, type Logger, openRuntime, type Runtime, type RuntimeConfig } from '../../libs/runtime';
import { startScheduler } from '../../libs/scheduling';
import { connectMongoWebhookOutbox, openSqliteWebhookOutbox, startWebhookDelivery, type WebhookOutbox } from '../../libs/webhook-delivery';

export interface SchedulerSettings {
  intervalMs: number;
  /** Whether this process also delivers webhooks (default true). */
  webhooks: boolean;
}

export function loadSchedulerSettings(env: NodeJS.ProcessEnv = process.env): SchedulerSettings {
  const problems: string[] = [];
  const rawInterval = env.SCHEDULER_INTERVAL_MS?.trim();
  let intervalMs = 250;
  if (rawInterval) {
    if (!/^\d+$/.test(rawInterval) || Number(rawInterval) < 10 || Number(rawInterval) > 60_000) problems.push(`SCHEDULER_INTERVAL_MS must be an integer from 10 to 60000, got "${rawInterval}"`);
    else intervalMs = Number(rawInterval);
  }
  const rawWebhooks = env.WEBHOOK_DELIVERY?.trim().toLowerCase();
  let webhooks = true;
  if (rawWebhooks) {
    if (['1', 'true', 'yes', 'on'].includes(rawWebhooks)) webhooks = true;
    else if (['0', 'false', 'no', 'off'].includes(rawWebhooks)) webhooks = false;
    else problems.push(`WEBHOOK_DELIVERY must be true or false, got "${rawWebhooks}"`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { intervalMs, webhooks };
}

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
      const delivery = await startWebhookDelivery({ store: runtime.eventStore, webhooks: runtime.webhooks, outbox, clock: runtime.clock, logger: runtime.logger });
      runtime.onClose(() => delivery.stop());
    }
    return { runtime, close: () => runtime.close() };
  } catch (err) {
    await runtime.close();
    throw err;
  }
}
