/**
 * The messaging port: a durable work queue of publish jobs, one queue per platform,
 * so each platform's publishers scale on their own. Adapters: `InProcessJobQueue`
 * (embedded mode) and `NatsJobQueue` (JetStream: one stream, one durable
 * work-queue consumer per platform, explicit ack, nak with delay, max_deliver,
 * `Nats-Msg-Id` de-duplication).
 */

export interface PublishJob {
  /** Deterministic: `<post_id>:<publish_id>:<platform>`; enqueueing the same id twice delivers it once. */
  id: string;
  post_id: string;
  workspace_id: string;
  publish_id: string;
  platform: string;
  /** The connected account chosen when publishing was requested. */
  account_id: string | null;
}

export interface JobDelivery {
  job: PublishJob;
  /** 1 on first delivery; counts redeliveries (after nak, crash or ack timeout). */
  attempt: number;
  /** The adapter's max deliveries: when attempt === maxAttempts, a retry outcome gives up. */
  maxAttempts: number;
  /** Keeps the job from being redelivered while a long publish is still working on it. */
  heartbeat(): void;
}

/** What the handler decided; the adapter acks, naks with delay, or terminates accordingly. */
export type JobOutcome =
  | { kind: 'done' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'give_up' };

export type JobHandler = (delivery: JobDelivery) => Promise<JobOutcome>;

export interface ConsumeOptions {
  /** Jobs worked on at once by this consumer (in this process). Default 4. */
  concurrency?: number;
}

export interface JobConsumer {
  /** Stops fetching; resolves after in-flight handlers finished (their outcome is still applied). */
  stop(): Promise<void>;
}

export interface JobQueue {
  enqueue(job: PublishJob): Promise<void>;
  consume(platform: string, handler: JobHandler, options?: ConsumeOptions): Promise<JobConsumer>;
  close(): Promise<void>;
}
