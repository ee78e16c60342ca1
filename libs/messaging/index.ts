export * from './src/port';
export { InProcessJobQueue } from './src/in-process-job-queue';
export type { InProcessJobQueueOptions } from './src/in-process-job-queue';
export { NatsJobQueue } from './src/nats-job-queue';
export type { NatsJobQueueOptions } from './src/nats-job-queue';
export { DEFAULT_ERROR_BACKOFF } from './src/handler-run';
export type { ErrorBackoff, MessagingErrorReporter } from './src/handler-run';
