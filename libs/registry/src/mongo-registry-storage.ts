import { type Collection, type Db, MongoClient, MongoServerError } from 'mongodb';
import type { Platform } from '../../domain';
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

/** Idempotency records live a day; the server's TTL monitor removes them (the claim also checks expiry itself, the monitor runs only once a minute). */
const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

type WithStringId<T extends { id: string }> = Omit<T, 'id'> & { _id: string };

type WorkspaceDoc = WithStringId<WorkspaceRecord>;
type ApiKeyDoc = WithStringId<ApiKeyRecord>;
type AccountDoc = WithStringId<AccountRecord>;
type WebhookDoc = WithStringId<WebhookRecord>;
type DeliveryDoc = WithStringId<WebhookDeliveryRecord>;
type HistoryDoc = WithStringId<AccountHistoryRecord>;
type TokenStateDoc = AccountTokenState & { _id: string };

type OAuthStateDoc = Omit<OAuthStateRecord, 'state_hash'> & { _id: string };

interface LeaseDoc {
  _id: string;
  holder: string;
  expires_at: string;
}

interface IdempotencyDoc {
  workspace_id: string;
  key: string;
  fingerprint: string;
  status: IdempotencyStatus;
  /** Body and headers as JSON text: a response body may hold field names MongoDB treats specially. */
  response: { status: number; body: string; headers: string } | null;
  /** A Date, as the TTL index needs. */
  created_at: Date;
}

const DUPLICATE_KEY = 11000;

function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}

function fromDoc<T extends { id: string }>(doc: WithStringId<T>): T {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest } as unknown as T;
}

function toDoc<T extends { id: string }>(record: T): WithStringId<T> {
  const { id, ...rest } = record;
  return { _id: id, ...rest } as WithStringId<T>;
}

/** The registry in MongoDB, one collection per record kind. */
/** `w: "majority", j: true`: see the collections it is set on. */
export const DURABLE_WRITES = { w: 'majority', journal: true } as const;

export class MongoRegistryStorage implements RegistryStorage {
  private readonly workspaces: Collection<WorkspaceDoc>;
  private readonly apiKeys: Collection<ApiKeyDoc>;
  private readonly accounts: Collection<AccountDoc>;
  private readonly webhooks: Collection<WebhookDoc>;
  private readonly deliveries: Collection<DeliveryDoc>;
  private readonly idempotency: Collection<IdempotencyDoc>;
  private readonly tokenStates: Collection<TokenStateDoc>;
  private readonly history: Collection<HistoryDoc>;
  private readonly leases: Collection<LeaseDoc>;
  private readonly oauthStates: Collection<OAuthStateDoc>;

  /** `client` is closed by `close()` when given (the storage owns it). */
  constructor(
    db: Db,
    private readonly client?: MongoClient,
  ) {
    // Workspaces, keys, accounts (sealed tokens), webhooks and Idempotency-Key records are
    // acknowledged only once a majority has them in its journal: a failover must not lose a
    // rotated refresh token or let a retried POST run twice. Delivery logs are history, not state.
    const durable = { writeConcern: DURABLE_WRITES };
    this.workspaces = db.collection<WorkspaceDoc>('registry_workspaces', durable);
    this.apiKeys = db.collection<ApiKeyDoc>('registry_api_keys', durable);
    this.accounts = db.collection<AccountDoc>('registry_accounts', durable);
    this.webhooks = db.collection<WebhookDoc>('registry_webhooks', durable);
    this.deliveries = db.collection<DeliveryDoc>('registry_webhook_deliveries');
    this.idempotency = db.collection<IdempotencyDoc>('registry_idempotency_keys', durable);
    this.tokenStates = db.collection<TokenStateDoc>('registry_account_token_states', durable);
    this.history = db.collection<HistoryDoc>('registry_account_history', durable);
    this.leases = db.collection<LeaseDoc>('registry_leases', durable);
    this.oauthStates = db.collection<OAuthStateDoc>('registry_oauth_states', durable);
  }

  /** Creates the indexes (idempotent; run once at start). */
  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.workspaces.createIndex({ created_at: 1 }),
      this.apiKeys.createIndex({ key_hash: 1 }, { unique: true }),
      this.apiKeys.createIndex({ workspace_id: 1, created_at: 1 }),
      this.accounts.createIndex({ workspace_id: 1, created_at: 1 }),
      this.webhooks.createIndex({ workspace_id: 1, events: 1 }),
      this.deliveries.createIndex({ workspace_id: 1, webhook_id: 1, delivered_at: -1 }),
      this.idempotency.createIndex({ workspace_id: 1, key: 1 }, { unique: true }),
      this.idempotency.createIndex({ created_at: 1 }, { expireAfterSeconds: IDEMPOTENCY_TTL_SECONDS }),
      this.tokenStates.createIndex({ renew_at: 1 }),
      this.history.createIndex({ workspace_id: 1, account_id: 1, at: 1 }),
    ]);
  }

  async insertWorkspace(workspace: WorkspaceRecord): Promise<void> {
    await this.workspaces.insertOne(toDoc(workspace));
  }

  async ensureWorkspace(workspace: WorkspaceRecord): Promise<WorkspaceRecord> {
    try {
      await this.workspaces.updateOne(
        { _id: workspace.id },
        { $setOnInsert: { name: workspace.name, created_at: workspace.created_at } },
        { upsert: true },
      );
    } catch (error) {
      // A concurrent upsert of the same id won the insert: the workspace exists, which is all we want.
      if (!isDuplicateKey(error)) throw error;
    }
    const stored = await this.workspaces.findOne({ _id: workspace.id });
    if (!stored) throw new Error(`workspace ${workspace.id} vanished right after being ensured`);
    return fromDoc<WorkspaceRecord>(stored);
  }

  async getWorkspace(id: string): Promise<WorkspaceRecord | null> {
    const doc = await this.workspaces.findOne({ _id: id });
    return doc ? fromDoc<WorkspaceRecord>(doc) : null;
  }

  async listWorkspaces(): Promise<WorkspaceRecord[]> {
    const docs = await this.workspaces.find().sort({ created_at: 1, _id: 1 }).toArray();
    return docs.map((d) => fromDoc<WorkspaceRecord>(d));
  }

  async insertApiKey(key: ApiKeyRecord): Promise<void> {
    await this.apiKeys.insertOne(toDoc(key));
  }

  async upsertApiKeyByHash(key: ApiKeyRecord): Promise<ApiKeyRecord> {
    const upsert = () =>
      this.apiKeys.findOneAndUpdate(
        { key_hash: key.key_hash },
        {
          $set: { workspace_id: key.workspace_id, rate_limit_per_minute: key.rate_limit_per_minute, revoked_at: null },
          $setOnInsert: { _id: key.id, name: key.name, created_at: key.created_at },
        },
        { upsert: true, returnDocument: 'after' },
      );
    let doc: ApiKeyDoc | null;
    try {
      doc = await upsert();
    } catch (error) {
      // Two concurrent upserts of one hash: the loser's insert hits the unique index; now it is an update.
      if (!isDuplicateKey(error)) throw error;
      doc = await upsert();
    }
    if (!doc) throw new Error('api key upsert returned no document');
    return fromDoc<ApiKeyRecord>(doc);
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const doc = await this.apiKeys.findOne({ key_hash: keyHash });
    return doc ? fromDoc<ApiKeyRecord>(doc) : null;
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const doc = await this.apiKeys.findOne({ _id: id });
    return doc ? fromDoc<ApiKeyRecord>(doc) : null;
  }

  async listApiKeys(workspaceId: string): Promise<ApiKeyRecord[]> {
    const docs = await this.apiKeys.find({ workspace_id: workspaceId }).sort({ created_at: 1, _id: 1 }).toArray();
    return docs.map((d) => fromDoc<ApiKeyRecord>(d));
  }

  async revokeApiKey(id: string, at: string): Promise<boolean> {
    const result = await this.apiKeys.updateOne({ _id: id, revoked_at: null }, { $set: { revoked_at: at } });
    return result.modifiedCount > 0;
  }

  async insertAccount(account: AccountRecord): Promise<void> {
    await this.accounts.insertOne(toDoc(account));
  }

  async getAccount(workspaceId: string, id: string): Promise<AccountRecord | null> {
    const doc = await this.accounts.findOne({ _id: id, workspace_id: workspaceId });
    return doc ? fromDoc<AccountRecord>(doc) : null;
  }

  async listAccounts(workspaceId: string): Promise<AccountRecord[]> {
    const docs = await this.accounts.find({ workspace_id: workspaceId }).sort({ created_at: 1, _id: 1 }).toArray();
    return docs.map((d) => ({ ...fromDoc<AccountRecord>(d), platform: d.platform as Platform }));
  }

  async deleteAccount(workspaceId: string, id: string): Promise<boolean> {
    return (await this.accounts.deleteOne({ _id: id, workspace_id: workspaceId })).deletedCount > 0;
  }

  async insertWebhook(webhook: WebhookRecord): Promise<void> {
    await this.webhooks.insertOne(toDoc(webhook));
  }

  async getWebhook(workspaceId: string, id: string): Promise<WebhookRecord | null> {
    const doc = await this.webhooks.findOne({ _id: id, workspace_id: workspaceId });
    return doc ? fromDoc<WebhookRecord>(doc) : null;
  }

  async listWebhooks(workspaceId: string, event?: string): Promise<WebhookRecord[]> {
    const filter = event === undefined ? { workspace_id: workspaceId } : { workspace_id: workspaceId, events: event };
    const docs = await this.webhooks.find(filter).sort({ created_at: 1, _id: 1 }).toArray();
    return docs.map((d) => fromDoc<WebhookRecord>(d));
  }

  async deleteWebhook(workspaceId: string, id: string): Promise<boolean> {
    const removed = (await this.webhooks.deleteOne({ _id: id, workspace_id: workspaceId })).deletedCount > 0;
    if (removed) await this.deliveries.deleteMany({ workspace_id: workspaceId, webhook_id: id });
    return removed;
  }

  async insertWebhookDelivery(delivery: WebhookDeliveryRecord): Promise<void> {
    await this.deliveries.insertOne(toDoc(delivery));
  }

  async listWebhookDeliveries(workspaceId: string, webhookId: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    const docs = await this.deliveries
      .find({ workspace_id: workspaceId, webhook_id: webhookId })
      .sort({ delivered_at: -1, _id: -1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => fromDoc<WebhookDeliveryRecord>(d));
  }

  async claimIdempotencyKey(record: IdempotencyRecord, expiredBefore: string): Promise<IdempotencyRecord | null> {
    const filter = { workspace_id: record.workspace_id, key: record.key };
    await this.idempotency.deleteOne({ ...filter, created_at: { $lt: new Date(expiredBefore) } });
    const claim = () =>
      this.idempotency.findOneAndUpdate(
        filter,
        {
          $setOnInsert: {
            fingerprint: record.fingerprint,
            status: record.status,
            response: null,
            created_at: new Date(record.created_at),
          },
        },
        // 'before' is null exactly when this call inserted the record.
        { upsert: true, returnDocument: 'before' },
      );
    let before: IdempotencyDoc | null;
    try {
      before = await claim();
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      before = await claim();
    }
    return before ? idempotencyFromDoc(before) : null;
  }

  async completeIdempotencyKey(workspaceId: string, key: string, response: StoredResponse): Promise<void> {
    await this.idempotency.updateOne(
      { workspace_id: workspaceId, key },
      {
        $set: {
          status: 'completed',
          response: { status: response.status, body: JSON.stringify(response.body ?? null), headers: JSON.stringify(response.headers) },
        },
      },
    );
  }

  async releaseIdempotencyKey(workspaceId: string, key: string): Promise<void> {
    await this.idempotency.deleteOne({ workspace_id: workspaceId, key, status: 'in_progress' });
  }

  async purgeIdempotencyKeys(createdBefore: string): Promise<number> {
    return (await this.idempotency.deleteMany({ created_at: { $lt: new Date(createdBefore) } })).deletedCount;
  }

  async insertOAuthState(record: OAuthStateRecord): Promise<void> {
    const { state_hash, ...rest } = record;
    await this.oauthStates.insertOne({ _id: state_hash, ...rest });
  }

  async takeOAuthState(stateHash: string): Promise<OAuthStateRecord | null> {
    // findOneAndDelete: of two callbacks racing with one state, only one gets it.
    const doc = await this.oauthStates.findOneAndDelete({ _id: stateHash });
    if (!doc) return null;
    const { _id, ...rest } = doc;
    return { state_hash: _id, ...rest };
  }

  async putAccountTokenState(state: AccountTokenState): Promise<void> {
    const _id = `${state.workspace_id}:${state.account_id}`;
    await this.tokenStates.replaceOne({ _id }, state, { upsert: true });
  }

  async getAccountTokenState(workspaceId: string, accountId: string): Promise<AccountTokenState | null> {
    const doc = await this.tokenStates.findOne({ _id: `${workspaceId}:${accountId}` });
    return doc ? tokenStateFromDoc(doc) : null;
  }

  async listAccountTokenStatesDue(before: string, limit: number): Promise<AccountTokenState[]> {
    const docs = await this.tokenStates
      .find({ renew_at: { $ne: null, $lte: before }, status: { $ne: 'reconnect_required' } })
      .sort({ renew_at: 1 })
      .limit(limit)
      .toArray();
    return docs.map(tokenStateFromDoc);
  }

  async replaceAccountCredentials(workspaceId: string, accountId: string, sealedCredentials: string): Promise<boolean> {
    const result = await this.accounts.updateOne({ _id: accountId, workspace_id: workspaceId }, { $set: { sealed_credentials: sealedCredentials } });
    return result.matchedCount > 0;
  }

  async appendAccountHistory(entry: AccountHistoryRecord): Promise<void> {
    await this.history.insertOne(toDoc(entry));
  }

  async listAccountHistory(workspaceId: string, accountId: string, limit: number): Promise<AccountHistoryRecord[]> {
    const docs = await this.history.find({ workspace_id: workspaceId, account_id: accountId }).sort({ at: 1, _id: 1 }).limit(limit).toArray();
    return docs.map((d) => fromDoc<AccountHistoryRecord>(d));
  }

  async acquireLease(key: string, holder: string, expiresAt: string, now: string): Promise<boolean> {
    try {
      // Matches only a lease we may take; when none matches, the upsert's insert collides
      // with the live lease's _id and the duplicate key says someone else holds it.
      await this.leases.updateOne(
        { _id: key, $or: [{ expires_at: { $lte: now } }, { holder }] },
        { $set: { holder, expires_at: expiresAt } },
        { upsert: true },
      );
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    await this.leases.deleteOne({ _id: key, holder });
  }

  /** Drops every registry collection (for tests against a shared server). */
  async dropAll(): Promise<void> {
    for (const c of [this.workspaces, this.apiKeys, this.accounts, this.webhooks, this.deliveries, this.idempotency, this.tokenStates, this.history, this.leases, this.oauthStates] as Collection<any>[]) {
      await c.deleteMany({});
    }
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}

function tokenStateFromDoc(doc: TokenStateDoc): AccountTokenState {
  const { _id, ...state } = doc;
  void _id;
  return state;
}

function idempotencyFromDoc(doc: IdempotencyDoc): IdempotencyRecord {
  return {
    workspace_id: doc.workspace_id,
    key: doc.key,
    fingerprint: doc.fingerprint,
    status: doc.status,
    response: doc.response
      ? {
          status: doc.response.status,
          body: JSON.parse(doc.response.body) as unknown,
          headers: JSON.parse(doc.response.headers) as Record<string, string>,
        }
      : null,
    created_at: doc.created_at.toISOString(),
  };
}

const URL_WITH_DATABASE = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?/]+)/;

/**
 * Connects, creates the indexes, and returns a storage that owns the client. The
 * database is `dbName`, else the one named in the URL, else `postloom`.
 */
export async function connectMongoRegistry(url: string, dbName?: string): Promise<MongoRegistryStorage> {
  const client = new MongoClient(url);
  await client.connect();
  try {
    const inUrl = URL_WITH_DATABASE.exec(url)?.[1];
    const name = dbName ?? (inUrl ? decodeURIComponent(inUrl) : 'postloom');
    const storage = new MongoRegistryStorage(client.db(name), client);
    await storage.ensureIndexes();
    return storage;
  } catch (error) {
    await client.close();
    throw error;
  }
}
