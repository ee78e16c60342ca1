import { invalidIf, RegistryInvalid, RegistryNotFound, type RegistryProblem } from './errors';
import { hashApiKey, newId, randomBase62 } from './ids';
import type { ApiKeyRecord, RegistryStorage, WorkspaceRecord } from './storage';

/** Who a request acts as, once its API key is known. */
export interface Principal {
  key_id: string;
  workspace_id: string;
  rate_limit_per_minute: number;
}

export type KeyTier = 'free' | 'starter' | 'pro';

/** Requests per minute of each tier (the seed's Free / Starter / Pro table). */
export const TIER_RATE_LIMITS: Readonly<Record<KeyTier, number>> = { free: 60, starter: 300, pro: 1000 };

/** Workspace of the `POSTLOOM_API_KEY` bootstrap key. */
export const DEFAULT_WORKSPACE_ID = 'default';

export const API_KEY_PREFIX = 'pl_live_';
const MAX_RATE_LIMIT = 1_000_000;
const MAX_NAME_LENGTH = 100;
/** Keys longer than this are refused unhashed: no real key is near it. */
const MAX_RAW_KEY_LENGTH = 512;
/** A key revoked by another process (the CLI, another replica) stops working within this. */
export const KEY_CACHE_TTL_MS = 1_000;

export interface WorkspaceView {
  id: string;
  name: string;
  created_at: string;
}

/** An API key as listed: never the key nor its hash. */
export interface ApiKeyView {
  id: string;
  workspace_id: string;
  name: string;
  rate_limit_per_minute: number;
  created_at: string;
  revoked_at: string | null;
}

export interface CreatedApiKey {
  id: string;
  /** The raw key, shown this once. */
  key: string;
  workspace_id: string;
  name: string;
  rate_limit_per_minute: number;
  created_at: string;
}

export interface CreateKeyOptions {
  name?: string;
  tier?: KeyTier;
  rate_limit_per_minute?: number;
}

export interface WorkspacesOptions {
  /** Milliseconds since the epoch; drives the authentication cache and created_at. */
  now?: () => number;
  /** How long an authenticated key is trusted without a lookup. Default 1 s. */
  cacheTtlMs?: number;
}

interface CachedPrincipal {
  principal: Principal;
  expiresAt: number;
}

export class Workspaces {
  private readonly now: () => number;
  private readonly cacheTtlMs: number;
  /** By key hash. Only found keys are cached: unknown ones would let anyone grow the map. */
  private readonly cache = new Map<string, CachedPrincipal>();
  private lastSweep = 0;

  constructor(
    private readonly storage: RegistryStorage,
    options: WorkspacesOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.cacheTtlMs = options.cacheTtlMs ?? KEY_CACHE_TTL_MS;
  }

  /**
   * The principal of an active key, else null. Only the sha256 of the raw key is looked
   * up. Found keys are cached for 1 s, so a revocation made by another process (the CLI,
   * another replica) applies within a second; one made through this instance, at once.
   * One indexed lookup per key per second costs nothing next to a request.
   */
  async authenticate(rawKey: string): Promise<Principal | null> {
    if (typeof rawKey !== 'string' || rawKey.length === 0 || rawKey.length > MAX_RAW_KEY_LENGTH) return null;
    const hash = hashApiKey(rawKey);
    const now = this.now();
    this.sweep(now);
    const cached = this.cache.get(hash);
    if (cached && cached.expiresAt > now) return cached.principal;
    const record = await this.storage.findApiKeyByHash(hash);
    if (!record || record.revoked_at !== null) {
      this.cache.delete(hash);
      return null;
    }
    const principal = principalOf(record);
    this.cache.set(hash, { principal, expiresAt: now + this.cacheTtlMs });
    return principal;
  }

  async createWorkspace(name: string): Promise<WorkspaceView> {
    invalidIf(nameProblems('name', name));
    const workspace: WorkspaceRecord = { id: newId('ws'), name: name.trim(), created_at: this.isoNow() };
    await this.storage.insertWorkspace(workspace);
    return { ...workspace };
  }

  async getWorkspace(id: string): Promise<WorkspaceView | null> {
    return this.storage.getWorkspace(id);
  }

  async listWorkspaces(): Promise<WorkspaceView[]> {
    return this.storage.listWorkspaces();
  }

  /** Creates a key and returns it raw this once (`pl_live_<random>`); only its hash is stored. */
  async createKey(workspaceId: string, options: CreateKeyOptions = {}): Promise<CreatedApiKey> {
    const name = options.name ?? 'default';
    invalidIf([...nameProblems('name', name), ...limitProblems(options)]);
    if (!(await this.storage.getWorkspace(workspaceId))) throw new RegistryNotFound('workspace', workspaceId);
    const key = `${API_KEY_PREFIX}${randomBase62(32)}`;
    const record: ApiKeyRecord = {
      id: newId('key'),
      workspace_id: workspaceId,
      name: name.trim(),
      key_hash: hashApiKey(key),
      rate_limit_per_minute: rateLimitOf(options, 'free'),
      created_at: this.isoNow(),
      revoked_at: null,
    };
    await this.storage.insertApiKey(record);
    return {
      id: record.id,
      key,
      workspace_id: record.workspace_id,
      name: record.name,
      rate_limit_per_minute: record.rate_limit_per_minute,
      created_at: record.created_at,
    };
  }

  /**
   * Makes `rawKey` (from `POSTLOOM_API_KEY`) an active key of workspace `default`,
   * creating the workspace if missing. Idempotent across restarts and processes: the
   * key keeps its id; its rate limit follows the latest call (tier pro by default).
   */
  async ensureBootstrapKey(rawKey: string, options: { rate_limit_per_minute?: number } = {}): Promise<Principal> {
    if (typeof rawKey !== 'string' || rawKey.trim().length === 0 || rawKey.length > MAX_RAW_KEY_LENGTH) {
      throw new RegistryInvalid([{ field: 'POSTLOOM_API_KEY', message: `must be 1 to ${MAX_RAW_KEY_LENGTH} characters` }]);
    }
    invalidIf(limitProblems(options));
    const now = this.isoNow();
    await this.storage.ensureWorkspace({ id: DEFAULT_WORKSPACE_ID, name: 'default', created_at: now });
    const record = await this.storage.upsertApiKeyByHash({
      id: newId('key'),
      workspace_id: DEFAULT_WORKSPACE_ID,
      name: 'bootstrap (POSTLOOM_API_KEY)',
      key_hash: hashApiKey(rawKey),
      rate_limit_per_minute: rateLimitOf(options, 'pro'),
      created_at: now,
      revoked_at: null,
    });
    this.cache.delete(record.key_hash);
    return principalOf(record);
  }

  /** Keys of the workspace, oldest first, revoked ones included; never the key nor its hash. */
  async listKeys(workspaceId: string): Promise<ApiKeyView[]> {
    return (await this.storage.listApiKeys(workspaceId)).map(keyView);
  }

  async getKey(keyId: string): Promise<ApiKeyView | null> {
    const record = await this.storage.getApiKey(keyId);
    return record ? keyView(record) : null;
  }

  /** True when an active key was revoked; false when unknown or already revoked. */
  async revokeKey(keyId: string): Promise<boolean> {
    const revoked = await this.storage.revokeApiKey(keyId, this.isoNow());
    for (const [hash, entry] of this.cache) {
      if (entry.principal.key_id === keyId) this.cache.delete(hash);
    }
    return revoked;
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString();
  }

  /** Drops expired cache entries, at most once per TTL, so the cache holds only recently used keys. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.cacheTtlMs) return;
    this.lastSweep = now;
    for (const [hash, entry] of this.cache) {
      if (entry.expiresAt <= now) this.cache.delete(hash);
    }
  }
}

function principalOf(record: ApiKeyRecord): Principal {
  return { key_id: record.id, workspace_id: record.workspace_id, rate_limit_per_minute: record.rate_limit_per_minute };
}

function keyView(record: ApiKeyRecord): ApiKeyView {
  return {
    id: record.id,
    workspace_id: record.workspace_id,
    name: record.name,
    rate_limit_per_minute: record.rate_limit_per_minute,
    created_at: record.created_at,
    revoked_at: record.revoked_at,
  };
}

function rateLimitOf(options: CreateKeyOptions, defaultTier: KeyTier): number {
  return options.rate_limit_per_minute ?? TIER_RATE_LIMITS[options.tier ?? defaultTier];
}

function nameProblems(field: string, name: unknown): RegistryProblem[] {
  if (typeof name !== 'string' || name.trim().length === 0 || name.trim().length > MAX_NAME_LENGTH) {
    return [{ field, message: `must be 1 to ${MAX_NAME_LENGTH} characters` }];
  }
  return [];
}

function limitProblems(options: CreateKeyOptions): RegistryProblem[] {
  const problems: RegistryProblem[] = [];
  if (options.tier !== undefined && !Object.hasOwn(TIER_RATE_LIMITS, options.tier)) {
    problems.push({ field: 'tier', message: `must be one of ${Object.keys(TIER_RATE_LIMITS).join(', ')}` });
  }
  const limit = options.rate_limit_per_minute;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_RATE_LIMIT)) {
    problems.push({ field: 'rate_limit_per_minute', message: `must be an integer from 1 to ${MAX_RATE_LIMIT}` });
  }
  return problems;
}
