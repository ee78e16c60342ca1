import { randomBase62, newId } from './ids';
import type { CredentialCipher } from './cipher';
import { httpUrl } from './urls';
import { invalidIf, type RegistryProblem } from './errors';
import type { RegistryStorage, WebhookDeliveryRecord, WebhookRecord } from './storage';

export type WebhookEvent =
  | 'post.published'
  | 'post.failed'
  | 'post.platform_failed'
  | 'post.platform_published'
  | 'post.platform_retrying'
  | 'post.scheduled'
  | 'post.created'
  | 'post.deleted'
  | 'account.reconnect_required'
  | 'account.expiring';

export const WEBHOOK_EVENTS: readonly WebhookEvent[] = [
  'post.published',
  'post.failed',
  'post.platform_failed',
  'post.platform_published',
  'post.platform_retrying',
  'post.scheduled',
  'post.created',
  'post.deleted',
  'account.reconnect_required',
  'account.expiring',
];

export function isWebhookEvent(value: unknown): value is WebhookEvent {
  return typeof value === 'string' && (WEBHOOK_EVENTS as readonly string[]).includes(value);
}

const MAX_DESCRIPTION_LENGTH = 500;
const MAX_ERROR_LENGTH = 1000;
const DEFAULT_DELIVERY_LIMIT = 50;
const MAX_DELIVERY_LIMIT = 500;

/** A webhook subscription as shown: the signing secret only once, at creation. */
export interface WebhookView {
  id: string;
  url: string;
  events: WebhookEvent[];
  description: string | null;
  created_at: string;
}

export type WebhookWithSecret = WebhookView & { secret: string };

export interface CreateWebhookInput {
  url: string;
  events: WebhookEvent[];
  description?: string | null;
}

/** One delivery attempt, as recorded by the deliverer. */
export interface WebhookDeliveryAttempt {
  event: WebhookEvent;
  /** Id of the event delivered (the same across attempts of one event). */
  event_id?: string | null;
  /** HTTP status the receiver answered; null when none came (network error, timeout). */
  status_code: number | null;
  /** 1 for the first try. */
  attempt: number;
  /** Default: a 2xx status. */
  succeeded?: boolean;
  error?: string | null;
  /** Default: now. */
  delivered_at?: string;
}

export interface WebhookDelivery {
  id: string;
  webhook_id: string;
  event: WebhookEvent;
  event_id: string | null;
  status_code: number | null;
  attempt: number;
  succeeded: boolean;
  error: string | null;
  delivered_at: string;
}

export class Webhooks {
  private readonly now: () => number;

  constructor(
    private readonly storage: RegistryStorage,
    private readonly cipher: CredentialCipher,
    options: { now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Stores a subscription; returns the signing secret (`whsec_...`) this once; it is kept sealed for deliveries. */
  async create(workspaceId: string, input: CreateWebhookInput): Promise<WebhookWithSecret> {
    const { url, events, description } = validCreateInput(input);
    const id = newId('wh');
    const secret = `whsec_${randomBase62(32)}`;
    const record: WebhookRecord = {
      id,
      workspace_id: workspaceId,
      url,
      events,
      description,
      sealed_secret: this.cipher.encrypt({ secret }, sealContext(workspaceId, id)),
      created_at: new Date(this.now()).toISOString(),
    };
    await this.storage.insertWebhook(record);
    return { ...view(record), secret };
  }

  /** Oldest first. */
  async list(workspaceId: string): Promise<WebhookView[]> {
    return (await this.storage.listWebhooks(workspaceId)).map(view);
  }

  /** Null when unknown or of another workspace. */
  async get(workspaceId: string, id: string): Promise<WebhookView | null> {
    const record = await this.storage.getWebhook(workspaceId, id);
    return record ? view(record) : null;
  }

  /** Removes the subscription and its delivery log. */
  async remove(workspaceId: string, id: string): Promise<boolean> {
    return this.storage.deleteWebhook(workspaceId, id);
  }

  /** The workspace's subscriptions to `event`, with their secrets, for the deliverer only. */
  async subscribersOf(workspaceId: string, event: WebhookEvent): Promise<WebhookWithSecret[]> {
    const records = await this.storage.listWebhooks(workspaceId, event);
    return records.map((record) => ({ ...view(record), secret: this.secretOf(record) }));
  }

  /** Logs one delivery attempt of a webhook of this workspace; null when the webhook is gone. */
  async recordDelivery(workspaceId: string, webhookId: string, attempt: WebhookDeliveryAttempt): Promise<WebhookDelivery | null> {
    if (!(await this.storage.getWebhook(workspaceId, webhookId))) return null;
    const record: WebhookDeliveryRecord = {
      id: newId('whd'),
      workspace_id: workspaceId,
      webhook_id: webhookId,
      event: attempt.event,
      event_id: attempt.event_id ?? null,
      status_code: attempt.status_code,
      attempt: attempt.attempt,
      succeeded: attempt.succeeded ?? (attempt.status_code !== null && attempt.status_code >= 200 && attempt.status_code < 300),
      error: attempt.error ? attempt.error.slice(0, MAX_ERROR_LENGTH) : null,
      delivered_at: attempt.delivered_at ?? new Date(this.now()).toISOString(),
    };
    await this.storage.insertWebhookDelivery(record);
    return deliveryView(record);
  }

  /** Newest first, at most `limit` (default 50, at most 500). */
  async listDeliveries(workspaceId: string, webhookId: string, limit = DEFAULT_DELIVERY_LIMIT): Promise<WebhookDelivery[]> {
    const bounded = Math.max(1, Math.min(MAX_DELIVERY_LIMIT, Math.floor(limit)));
    return (await this.storage.listWebhookDeliveries(workspaceId, webhookId, bounded)).map(deliveryView);
  }

  private secretOf(record: WebhookRecord): string {
    return (this.cipher.decrypt(record.sealed_secret, sealContext(record.workspace_id, record.id)) as { secret: string }).secret;
  }
}

function sealContext(workspaceId: string, webhookId: string): string {
  return `webhook:${workspaceId}:${webhookId}`;
}

function view(record: WebhookRecord): WebhookView {
  return {
    id: record.id,
    url: record.url,
    events: record.events.filter(isWebhookEvent),
    description: record.description,
    created_at: record.created_at,
  };
}

function deliveryView(record: WebhookDeliveryRecord): WebhookDelivery {
  return {
    id: record.id,
    webhook_id: record.webhook_id,
    event: record.event as WebhookEvent,
    event_id: record.event_id,
    status_code: record.status_code,
    attempt: record.attempt,
    succeeded: record.succeeded,
    error: record.error,
    delivered_at: record.delivered_at,
  };
}

function validCreateInput(input: CreateWebhookInput): { url: string; events: WebhookEvent[]; description: string | null } {
  const body = (typeof input === 'object' && input !== null ? input : {}) as Partial<Record<keyof CreateWebhookInput, unknown>>;
  const problems: RegistryProblem[] = [];

  const url = httpUrl(body.url);
  if (url === null) problems.push({ field: 'url', message: 'must be an http or https URL' });

  const events: WebhookEvent[] = [];
  if (!Array.isArray(body.events) || body.events.length === 0) {
    problems.push({ field: 'events', message: `must be a non-empty list of: ${WEBHOOK_EVENTS.join(', ')}` });
  } else {
    body.events.forEach((event: unknown, i) => {
      if (!isWebhookEvent(event)) problems.push({ field: `events[${i}]`, message: `must be one of ${WEBHOOK_EVENTS.join(', ')}` });
      else if (!events.includes(event)) events.push(event);
    });
  }

  let description: string | null = null;
  if (body.description !== undefined && body.description !== null) {
    if (typeof body.description !== 'string' || body.description.length > MAX_DESCRIPTION_LENGTH) {
      problems.push({ field: 'description', message: `must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters` });
    } else {
      description = body.description;
    }
  }

  invalidIf(problems);
  return { url: url as string, events, description };
}
