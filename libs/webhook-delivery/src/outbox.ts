import type { WebhookEvent } from '../../registry';

/** One event to deliver to one subscriber, kept until it is delivered or given up. */
export interface PendingDelivery {
  /** `<event id>:<webhook id>`: enqueueing the same event again adds nothing. */
  id: string;
  workspace_id: string;
  webhook_id: string;
  event: WebhookEvent;
  /** The `id` in the body: the same on every attempt. */
  event_id: string;
  /** The JSON body, fixed at enqueue time so every attempt sends the same bytes. */
  body: string;
  /** Attempts made so far. */
  attempts: number;
  /** Epoch ms at which the next attempt is due. */
  due_at: number;
}

/**
 * The deliverer's persistent queue, and the position in the event store up to which
 * every event has its deliveries in it: a restart resumes both the subscription and
 * the deliveries waiting for a retry. Adapters: SQLite (embedded), MongoDB (distributed).
 */
export interface WebhookOutbox {
  /** Adds the deliveries (ids already present are kept as they are) and moves the checkpoint forward. */
  enqueue(deliveries: PendingDelivery[], position: bigint): Promise<void>;
  checkpoint(): Promise<bigint | null>;
  /**
   * Takes up to `limit` deliveries due at `now` and hides them from other claims until
   * `now + leaseMs` (a replica that dies holding them lets them come back after the lease).
   */
  claimDue(now: number, leaseMs: number, limit: number): Promise<PendingDelivery[]>;
  /** After a failed attempt: counts it and sets when the next is due. */
  reschedule(id: string, attempts: number, dueAt: number): Promise<void>;
  /** Delivered or given up: forgotten. */
  remove(id: string): Promise<void>;
  /** Epoch ms of the earliest delivery waiting, or null when none. */
  nextDueAt(): Promise<number | null>;
  close(): Promise<void>;
}
