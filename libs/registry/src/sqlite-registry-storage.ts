import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Connection, Statement } from 'better-sqlite3';
import type {
  AccountRecord,
  ApiKeyRecord,
  IdempotencyRecord,
  IdempotencyStatus,
  RegistryStorage,
  StoredResponse,
  WebhookDeliveryRecord,
  WebhookRecord,
  WorkspaceRecord,
} from './storage';
import type { AccountHistoryRecord, AccountTokenState, OAuthStateRecord } from './token-storage';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS workspaces (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
  id                    TEXT PRIMARY KEY,
  workspace_id          TEXT NOT NULL,
  name                  TEXT NOT NULL,
  key_hash              TEXT NOT NULL UNIQUE,
  rate_limit_per_minute INTEGER NOT NULL,
  created_at            TEXT NOT NULL,
  revoked_at            TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_workspace ON api_keys (workspace_id, created_at);
CREATE TABLE IF NOT EXISTS accounts (
  id                 TEXT PRIMARY KEY,
  workspace_id       TEXT NOT NULL,
  platform           TEXT NOT NULL,
  name               TEXT NOT NULL,
  base_url           TEXT,
  sealed_credentials TEXT NOT NULL,
  created_at         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_workspace ON accounts (workspace_id, created_at);
CREATE TABLE IF NOT EXISTS webhooks (
  id            TEXT PRIMARY KEY,
  workspace_id  TEXT NOT NULL,
  url           TEXT NOT NULL,
  events        TEXT NOT NULL,
  description   TEXT,
  sealed_secret TEXT NOT NULL,
  created_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhooks_workspace ON webhooks (workspace_id, created_at);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id           TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  webhook_id   TEXT NOT NULL,
  event        TEXT NOT NULL,
  event_id     TEXT,
  status_code  INTEGER,
  attempt      INTEGER NOT NULL,
  succeeded    INTEGER NOT NULL,
  error        TEXT,
  delivered_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_webhook ON webhook_deliveries (workspace_id, webhook_id, delivered_at);
CREATE TABLE IF NOT EXISTS idempotency_keys (
  workspace_id TEXT NOT NULL,
  key          TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  status       TEXT NOT NULL,
  status_code  INTEGER,
  body         TEXT,
  headers      TEXT,
  created_at   TEXT NOT NULL,
  PRIMARY KEY (workspace_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at);
CREATE TABLE IF NOT EXISTS account_token_states (
  workspace_id      TEXT NOT NULL,
  account_id        TEXT NOT NULL,
  connected_via     TEXT NOT NULL,
  status            TEXT NOT NULL,
  status_reason     TEXT,
  expires_at        TEXT,
  grant_expires_at  TEXT,
  renew_at          TEXT,
  platform_user_id  TEXT,
  platform_username TEXT,
  updated_at        TEXT NOT NULL,
  PRIMARY KEY (workspace_id, account_id)
);
CREATE INDEX IF NOT EXISTS account_token_states_renew ON account_token_states (renew_at);
CREATE TABLE IF NOT EXISTS account_history (
  id           TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  account_id   TEXT NOT NULL,
  type         TEXT NOT NULL,
  status       TEXT,
  reason       TEXT,
  at           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS account_history_account ON account_history (workspace_id, account_id, at);
CREATE TABLE IF NOT EXISTS oauth_states (
  state_hash      TEXT PRIMARY KEY,
  workspace_id    TEXT NOT NULL,
  platform        TEXT NOT NULL,
  name            TEXT,
  base_url        TEXT,
  redirect_url    TEXT,
  options         TEXT NOT NULL,
  sealed_verifier TEXT,
  created_at      TEXT NOT NULL,
  expires_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
  key        TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
`;

interface WebhookRow {
  id: string;
  workspace_id: string;
  url: string;
  events: string;
  description: string | null;
  sealed_secret: string;
  created_at: string;
}

interface DeliveryRow {
  id: string;
  workspace_id: string;
  webhook_id: string;
  event: string;
  event_id: string | null;
  status_code: number | null;
  attempt: number;
  succeeded: number;
  error: string | null;
  delivered_at: string;
}

interface IdempotencyRow {
  workspace_id: string;
  key: string;
  fingerprint: string;
  status: IdempotencyStatus;
  status_code: number | null;
  body: string | null;
  headers: string | null;
  created_at: string;
}

/**
 * The registry in one SQLite file. better-sqlite3 is synchronous, so each method runs
 * to completion before the promise it returns settles; writes that must be atomic
 * (claiming an idempotency key, upserting the bootstrap key) run in one transaction.
 */
export class SqliteRegistryStorage implements RegistryStorage {
  private readonly db: Connection;
  private readonly statements: ReturnType<typeof prepare>;
  private readonly claim: (record: IdempotencyRecord, expiredBefore: string) => IdempotencyRecord | null;
  private readonly upsertKey: (key: ApiKeyRecord) => ApiKeyRecord;
  private readonly removeWebhook: (workspaceId: string, id: string) => boolean;
  private readonly takeState: (stateHash: string) => OAuthStateRecord | null;
  private readonly lease: (key: string, holder: string, expiresAt: string, now: string) => boolean;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    // The CLI and a running API may write the same file; wait for the other's lock instead of failing.
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const s = prepare(this.db);
    this.statements = s;

    // IMMEDIATE takes the write lock before the first read, so two processes sharing
    // the file cannot both see "absent" and both insert.
    const claim = this.db.transaction((record: IdempotencyRecord, expiredBefore: string) => {
      s.dropExpiredIdempotencyKey.run(record.workspace_id, record.key, expiredBefore);
      const existing = s.getIdempotencyKey.get(record.workspace_id, record.key) as IdempotencyRow | undefined;
      if (existing) return idempotencyFromRow(existing);
      s.insertIdempotencyKey.run(record.workspace_id, record.key, record.fingerprint, record.status, record.created_at);
      return null;
    });
    this.claim = (record, expiredBefore) => claim.immediate(record, expiredBefore);
    const upsertKey = this.db.transaction((key: ApiKeyRecord): ApiKeyRecord => {
      const existing = s.findApiKeyByHash.get(key.key_hash) as ApiKeyRecord | undefined;
      if (!existing) {
        s.insertApiKey.run(key);
        return key;
      }
      s.reactivateApiKey.run(key.workspace_id, key.rate_limit_per_minute, existing.id);
      return { ...existing, workspace_id: key.workspace_id, rate_limit_per_minute: key.rate_limit_per_minute, revoked_at: null };
    });
    this.upsertKey = (key) => upsertKey.immediate(key);
    const removeWebhook = this.db.transaction((workspaceId: string, id: string) => {
      const removed = s.deleteWebhook.run(workspaceId, id).changes > 0;
      if (removed) s.deleteWebhookDeliveries.run(workspaceId, id);
      return removed;
    });
    this.removeWebhook = (workspaceId, id) => removeWebhook.immediate(workspaceId, id);
    const takeState = this.db.transaction((stateHash: string): OAuthStateRecord | null => {
      const row = s.getOAuthState.get(stateHash) as OAuthStateRecord | undefined;
      if (!row) return null;
      s.deleteOAuthState.run(stateHash);
      return row;
    });
    this.takeState = (stateHash) => takeState.immediate(stateHash);
    // One statement decides: insert, or take over a lease that expired or is already ours.
    this.lease = (key, holder, expiresAt, now) =>
      s.acquireLease.run({ key, holder, expires_at: expiresAt, now }).changes > 0;
  }

  async insertWorkspace(workspace: WorkspaceRecord): Promise<void> {
    this.statements.insertWorkspace.run(workspace);
  }

  async ensureWorkspace(workspace: WorkspaceRecord): Promise<WorkspaceRecord> {
    this.statements.insertWorkspaceIfMissing.run(workspace);
    return this.statements.getWorkspace.get(workspace.id) as WorkspaceRecord;
  }

  async getWorkspace(id: string): Promise<WorkspaceRecord | null> {
    return (this.statements.getWorkspace.get(id) as WorkspaceRecord | undefined) ?? null;
  }

  async listWorkspaces(): Promise<WorkspaceRecord[]> {
    return this.statements.listWorkspaces.all() as WorkspaceRecord[];
  }

  async insertApiKey(key: ApiKeyRecord): Promise<void> {
    this.statements.insertApiKey.run(key);
  }

  async upsertApiKeyByHash(key: ApiKeyRecord): Promise<ApiKeyRecord> {
    return this.upsertKey(key);
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    return (this.statements.findApiKeyByHash.get(keyHash) as ApiKeyRecord | undefined) ?? null;
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    return (this.statements.getApiKey.get(id) as ApiKeyRecord | undefined) ?? null;
  }

  async listApiKeys(workspaceId: string): Promise<ApiKeyRecord[]> {
    return this.statements.listApiKeys.all(workspaceId) as ApiKeyRecord[];
  }

  async revokeApiKey(id: string, at: string): Promise<boolean> {
    return this.statements.revokeApiKey.run(at, id).changes > 0;
  }

  async insertAccount(account: AccountRecord): Promise<void> {
    this.statements.insertAccount.run(account);
  }

  async getAccount(workspaceId: string, id: string): Promise<AccountRecord | null> {
    return (this.statements.getAccount.get(workspaceId, id) as AccountRecord | undefined) ?? null;
  }

  async listAccounts(workspaceId: string): Promise<AccountRecord[]> {
    return this.statements.listAccounts.all(workspaceId) as AccountRecord[];
  }

  async deleteAccount(workspaceId: string, id: string): Promise<boolean> {
    return this.statements.deleteAccount.run(workspaceId, id).changes > 0;
  }

  async insertWebhook(webhook: WebhookRecord): Promise<void> {
    this.statements.insertWebhook.run({ ...webhook, events: JSON.stringify(webhook.events) });
  }

  async getWebhook(workspaceId: string, id: string): Promise<WebhookRecord | null> {
    const row = this.statements.getWebhook.get(workspaceId, id) as WebhookRow | undefined;
    return row ? webhookFromRow(row) : null;
  }

  async listWebhooks(workspaceId: string, event?: string): Promise<WebhookRecord[]> {
    const all = (this.statements.listWebhooks.all(workspaceId) as WebhookRow[]).map(webhookFromRow);
    return event === undefined ? all : all.filter((w) => w.events.includes(event));
  }

  async deleteWebhook(workspaceId: string, id: string): Promise<boolean> {
    return this.removeWebhook(workspaceId, id);
  }

  async insertWebhookDelivery(delivery: WebhookDeliveryRecord): Promise<void> {
    this.statements.insertDelivery.run({ ...delivery, succeeded: delivery.succeeded ? 1 : 0 });
  }

  async listWebhookDeliveries(workspaceId: string, webhookId: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    const rows = this.statements.listDeliveries.all(workspaceId, webhookId, limit) as DeliveryRow[];
    return rows.map((r) => ({ ...r, succeeded: r.succeeded === 1 }));
  }

  async claimIdempotencyKey(record: IdempotencyRecord, expiredBefore: string): Promise<IdempotencyRecord | null> {
    return this.claim(record, expiredBefore);
  }

  async completeIdempotencyKey(workspaceId: string, key: string, response: StoredResponse): Promise<void> {
    this.statements.completeIdempotencyKey.run(
      response.status,
      JSON.stringify(response.body ?? null),
      JSON.stringify(response.headers),
      workspaceId,
      key,
    );
  }

  async releaseIdempotencyKey(workspaceId: string, key: string): Promise<void> {
    this.statements.releaseIdempotencyKey.run(workspaceId, key);
  }

  async purgeIdempotencyKeys(createdBefore: string): Promise<number> {
    return this.statements.purgeIdempotencyKeys.run(createdBefore).changes;
  }

  async insertOAuthState(record: OAuthStateRecord): Promise<void> {
    this.statements.insertOAuthState.run(record);
  }

  async takeOAuthState(stateHash: string): Promise<OAuthStateRecord | null> {
    return this.takeState(stateHash);
  }

  async putAccountTokenState(state: AccountTokenState): Promise<void> {
    this.statements.putTokenState.run(state);
  }

  async getAccountTokenState(workspaceId: string, accountId: string): Promise<AccountTokenState | null> {
    return (this.statements.getTokenState.get(workspaceId, accountId) as AccountTokenState | undefined) ?? null;
  }

  async listAccountTokenStatesDue(before: string, limit: number): Promise<AccountTokenState[]> {
    return this.statements.listTokenStatesDue.all(before, limit) as AccountTokenState[];
  }

  async replaceAccountCredentials(workspaceId: string, accountId: string, sealedCredentials: string): Promise<boolean> {
    return this.statements.replaceCredentials.run(sealedCredentials, workspaceId, accountId).changes > 0;
  }

  async appendAccountHistory(entry: AccountHistoryRecord): Promise<void> {
    this.statements.appendHistory.run(entry);
  }

  async listAccountHistory(workspaceId: string, accountId: string, limit: number): Promise<AccountHistoryRecord[]> {
    return this.statements.listHistory.all(workspaceId, accountId, limit) as AccountHistoryRecord[];
  }

  async acquireLease(key: string, holder: string, expiresAt: string, now: string): Promise<boolean> {
    return this.lease(key, holder, expiresAt, now);
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    this.statements.releaseLease.run(key, holder);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

export function openSqliteRegistry(path: string): SqliteRegistryStorage {
  return new SqliteRegistryStorage(path);
}

function prepare(db: Connection) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    insertWorkspace: p('INSERT INTO workspaces (id, name, created_at) VALUES (@id, @name, @created_at)'),
    insertWorkspaceIfMissing: p('INSERT OR IGNORE INTO workspaces (id, name, created_at) VALUES (@id, @name, @created_at)'),
    getWorkspace: p('SELECT id, name, created_at FROM workspaces WHERE id = ?'),
    listWorkspaces: p('SELECT id, name, created_at FROM workspaces ORDER BY created_at, rowid'),

    insertApiKey: p(
      `INSERT INTO api_keys (id, workspace_id, name, key_hash, rate_limit_per_minute, created_at, revoked_at)
       VALUES (@id, @workspace_id, @name, @key_hash, @rate_limit_per_minute, @created_at, @revoked_at)`,
    ),
    findApiKeyByHash: p('SELECT * FROM api_keys WHERE key_hash = ?'),
    getApiKey: p('SELECT * FROM api_keys WHERE id = ?'),
    listApiKeys: p('SELECT * FROM api_keys WHERE workspace_id = ? ORDER BY created_at, rowid'),
    revokeApiKey: p('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    reactivateApiKey: p('UPDATE api_keys SET workspace_id = ?, rate_limit_per_minute = ?, revoked_at = NULL WHERE id = ?'),

    insertAccount: p(
      `INSERT INTO accounts (id, workspace_id, platform, name, base_url, sealed_credentials, created_at)
       VALUES (@id, @workspace_id, @platform, @name, @base_url, @sealed_credentials, @created_at)`,
    ),
    getAccount: p('SELECT * FROM accounts WHERE workspace_id = ? AND id = ?'),
    listAccounts: p('SELECT * FROM accounts WHERE workspace_id = ? ORDER BY created_at, rowid'),
    deleteAccount: p('DELETE FROM accounts WHERE workspace_id = ? AND id = ?'),

    insertWebhook: p(
      `INSERT INTO webhooks (id, workspace_id, url, events, description, sealed_secret, created_at)
       VALUES (@id, @workspace_id, @url, @events, @description, @sealed_secret, @created_at)`,
    ),
    getWebhook: p('SELECT * FROM webhooks WHERE workspace_id = ? AND id = ?'),
    listWebhooks: p('SELECT * FROM webhooks WHERE workspace_id = ? ORDER BY created_at, rowid'),
    deleteWebhook: p('DELETE FROM webhooks WHERE workspace_id = ? AND id = ?'),
    deleteWebhookDeliveries: p('DELETE FROM webhook_deliveries WHERE workspace_id = ? AND webhook_id = ?'),
    insertDelivery: p(
      `INSERT INTO webhook_deliveries (id, workspace_id, webhook_id, event, event_id, status_code, attempt, succeeded, error, delivered_at)
       VALUES (@id, @workspace_id, @webhook_id, @event, @event_id, @status_code, @attempt, @succeeded, @error, @delivered_at)`,
    ),
    listDeliveries: p(
      `SELECT * FROM webhook_deliveries WHERE workspace_id = ? AND webhook_id = ?
       ORDER BY delivered_at DESC, rowid DESC LIMIT ?`,
    ),

    getIdempotencyKey: p('SELECT * FROM idempotency_keys WHERE workspace_id = ? AND key = ?'),
    dropExpiredIdempotencyKey: p('DELETE FROM idempotency_keys WHERE workspace_id = ? AND key = ? AND created_at < ?'),
    insertIdempotencyKey: p(
      'INSERT INTO idempotency_keys (workspace_id, key, fingerprint, status, created_at) VALUES (?, ?, ?, ?, ?)',
    ),
    completeIdempotencyKey: p(
      `UPDATE idempotency_keys SET status = 'completed', status_code = ?, body = ?, headers = ?
       WHERE workspace_id = ? AND key = ?`,
    ),
    releaseIdempotencyKey: p(`DELETE FROM idempotency_keys WHERE workspace_id = ? AND key = ? AND status = 'in_progress'`),
    purgeIdempotencyKeys: p('DELETE FROM idempotency_keys WHERE created_at < ?'),

    putTokenState: p(
      `INSERT OR REPLACE INTO account_token_states
         (workspace_id, account_id, connected_via, status, status_reason, expires_at, grant_expires_at, renew_at, platform_user_id, platform_username, updated_at)
       VALUES (@workspace_id, @account_id, @connected_via, @status, @status_reason, @expires_at, @grant_expires_at, @renew_at, @platform_user_id, @platform_username, @updated_at)`,
    ),
    getTokenState: p('SELECT * FROM account_token_states WHERE workspace_id = ? AND account_id = ?'),
    listTokenStatesDue: p(
      `SELECT * FROM account_token_states WHERE renew_at IS NOT NULL AND renew_at <= ? AND status <> 'reconnect_required'
       ORDER BY renew_at LIMIT ?`,
    ),
    replaceCredentials: p('UPDATE accounts SET sealed_credentials = ? WHERE workspace_id = ? AND id = ?'),
    appendHistory: p(
      `INSERT INTO account_history (id, workspace_id, account_id, type, status, reason, at)
       VALUES (@id, @workspace_id, @account_id, @type, @status, @reason, @at)`,
    ),
    listHistory: p('SELECT * FROM account_history WHERE workspace_id = ? AND account_id = ? ORDER BY at, rowid LIMIT ?'),
    acquireLease: p(
      `INSERT INTO leases (key, holder, expires_at) VALUES (@key, @holder, @expires_at)
       ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.expires_at <= @now OR leases.holder = excluded.holder`,
    ),
    releaseLease: p('DELETE FROM leases WHERE key = ? AND holder = ?'),
    insertOAuthState: p(
      `INSERT INTO oauth_states (state_hash, workspace_id, platform, name, base_url, redirect_url, options, sealed_verifier, created_at, expires_at)
       VALUES (@state_hash, @workspace_id, @platform, @name, @base_url, @redirect_url, @options, @sealed_verifier, @created_at, @expires_at)`,
    ),
    getOAuthState: p('SELECT * FROM oauth_states WHERE state_hash = ?'),
    deleteOAuthState: p('DELETE FROM oauth_states WHERE state_hash = ?'),
  };
}

function webhookFromRow(row: WebhookRow): WebhookRecord {
  return { ...row, events: JSON.parse(row.events) as string[] };
}

function idempotencyFromRow(row: IdempotencyRow): IdempotencyRecord {
  const completed = row.status === 'completed' && row.status_code !== null;
  return {
    workspace_id: row.workspace_id,
    key: row.key,
    fingerprint: row.fingerprint,
    status: row.status,
    response: completed
      ? {
          status: row.status_code as number,
          body: JSON.parse(row.body ?? 'null') as unknown,
          headers: JSON.parse(row.headers ?? '{}') as Record<string, string>,
        }
      : null,
    created_at: row.created_at,
  };
}
