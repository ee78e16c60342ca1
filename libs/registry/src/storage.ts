import type { Platform } from '../../domain';
import type { AccountTokenStorage } from './token-storage';

/**
 * The registry's storage port: workspaces, API keys, connected accounts, webhook
 * subscriptions and their delivery log, and Idempotency-Key records. Adapters:
 * `SqliteRegistryStorage` (embedded) and `MongoRegistryStorage` (distributed); the
 * services hold the rules and are written once against this port. Instants are ISO
 * 8601 UTC strings (`Date#toISOString`), so they sort as text.
 */

export interface WorkspaceRecord {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeyRecord {
  id: string;
  workspace_id: string;
  name: string;
  /** Hex sha256 of the raw key; the raw key itself is never stored. */
  key_hash: string;
  rate_limit_per_minute: number;
  created_at: string;
  revoked_at: string | null;
}

export interface AccountRecord {
  id: string;
  workspace_id: string;
  platform: Platform;
  name: string;
  base_url: string | null;
  /** `CredentialCipher` output; the credentials in clear are never stored. */
  sealed_credentials: string;
  created_at: string;
}

export interface WebhookRecord {
  id: string;
  workspace_id: string;
  url: string;
  events: string[];
  description: string | null;
  /** The signing secret, sealed by `CredentialCipher` (deliveries need it back). */
  sealed_secret: string;
  created_at: string;
}

export interface WebhookDeliveryRecord {
  id: string;
  workspace_id: string;
  webhook_id: string;
  event: string;
  /** Id of the event delivered, so the attempts of one event can be told apart. */
  event_id: string | null;
  /** HTTP status the receiver answered; null when no answer came (network error, timeout). */
  status_code: number | null;
  attempt: number;
  succeeded: boolean;
  error: string | null;
  delivered_at: string;
}

export type IdempotencyStatus = 'in_progress' | 'completed';

export interface IdempotencyRecord {
  workspace_id: string;
  key: string;
  fingerprint: string;
  status: IdempotencyStatus;
  /** The first response, once completed. */
  response: StoredResponse | null;
  created_at: string;
}

export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface RegistryStorage extends AccountTokenStorage {
  insertWorkspace(workspace: WorkspaceRecord): Promise<void>;
  /** Inserts the workspace unless one with its id exists; returns the stored one either way. */
  ensureWorkspace(workspace: WorkspaceRecord): Promise<WorkspaceRecord>;
  getWorkspace(id: string): Promise<WorkspaceRecord | null>;
  /** Oldest first. */
  listWorkspaces(): Promise<WorkspaceRecord[]>;

  /** Refuses (throws) a second key with the same hash. */
  insertApiKey(key: ApiKeyRecord): Promise<void>;
  /**
   * Makes a key with this hash exist, active, in `key.workspace_id` with
   * `key.rate_limit_per_minute`: inserted if no key has the hash, else updated in place
   * (id and created_at kept). Safe when several processes do it at once.
   */
  upsertApiKeyByHash(key: ApiKeyRecord): Promise<ApiKeyRecord>;
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  /** Oldest first, revoked ones included. */
  listApiKeys(workspaceId: string): Promise<ApiKeyRecord[]>;
  /** True when an active key was revoked by this call. */
  revokeApiKey(id: string, at: string): Promise<boolean>;

  insertAccount(account: AccountRecord): Promise<void>;
  getAccount(workspaceId: string, id: string): Promise<AccountRecord | null>;
  /** Oldest first (created_at, then insertion order where the adapter knows it). */
  listAccounts(workspaceId: string): Promise<AccountRecord[]>;
  deleteAccount(workspaceId: string, id: string): Promise<boolean>;

  insertWebhook(webhook: WebhookRecord): Promise<void>;
  getWebhook(workspaceId: string, id: string): Promise<WebhookRecord | null>;
  /** Oldest first; only those subscribed to `event` when given. */
  listWebhooks(workspaceId: string, event?: string): Promise<WebhookRecord[]>;
  /** Removes the webhook and its delivery log. */
  deleteWebhook(workspaceId: string, id: string): Promise<boolean>;
  insertWebhookDelivery(delivery: WebhookDeliveryRecord): Promise<void>;
  /** Newest first. */
  listWebhookDeliveries(workspaceId: string, webhookId: string, limit: number): Promise<WebhookDeliveryRecord[]>;

  /**
   * Atomically claims `(workspace_id, key)`: a record for it created before
   * `expiredBefore` is dropped first; then, if none is left, `record` is stored and null
   * returned, else the existing record is returned untouched.
   */
  claimIdempotencyKey(record: IdempotencyRecord, expiredBefore: string): Promise<IdempotencyRecord | null>;
  /** Stores the response of an in-progress record and marks it completed. */
  completeIdempotencyKey(workspaceId: string, key: string, response: StoredResponse): Promise<void>;
  /** Drops the record if it is still in progress (a completed one is kept). */
  releaseIdempotencyKey(workspaceId: string, key: string): Promise<void>;
  /** Drops every record created before the instant; returns how many. */
  purgeIdempotencyKeys(createdBefore: string): Promise<number>;

  close(): Promise<void>;
}
