import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AccountHistoryType,
  type AccountStatus,
  type AccountTokenState,
  type Accounts,
  type CredentialCipher,
  newId,
  type RegistryStorage,
  sealAccountCredentials,
} from '../../registry';
import { PlatformError, type PlatformAccount } from '../../platforms';
import { type Environment, OAUTH_PLATFORMS, oauthClientOf, type OAuthPlatform } from './oauth-platforms';
import { platformLabel, renewToken, TokenFailure, type TokenGrant } from './token-requests';

/** Refresh an access token used within this long of its expiry (CONTRACT.md v1.1). */
export const REFRESH_AHEAD_MS = 5 * 60_000;
/** A token nothing can refresh turns `expiring` this long before its end. */
export const EXPIRING_NOTICE_MS = 7 * 24 * 60 * 60_000;
/** Meta long-lived tokens are renewed this long before they end... */
const RENEW_BEFORE_END_MS = 10 * 24 * 60 * 60_000;
/** ...but not before they are a day old, which Meta refuses (OAUTH.md S19). */
const META_MIN_AGE_MS = 24 * 60 * 60_000;
/** After a passing renewal failure, the background tries again this much later (doubling). */
const RENEW_RETRY_MS = 15 * 60_000;

/** An account's status changed: sent as webhooks `account.reconnect_required` / `account.expiring`. */
export interface AccountStatusChange {
  workspace_id: string;
  account_id: string;
  platform: string;
  name: string;
  status: AccountStatus;
  status_reason: string | null;
  expires_at: string | null;
  at: string;
}

/** Stream of an account's status facts (`account-<id>`), which webhook delivery follows. */
export const ACCOUNT_STREAM_PREFIX = 'account-';

/** The status change as an event: `AccountStatusChanged` v1 (no token, only the platform's reason). */
export function accountStatusChangedEvent(change: AccountStatusChange, id: string): { id: string; type: string; version: number; data: Record<string, unknown>; metadata: { occurred_at: string; workspace_id: string; actor: string } } {
  return {
    id,
    type: 'AccountStatusChanged',
    version: 1,
    data: {
      account_id: change.account_id,
      platform: change.platform,
      name: change.name,
      status: change.status,
      status_reason: change.status_reason,
      expires_at: change.expires_at,
    },
    metadata: { occurred_at: change.at, workspace_id: change.workspace_id, actor: 'system' },
  };
}

export interface CredentialsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface CredentialsOptions {
  storage: RegistryStorage;
  accounts: Accounts;
  cipher: CredentialCipher;
  /** Where `<P>_CLIENT_ID` etc. are read; default `process.env`. */
  env?: Environment;
  now?: () => number;
  /** How long one process may hold an account's refresh before others may take over. Default 30 s. */
  leaseMs?: number;
  /** How often a process waiting on another's refresh looks again. Default 100 ms. */
  pollMs?: number;
  onStatusChange?: (change: AccountStatusChange) => Promise<void> | void;
  logger?: CredentialsLogger;
}

const silent: CredentialsLogger = { info: () => undefined, warn: () => undefined };

/**
 * The credentials port: every publish asks it for a usable credential. It refreshes
 * ahead of expiry, stores a rotated refresh token before the new access token is handed
 * out, lets one process at a time refresh an account (a lease in the registry), and tells
 * passing failures (retry, account untouched) from definite ones (`reconnect_required`).
 */
export class Credentials {
  private readonly storage: RegistryStorage;
  private readonly env: Environment;
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly holder = `holder_${randomUUID()}`;
  private calls = 0;
  private readonly logger: CredentialsLogger;

  constructor(private readonly options: CredentialsOptions) {
    this.storage = options.storage;
    this.env = options.env ?? process.env;
    this.now = options.now ?? Date.now;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 100;
    this.logger = options.logger ?? silent;
  }

  /** Records how an account was just connected (or reconnected): its token's life, who it is. */
  async recordConnected(
    workspaceId: string,
    account: PlatformAccount,
    input: { via: 'oauth' | 'credentials'; expiresInS?: number; grantExpiresInS?: number; platformUser?: { id: string; username: string } | null; reconnected: boolean },
  ): Promise<AccountTokenState> {
    const at = this.now();
    const expiresAt = input.expiresInS !== undefined ? at + input.expiresInS * 1000 : null;
    const grantExpiresAt = input.grantExpiresInS !== undefined ? at + input.grantExpiresInS * 1000 : null;
    const state: AccountTokenState = {
      workspace_id: workspaceId,
      account_id: account.id,
      connected_via: input.via,
      status: 'active',
      status_reason: null,
      expires_at: iso(expiresAt),
      grant_expires_at: iso(grantExpiresAt),
      renew_at: null,
      platform_user_id: input.platformUser?.id ?? null,
      platform_username: input.platformUser?.username ?? null,
      updated_at: iso(at) as string,
    };
    state.renew_at = this.renewAtFor(account, state, at);
    await this.storage.putAccountTokenState(state);
    await this.history(workspaceId, account.id, input.reconnected ? 'reconnected' : 'connected', 'active', null);
    return state;
  }

  /** The account's history, oldest first. */
  historyOf(workspaceId: string, accountId: string, limit: number) {
    return this.storage.listAccountHistory(workspaceId, accountId, limit);
  }

  /** The account's token state; null for accounts that never had one (pasted before issue 10). */
  state(workspaceId: string, accountId: string): Promise<AccountTokenState | null> {
    return this.storage.getAccountTokenState(workspaceId, accountId);
  }

  /**
   * The account with a credential usable now: refreshed first when it expires within 5
   * minutes. Null when the account is gone. Throws a `PlatformError`: `auth` naming the
   * account to reconnect, `transient` when a refresh failed for a passing reason.
   */
  async usable(workspaceId: string, accountId: string): Promise<PlatformAccount | null> {
    const account = await this.options.accounts.credentialsOf(workspaceId, accountId);
    if (!account) return null;
    const state = await this.storage.getAccountTokenState(workspaceId, accountId);
    if (!state) return account;
    if (state.status === 'reconnect_required') throw reconnectError(account, state.status_reason);
    if (!this.dueForRefresh(account, state)) return account;
    return this.refresh(workspaceId, accountId, (fresh, freshState) => this.dueForRefresh(fresh, freshState));
  }

  /**
   * After the platform refused `refused` (a 401): a fresh credential, refreshed now unless
   * another process already replaced the token; null when nothing can refresh it.
   */
  async refreshRefused(workspaceId: string, accountId: string, refused: PlatformAccount): Promise<PlatformAccount | null> {
    const platform = OAUTH_PLATFORMS[refused.platform];
    const state = await this.storage.getAccountTokenState(workspaceId, accountId);
    if (!platform || !state || !this.canRenew(platform, refused)) return null;
    const stale = refused.credentials[platform.tokenField];
    return this.refresh(workspaceId, accountId, (fresh) => fresh.credentials[platform.tokenField] === stale);
  }

  /** `POST /v1/accounts/:id/refresh`: renews now where the platform can. Null when the account is gone. */
  async refreshNow(workspaceId: string, accountId: string): Promise<AccountTokenState | null> {
    const account = await this.options.accounts.credentialsOf(workspaceId, accountId);
    if (!account) return null;
    const platform = OAUTH_PLATFORMS[account.platform];
    const state = await this.storage.getAccountTokenState(workspaceId, accountId);
    if (platform && state && this.canRenew(platform, account)) {
      const seen = state.updated_at;
      await this.refresh(workspaceId, accountId, (_fresh, freshState) => freshState.updated_at === seen);
    }
    return this.storage.getAccountTokenState(workspaceId, accountId);
  }

  /**
   * The background's turn: renews the long-lived tokens whose renewal is due and marks
   * `expiring` the tokens nothing can renew. Due times are stored, so a restart loses none.
   * Returns how many accounts it looked at.
   */
  async renewDue(limit = 20): Promise<number> {
    const due = await this.storage.listAccountTokenStatesDue(iso(this.now()) as string, limit);
    for (const state of due) {
      const account = await this.options.accounts.credentialsOf(state.workspace_id, state.account_id);
      if (!account) {
        await this.storage.putAccountTokenState({ ...state, renew_at: null });
        continue;
      }
      const platform = OAUTH_PLATFORMS[account.platform];
      const longLived = platform?.renewal.kind === 'meta_refresh' || platform?.renewal.kind === 'facebook_exchange';
      if (platform && longLived && this.canRenew(platform, account)) {
        try {
          await this.refresh(state.workspace_id, state.account_id, (_fresh, fresh) => fresh.renew_at !== null && Date.parse(fresh.renew_at) <= this.now());
        } catch (err) {
          const latest = await this.storage.getAccountTokenState(state.workspace_id, state.account_id);
          if (latest && latest.status !== 'reconnect_required' && err instanceof PlatformError && err.retryable) {
            // Passing: try again later, the account itself stays as it is.
            const retryAt = this.now() + RENEW_RETRY_MS;
            await this.storage.putAccountTokenState({ ...latest, renew_at: iso(retryAt) });
          }
        }
      } else {
        await this.markExpiring(account, state);
      }
    }
    return due.length;
  }

  /** Runs `renewDue` every `intervalMs` until the returned stop is called. */
  startRenewals(intervalMs = 60_000): () => Promise<void> {
    let stopped = false;
    let running: Promise<unknown> = Promise.resolve();
    const tick = () => {
      if (stopped) return;
      running = this.renewDue().catch((err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'account renewal round failed'));
    };
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    tick();
    return async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    };
  }

  private canRenew(platform: OAuthPlatform, account: PlatformAccount): boolean {
    switch (platform.renewal.kind) {
      case 'refresh_token':
        return typeof account.credentials.refresh_token === 'string' && account.credentials.refresh_token !== '';
      case 'meta_refresh':
        return typeof account.credentials[platform.tokenField] === 'string';
      case 'facebook_exchange':
        return typeof account.credentials.user_access_token === 'string';
      case 'none':
        return false;
    }
  }

  private dueForRefresh(account: PlatformAccount, state: AccountTokenState): boolean {
    const platform = OAUTH_PLATFORMS[account.platform];
    if (!platform || state.expires_at === null || platform.renewal.kind !== 'refresh_token') return false;
    if (!this.canRenew(platform, account)) return false;
    return Date.parse(state.expires_at) - this.now() <= REFRESH_AHEAD_MS;
  }

  /** When the background should look at this account next; null when it need not. */
  private renewAtFor(account: PlatformAccount, state: AccountTokenState, at: number): string | null {
    const platform = OAUTH_PLATFORMS[account.platform];
    if (!platform) return null;
    const kind = platform.renewal.kind;
    if (kind === 'meta_refresh' || kind === 'facebook_exchange') {
      const end = kind === 'facebook_exchange' ? state.grant_expires_at : state.expires_at;
      if (end === null) return null;
      return iso(Math.max(at + META_MIN_AGE_MS, Date.parse(end) - RENEW_BEFORE_END_MS));
    }
    // Refreshed on use; what can run out is the grant itself, or, where nothing refreshes
    // the token (LinkedIn outside its partner programme), the token: say so 7 days before.
    const end = this.canRenew(platform, account) ? state.grant_expires_at : (state.expires_at ?? state.grant_expires_at);
    return end === null ? null : iso(Math.max(at, Date.parse(end) - EXPIRING_NOTICE_MS));
  }

  private async markExpiring(account: PlatformAccount, state: AccountTokenState): Promise<void> {
    if (state.status !== 'active') {
      await this.storage.putAccountTokenState({ ...state, renew_at: null });
      return;
    }
    const end = state.expires_at ?? state.grant_expires_at;
    const reason = `the ${platformName(account)} token cannot be renewed and ends ${end ?? 'soon'}: reconnect the account before then`;
    await this.changeStatus(account, { ...state, renew_at: null }, 'expiring', reason);
  }

  /**
   * Refreshes under the account's lease. `stillNeeded` is asked again once the lease is
   * held (another process may have refreshed meanwhile); when it says no, the stored
   * credential is handed out as it is.
   */
  private async refresh(
    workspaceId: string,
    accountId: string,
    stillNeeded: (account: PlatformAccount, state: AccountTokenState) => boolean,
  ): Promise<PlatformAccount | null> {
    const key = `refresh:${workspaceId}:${accountId}`;
    // One holder per call: callers in this process wait for each other like any other process.
    const holder = `${this.holder}:${++this.calls}`;
    const deadline = this.now() + this.leaseMs * 2;
    for (;;) {
      const at = this.now();
      if (await this.storage.acquireLease(key, holder, iso(at + this.leaseMs) as string, iso(at) as string)) {
        try {
          const account = await this.options.accounts.credentialsOf(workspaceId, accountId);
          const state = await this.storage.getAccountTokenState(workspaceId, accountId);
          if (!account) return null;
          if (!state) return account;
          if (state.status === 'reconnect_required') throw reconnectError(account, state.status_reason);
          if (!stillNeeded(account, state)) return account;
          return await this.renew(account, state);
        } finally {
          await this.storage.releaseLease(key, holder).catch(() => undefined);
        }
      }
      if (this.now() > deadline) {
        throw new PlatformError('transient', `another process has been refreshing account ${accountId} for too long; will retry`);
      }
      // Another process holds the lease: its result lands in the registry, read it once it is released.
      await sleep(this.pollMs);
    }
  }

  /** One call to the platform; the caller holds the lease. */
  private async renew(account: PlatformAccount, state: AccountTokenState): Promise<PlatformAccount> {
    const platform = OAUTH_PLATFORMS[account.platform] as OAuthPlatform;
    const { client } = oauthClientOf(platform, this.env);
    const apiUrl = account.base_url ?? platform.apiUrl;
    let grant: TokenGrant;
    try {
      grant = await renewToken(platform, client, account.credentials, apiUrl);
    } catch (err) {
      const failure = err instanceof TokenFailure ? err : new TokenFailure('passing', String(err));
      return this.failed(account, state, failure);
    }
    const at = this.now();
    const credentials = { ...account.credentials };
    if (platform.renewal.kind === 'facebook_exchange') credentials.user_access_token = grant.access_token;
    else credentials[platform.tokenField] = grant.access_token;
    // Keep the stored refresh token when the platform returns none (YouTube, LinkedIn).
    if (grant.refresh_token) credentials.refresh_token = grant.refresh_token;
    // The rotated refresh token is durable before anyone uses the new access token.
    const sealed = sealAccountCredentials(this.options.cipher, state.workspace_id, account.id, credentials);
    await this.storage.replaceAccountCredentials(state.workspace_id, account.id, sealed);
    const expiresAt = grant.expires_in !== undefined ? at + grant.expires_in * 1000 : null;
    const next: AccountTokenState = {
      ...state,
      status: 'active',
      status_reason: null,
      updated_at: iso(at) as string,
      ...(platform.renewal.kind === 'facebook_exchange'
        ? { grant_expires_at: iso(expiresAt) }
        : { expires_at: iso(expiresAt) }),
      ...(grant.refresh_expires_in !== undefined ? { grant_expires_at: iso(at + grant.refresh_expires_in * 1000) } : {}),
    };
    const renewed = { ...account, credentials };
    next.renew_at = this.renewAtFor(renewed, next, at);
    await this.storage.putAccountTokenState(next);
    await this.history(state.workspace_id, account.id, 'refreshed', 'active', null);
    if (state.status !== 'active') await this.history(state.workspace_id, account.id, 'status_changed', 'active', 'token renewed');
    this.logger.info({ account_id: account.id, platform: account.platform }, 'account token refreshed');
    return renewed;
  }

  private async failed(account: PlatformAccount, state: AccountTokenState, failure: TokenFailure): Promise<never> {
    this.logger.warn({ account_id: account.id, platform: account.platform, kind: failure.kind, reason: failure.message }, 'account token refresh failed');
    if (failure.kind === 'definite') {
      await this.history(state.workspace_id, account.id, 'refresh_failed', 'reconnect_required', failure.message);
      await this.changeStatus(account, state, 'reconnect_required', failure.message);
      throw reconnectError(account, failure.message);
    }
    await this.history(state.workspace_id, account.id, 'refresh_failed', state.status, failure.message);
    if (failure.kind === 'refused') {
      // The operator's app was refused: not the account's fault, and no retry will fix it.
      throw new PlatformError('auth', `could not refresh ${platformName(account)} account ${account.id}: ${failure.message}`);
    }
    throw new PlatformError('transient', `could not refresh ${platformName(account)} account ${account.id} for now (${failure.message}); will retry`);
  }

  private async changeStatus(account: PlatformAccount, state: AccountTokenState, status: AccountStatus, reason: string): Promise<void> {
    const at = iso(this.now()) as string;
    const next: AccountTokenState = { ...state, status, status_reason: reason, updated_at: at, ...(status === 'reconnect_required' ? { renew_at: null } : {}) };
    await this.storage.putAccountTokenState(next);
    await this.history(state.workspace_id, account.id, 'status_changed', status, reason);
    try {
      await this.options.onStatusChange?.({
        workspace_id: state.workspace_id,
        account_id: account.id,
        platform: account.platform,
        name: account.name,
        status,
        status_reason: reason,
        expires_at: next.expires_at,
        at,
      });
    } catch (err) {
      this.logger.warn({ account_id: account.id, err: err instanceof Error ? err.message : String(err) }, 'could not announce the account status');
    }
  }

  private async history(workspaceId: string, accountId: string, type: AccountHistoryType, status: AccountStatus | null, reason: string | null): Promise<void> {
    await this.storage.appendAccountHistory({ id: newId('ahe'), workspace_id: workspaceId, account_id: accountId, type, status, reason, at: iso(this.now()) as string });
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function platformName(account: PlatformAccount): string {
  const platform = OAUTH_PLATFORMS[account.platform];
  return platform ? platformLabel(platform) : account.platform;
}

/** What a publish waiting on a dead grant says: which account, why, and what to do. */
export function reconnectError(account: PlatformAccount, reason: string | null): PlatformError {
  return new PlatformError(
    'auth',
    `the ${platformName(account)} account ${account.id} ("${account.name}") must be reconnected${reason ? ` (${reason})` : ''}: connect it again with POST /v1/accounts/connect, then retry the post`,
  );
}
