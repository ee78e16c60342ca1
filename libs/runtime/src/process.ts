import { ConfigError } from './config';
import { StartupError } from './connect';
import type { Logger } from './logger';

/**
 * Runs an app's start; a configuration or reachability problem ends the process with its
 * message on stderr (no stack: it is the operator's to fix, not a bug).
 */
export function runApp(name: string, start: () => Promise<void>): void {
  start().catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof StartupError) {
      process.stderr.write(`${name}: ${error.message}\n`);
    } else {
      process.stderr.write(`${name}: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  });
}

/**
 * SIGINT / SIGTERM: stop taking work, finish what is in flight, close the stores, exit 0.
 * A second signal, or a shutdown longer than `graceMs`, exits at once.
 */
export function closeOnSignals(close: () => Promise<void>, logger: Logger, graceMs = 15_000): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ grace_ms: graceMs }, 'shutdown took too long: exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
