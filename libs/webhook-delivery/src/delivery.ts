import { createHash } from 'node:crypto';
import {
  initialPostState,
  evolve,
  POST_STREAM_PREFIX,
  PostEvent,
  PostState,
  postView,
  PostView,
  RecordedPostEvent,
  roundFinished,
  statusOf,
  upcastPostEvent,
} from '../../domain';
import type { EventStore, RecordedEvent, Subscription } from '../../event-store';
import type { WebhookDeliveryAttempt, WebhookEvent, WebhookWithSecret } from '../../registry';
import type { PendingDelivery, WebhookOutbox } from './outbox';
import { postWebhook } from './post-webhook';
import { SIGNATURE_HEADER, signPayload } from './signature';

/** The registry's webhooks, as far as delivering needs them. */
export interface WebhookSubscribers {
  subscribersOf(workspaceId: string, event: WebhookEvent): Promise<WebhookWithSecret[]>;
  recordDelivery(workspaceId: string, webhookId: string, attempt: WebhookDeliveryAttempt): Promise<unknown>;
}

/** pino-compatible. */
export interface DeliveryLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DeliveryRetry {
  /** Delay after the first failed attempt; doubles after each. Default 10 s. */
  initialMs: number;
  /** Longest delay between attempts. Default 1 h. */
  maxMs: number;
  /** Attempts in all, the first included, before a delivery is given up. Default 12 (about 3.5 h). */
  maxAttempts: number;
}

export const DEFAULT_DELIVERY_RETRY: DeliveryRetry = { initialMs: 10_000, maxMs: 60 * 60_000, maxAttempts: 12 };

export interface WebhookDeliveryDeps {
  store: EventStore;
  webhooks: WebhookSubscribers;
  /** Persistent queue of pending deliveries (`openSqliteWebhookOutbox` / `connectMongoWebhookOutbox`). */
  outbox: WebhookOutbox;
  clock?: () => Date;
  /** Deliver to receivers on loopback and private networks (WEBHOOK_ALLOW_PRIVATE_NETWORKS). Default false. */
  allowPrivateNetworks?: boolean;
  retry?: Partial<DeliveryRetry>;
  /** A receiver that has not answered by then counts as a failed attempt. Default 10 s. */
  timeoutMs?: number;
  /** How often the outbox is looked at for due retries. Default 500 ms. */
  pollIntervalMs?: number;
  /** Deliveries sent at once. Default 8. */
  concurrency?: number;
  logger?: DeliveryLogger;
}

export interface WebhookDelivery {
  /** Resolves once the events committed before the start are in the outbox. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export interface WebhookPayload {
  id: string;
  type: WebhookEvent;
  created_at: string;
  data: { post: PostView; platform?: string };
}

/** The body of `account.reconnect_required` / `account.expiring`. */
export interface AccountWebhookPayload {
  id: string;
  type: WebhookEvent;
  created_at: string;
  data: { account: AccountStatusData };
}

/** What `account.reconnect_required` / `account.expiring` say about the account. */
export interface AccountStatusData {
  id: string;
  platform: string;
  name: string;
  status: string;
  status_reason: string | null;
  expires_at: string | null;
}

/** Streams of accounts' status facts (`AccountStatusChanged`, written by the credentials port). */
const ACCOUNT_STREAM_PREFIX = 'account-';

function accountWebhookOf(recorded: RecordedEvent): { type: WebhookEvent; account: AccountStatusData } | null {
  if (recorded.type !== 'AccountStatusChanged') return null;
  const data = recorded.data as Record<string, unknown>;
  const type = data.status === 'reconnect_required' ? 'account.reconnect_required' : data.status === 'expiring' ? 'account.expiring' : null;
  if (type === null) return null;
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    type,
    account: {
      id: text(data.account_id) ?? '',
      platform: text(data.platform) ?? '',
      name: text(data.name) ?? '',
      status: String(data.status),
      status_reason: text(data.status_reason),
      expires_at: text(data.expires_at),
    },
  };
}

const silent: DeliveryLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Which webhook events a post event may raise; the round's end is known only with the state. */
function candidatesOf(type: string): WebhookEvent[] {
  switch (type) {
    case 'PostCreated':
      return ['post.created'];
    case 'PostScheduled':
      return ['post.scheduled'];
    case 'PostDeleted':
      return ['post.deleted'];
    case 'PlatformPublished':
      return ['post.platform_published', 'post.published', 'post.failed'];
    case 'PlatformFailed':
      return ['post.platform_failed', 'post.published', 'post.failed'];
    case 'PlatformAttemptFailed':
      return ['post.platform_retrying'];
    default:
      return [];
  }
}

function toPostEvent(recorded: RecordedEvent): RecordedPostEvent {
  const event: PostEvent = upcastPostEvent(recorded.type, recorded.version, recorded.data);
  return { ...event, metadata: { occurred_at: recorded.metadata.occurred_at, actor: recorded.metadata.actor } } as RecordedPostEvent;
}

/** The webhook events the recorded event raises, given the post before and after it. */
function raisedBy(event: RecordedPostEvent, before: PostState, after: PostState): { type: WebhookEvent; platform?: string }[] {
  const raised: { type: WebhookEvent; platform?: string }[] = [];
  switch (event.type) {
    case 'PostCreated':
      raised.push({ type: 'post.created' });
      break;
    case 'PostScheduled':
      raised.push({ type: 'post.scheduled' });
      break;
    case 'PostDeleted':
      raised.push({ type: 'post.deleted' });
      break;
    case 'PlatformPublished':
    case 'PlatformFailed':
      raised.push({ type: event.type === 'PlatformPublished' ? 'post.platform_published' : 'post.platform_failed', platform: event.data.platform });
      if (!roundFinished(before) && roundFinished(after)) {
        raised.push({ type: statusOf(after) === 'published' ? 'post.published' : 'post.failed' });
      }
      break;
    case 'PlatformAttemptFailed':
      raised.push({ type: 'post.platform_retrying', platform: event.data.platform });
      break;
    default:
      break;
  }
  return raised;
}

function eventIdOf(recordedId: string, type: WebhookEvent): string {
  return `evt_${createHash('sha256').update(`${recordedId}:${type}`).digest('hex').slice(0, 32)}`;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

/**
 * Delivers webhook events to their subscribers. A subscription to the post events finds
 * what each event raises (`post.published` / `post.failed` when it finishes the publish
 * round, `post.platform_*` per platform, `post.created`, `post.scheduled`,
 * `post.deleted`) and puts one delivery per subscriber in the outbox together with the
 * subscription's position; a loop sends what is due, signed (`Postloom-Signature`),
 * and retries failures with exponential backoff. Every attempt is logged with the
 * webhook (`Webhooks.recordDelivery`).
 */
export async function startWebhookDelivery(deps: WebhookDeliveryDeps): Promise<WebhookDelivery> {
  const { store, webhooks, outbox } = deps;
  const clock = deps.clock ?? (() => new Date());
  const retry: DeliveryRetry = { ...DEFAULT_DELIVERY_RETRY, ...deps.retry };
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const pollIntervalMs = deps.pollIntervalMs ?? 500;
  const concurrency = deps.concurrency ?? 8;
  const logger = deps.logger ?? silent;
  const leaseMs = timeoutMs + 30_000;

  let stopped = false;
  let unsavedPosition: bigint | null = null;

  const accountDeliveries = async (recorded: RecordedEvent): Promise<PendingDelivery[]> => {
    const raised = accountWebhookOf(recorded);
    if (!raised) return [];
    const workspaceId = recorded.metadata.workspace_id;
    const targets = await webhooks.subscribersOf(workspaceId, raised.type);
    const eventId = eventIdOf(recorded.id, raised.type);
    const payload: AccountWebhookPayload = { id: eventId, type: raised.type, created_at: recorded.metadata.occurred_at, data: { account: raised.account } };
    const body = JSON.stringify(payload);
    return targets.map((webhook) => ({
      id: `${eventId}:${webhook.id}`,
      workspace_id: workspaceId,
      webhook_id: webhook.id,
      event: raised.type,
      event_id: eventId,
      body,
      attempts: 0,
      due_at: clock().getTime(),
    }));
  };

  const deliveriesFor = async (recorded: RecordedEvent): Promise<PendingDelivery[]> => {
    if (recorded.stream.startsWith(ACCOUNT_STREAM_PREFIX)) return accountDeliveries(recorded);
    const candidates = candidatesOf(recorded.type);
    if (candidates.length === 0) return [];
    const workspaceId = recorded.metadata.workspace_id;
    const subscribers = new Map<WebhookEvent, WebhookWithSecret[]>();
    for (const type of candidates) {
      const found = await webhooks.subscribersOf(workspaceId, type);
      if (found.length > 0) subscribers.set(type, found);
    }
    // Most events have no subscriber: then the stream is not even read.
    if (subscribers.size === 0) return [];

    const history = await store.readStream(recorded.stream, { maxCount: recorded.revision + 1 });
    let before = initialPostState();
    let after = before;
    for (const e of history) {
      before = after;
      after = evolve(after, toPostEvent(e));
    }
    const last = history[history.length - 1];
    if (!last || last.id !== recorded.id) {
      logger.warn({ stream: recorded.stream, revision: recorded.revision }, 'event not found in its stream; no webhook raised');
      return [];
    }
    const post = postView(after);
    const deliveries: PendingDelivery[] = [];
    for (const raised of raisedBy(toPostEvent(recorded), before, after)) {
      const targets = subscribers.get(raised.type) ?? [];
      if (targets.length === 0) continue;
      const eventId = eventIdOf(recorded.id, raised.type);
      const payload: WebhookPayload = {
        id: eventId,
        type: raised.type,
        created_at: recorded.metadata.occurred_at,
        data: { post, ...(raised.platform ? { platform: raised.platform } : {}) },
      };
      const body = JSON.stringify(payload);
      for (const webhook of targets) {
        deliveries.push({
          id: `${eventId}:${webhook.id}`,
          workspace_id: workspaceId,
          webhook_id: webhook.id,
          event: raised.type,
          event_id: eventId,
          body,
          attempts: 0,
          due_at: clock().getTime(),
        });
      }
    }
    return deliveries;
  };

  const attempt = async (delivery: PendingDelivery): Promise<void> => {
    const number = delivery.attempts + 1;
    const webhook = (await webhooks.subscribersOf(delivery.workspace_id, delivery.event)).find((w) => w.id === delivery.webhook_id);
    if (!webhook) {
      // Removed, or no longer subscribed to this event: the subscriber asked for nothing more.
      await outbox.remove(delivery.id);
      return;
    }
    const sentAt = clock();
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await postWebhook(webhook.url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Postloom-Webhooks/1',
          [SIGNATURE_HEADER]: signPayload(webhook.secret, delivery.body, sentAt.getTime() / 1000),
          'Postloom-Event': delivery.event,
          'Postloom-Delivery': delivery.event_id,
        },
        body: delivery.body,
        timeoutMs,
        allowPrivateNetworks: deps.allowPrivateNetworks ?? false,
      });
      if (status < 200 || status >= 300) error = `the receiver answered HTTP ${status}`;
    } catch (err) {
      error = describe(err);
    }
    const succeeded = error === null;
    await webhooks
      .recordDelivery(delivery.workspace_id, delivery.webhook_id, {
        event: delivery.event,
        event_id: delivery.event_id,
        status_code: status,
        attempt: number,
        succeeded,
        error,
        delivered_at: sentAt.toISOString(),
      })
      .catch((err: unknown) => logger.warn({ err, webhook_id: delivery.webhook_id }, 'could not log a webhook delivery attempt'));
    const log = { webhook_id: delivery.webhook_id, event: delivery.event, event_id: delivery.event_id, attempt: number, status_code: status };
    if (succeeded) {
      await outbox.remove(delivery.id);
      logger.debug(log, 'webhook delivered');
    } else if (number >= retry.maxAttempts || status === 410) {
      await outbox.remove(delivery.id);
      logger.warn({ ...log, error }, 'webhook delivery given up');
    } else {
      const delay = Math.min(retry.maxMs, retry.initialMs * 2 ** (number - 1));
      await outbox.reschedule(delivery.id, number, clock().getTime() + delay);
      logger.info({ ...log, error, retry_in_ms: delay }, 'webhook delivery failed; will retry');
    }
  };

  let pumping: Promise<void> | null = null;
  let pumpAgain = false;
  const pump = (): void => {
    if (stopped) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = (async () => {
      do {
        pumpAgain = false;
        try {
          for (;;) {
            if (stopped) return;
            const due = await outbox.claimDue(clock().getTime(), leaseMs, concurrency);
            if (due.length === 0) break;
            await Promise.all(
              due.map((d) =>
                attempt(d).catch((err: unknown) => {
                  logger.error({ err, delivery: d.id }, 'webhook delivery attempt broke; it comes back after its lease');
                }),
              ),
            );
          }
        } catch (err) {
          logger.error({ err }, 'could not read the webhook outbox');
        }
      } while (pumpAgain && !stopped);
    })().finally(() => {
      pumping = null;
    });
  };

  const from = await outbox.checkpoint();
  const subscription: Subscription = store.subscribe(
    async (recorded) => {
      if (stopped) return;
      let deliveries: PendingDelivery[] = [];
      try {
        deliveries = await deliveriesFor(recorded);
      } catch (err) {
        // Unreadable or unsupported event: losing its webhook is better than stopping all of them.
        logger.error({ err, stream: recorded.stream, revision: recorded.revision }, 'could not work out the webhooks of an event');
      }
      if (deliveries.length > 0) {
        await outbox.enqueue(deliveries, recorded.position);
        unsavedPosition = null;
        pump();
      } else {
        unsavedPosition = recorded.position;
      }
    },
    { ...(from !== null ? { from } : {}), streamPrefixes: [POST_STREAM_PREFIX, ACCOUNT_STREAM_PREFIX], name: 'webhook delivery' },
  );

  const saveCheckpoint = async (): Promise<void> => {
    const position = unsavedPosition;
    if (position === null) return;
    await outbox.enqueue([], position);
    if (unsavedPosition === position) unsavedPosition = null;
  };

  const timer = setInterval(() => {
    pump();
    saveCheckpoint().catch((err: unknown) => logger.warn({ err }, 'could not save the webhook checkpoint'));
  }, pollIntervalMs);
  timer.unref();
  pump();

  return {
    ready: subscription.caughtUp,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await subscription.stop();
      if (pumping) await pumping;
      await saveCheckpoint().catch((err: unknown) => logger.warn({ err }, 'could not save the webhook checkpoint'));
    },
  };
}
