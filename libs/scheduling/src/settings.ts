import { ConfigError } from '../../runtime';

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
