import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

/**
 * Structured JSON logs on stdout. Request handlers log through child loggers that carry
 * `request_id` and, once known, `workspace_id` / `correlation_id`. Headers, credentials and
 * bodies are never passed to a logger; the redaction below is a second line of defence
 * against an object logged by mistake.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'postloom' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'headers',
          '*.headers',
          'credentials',
          '*.credentials',
          'secret',
          '*.secret',
          'body',
          '*.body',
          'apiKey',
          'api_key',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
