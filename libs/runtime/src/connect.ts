import type { Logger } from 'pino';
import { redactUrl } from './config';

/** A configured server could not be reached in time: the process must not start. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Tries `attempt` until it succeeds or `timeoutMs` has passed, waiting longer between
 * tries (250 ms doubling up to 5 s), so a server that starts a bit after us (compose)
 * is waited for, and one that never comes stops the start with a clear message.
 */
export async function connectWithin<T>(what: string, url: string, timeoutMs: number, logger: Logger, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  let tries = 0;
  for (;;) {
    tries += 1;
    try {
      return await attempt();
    } catch (error) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new StartupError(
          `cannot reach ${what} at ${redactUrl(url)} within ${Math.round(timeoutMs / 1000)} s (${tries} tries): ${reason(error)}`,
        );
      }
      logger.warn({ dependency: what, url: redactUrl(url), attempt: tries, error: reason(error) }, `${what} not reachable yet; retrying`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

/** Bounds a call that may hang (a health probe against a stalled server). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
