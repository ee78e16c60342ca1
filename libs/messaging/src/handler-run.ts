import { JobDelivery, JobHandler, JobOutcome, PublishJob } from './port';

/** Delay before retrying a job whose handler threw: doubles per attempt, capped. */
export interface ErrorBackoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_ERROR_BACKOFF: ErrorBackoff = { initialMs: 1_000, maxMs: 60_000 };

/** Receives failures the adapters survive (a throwing handler, a lost connection) so they are not silent. */
export type MessagingErrorReporter = (error: unknown, context: string) => void;

export const reportToStderr: MessagingErrorReporter = (error, context) => {
  console.error(`[messaging] ${context}:`, error);
};

export function delayAfterHandlerError(attempt: number, backoff: ErrorBackoff): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** exponent);
}

/**
 * Runs a handler and always comes back with a valid outcome: a handler that throws, or
 * answers something that is not an outcome, is retried after a backoff, because a bug or
 * an outage in the handler must not silently drop the job.
 */
export async function runHandler(
  handler: JobHandler,
  delivery: JobDelivery,
  backoff: ErrorBackoff,
  report: MessagingErrorReporter,
): Promise<JobOutcome> {
  let outcome: unknown;
  try {
    outcome = await handler(delivery);
  } catch (err) {
    report(err, `handler failed on job ${delivery.job.id} (attempt ${delivery.attempt})`);
    return { kind: 'retry', delayMs: delayAfterHandlerError(delivery.attempt, backoff) };
  }
  if (isJobOutcome(outcome)) return outcome;
  report(
    new TypeError(`handler returned ${JSON.stringify(outcome)}, not a JobOutcome`),
    `handler answered nonsense on job ${delivery.job.id}`,
  );
  return { kind: 'retry', delayMs: delayAfterHandlerError(delivery.attempt, backoff) };
}

function isJobOutcome(value: unknown): value is JobOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  if (kind === 'done' || kind === 'give_up') return true;
  if (kind !== 'retry') return false;
  const delayMs = (value as { delayMs?: unknown }).delayMs;
  return typeof delayMs === 'number' && Number.isFinite(delayMs) && delayMs >= 0;
}

/** Platform names become NATS subject tokens and consumer names, so they are kept to a safe alphabet. */
const PLATFORM_NAME = /^[A-Za-z0-9_-]+$/;

export function assertPlatformName(platform: unknown): asserts platform is string {
  if (typeof platform !== 'string' || !PLATFORM_NAME.test(platform)) {
    throw new TypeError(`invalid platform name ${JSON.stringify(platform)}: use letters, digits, '_' or '-'`);
  }
}

export function assertPublishJob(job: unknown): asserts job is PublishJob {
  if (typeof job !== 'object' || job === null) throw new TypeError('a publish job must be an object');
  const j = job as Record<string, unknown>;
  for (const field of ['id', 'post_id', 'workspace_id', 'publish_id'] as const) {
    if (typeof j[field] !== 'string' || (j[field] as string).length === 0) {
      throw new TypeError(`publish job field ${field} must be a non-empty string`);
    }
  }
  assertPlatformName(j.platform);
  if (j.account_id !== null && typeof j.account_id !== 'string') {
    throw new TypeError('publish job field account_id must be a string or null');
  }
}

export function copyJob(job: PublishJob): PublishJob {
  return {
    id: job.id,
    post_id: job.post_id,
    workspace_id: job.workspace_id,
    publish_id: job.publish_id,
    platform: job.platform,
    account_id: job.account_id,
  };
}

export function resolveConcurrency(concurrency: number | undefined): number {
  const value = concurrency ?? 4;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${String(concurrency)}`);
  }
  return value;
}
