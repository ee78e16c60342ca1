import type { Platform } from '../../domain';
import { ConfigError } from '../../runtime';
import { PUBLISHABLE_PLATFORMS } from './adapters';
import { parsePlatformList } from './publisher';

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

/**
 * `PLATFORMS` is required of a publisher service (each is deployed for its platforms); the
 * embedded app passes `allPlatformsByDefault` so that one process publishes everywhere.
 */
export function loadPublisherSettings(env: NodeJS.ProcessEnv = process.env, options: { allPlatformsByDefault?: boolean } = {}): PublisherSettings {
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
    platforms =
      options.allPlatformsByDefault && !env.PLATFORMS?.trim() ? [...PUBLISHABLE_PLATFORMS] : parsePlatformList(env.PLATFORMS, PUBLISHABLE_PLATFORMS);
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
