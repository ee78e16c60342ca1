/**
 * What the registry keeps to keep accounts connected (issue 10): each account's token
 * state (never the tokens themselves, which stay sealed in the account), its append-only
 * history, and short leases so one process at a time refreshes an account.
 */

export type AccountStatus = 'active' | 'expiring' | 'reconnect_required';
export type ConnectedVia = 'oauth' | 'credentials';

export interface AccountTokenState {
  workspace_id: string;
  account_id: string;
  connected_via: ConnectedVia;
  status: AccountStatus;
  status_reason: string | null;
  /** When the access token stops working; null when it does not expire (or nobody said). */
  expires_at: string | null;
  /** When the grant itself ends (refresh token, or a token nothing can renew); null when unknown. */
  grant_expires_at: string | null;
  /** When the background renewal of a long-lived token is due; null when none is. */
  renew_at: string | null;
  platform_user_id: string | null;
  platform_username: string | null;
  updated_at: string;
}

export type AccountHistoryType = 'connected' | 'reconnected' | 'refreshed' | 'refresh_failed' | 'status_changed';

/** One line of an account's history; reasons are the platform's words, never a token. */
export interface AccountHistoryRecord {
  id: string;
  workspace_id: string;
  account_id: string;
  type: AccountHistoryType;
  /** The account's status after this entry. */
  status: AccountStatus | null;
  reason: string | null;
  at: string;
}

/** A connect in progress: what the callback needs, found by the hash of its `state`. */
export interface OAuthStateRecord {
  /** sha256 (hex) of the `state` handed to the platform; the state itself is not stored. */
  state_hash: string;
  workspace_id: string;
  platform: string;
  name: string | null;
  base_url: string | null;
  redirect_url: string | null;
  /** Platform-specific choices made at connect (`page_id`, `channel`), as JSON. */
  options: string;
  /** The PKCE verifier, sealed. */
  sealed_verifier: string | null;
  created_at: string;
  expires_at: string;
}

export interface AccountTokenStorage {
  insertOAuthState(record: OAuthStateRecord): Promise<void>;
  /** Removes and returns the state (single use); null when unknown or already taken. */
  takeOAuthState(stateHash: string): Promise<OAuthStateRecord | null>;

  /** Inserts or replaces the account's token state. */
  putAccountTokenState(state: AccountTokenState): Promise<void>;
  getAccountTokenState(workspaceId: string, accountId: string): Promise<AccountTokenState | null>;
  /** States whose `renew_at` is at or before `before`, not waiting for a reconnect; soonest first. */
  listAccountTokenStatesDue(before: string, limit: number): Promise<AccountTokenState[]>;
  /** Replaces the sealed credentials of an account; false when there is no such account. */
  replaceAccountCredentials(workspaceId: string, accountId: string, sealedCredentials: string): Promise<boolean>;

  /** Append-only. */
  appendAccountHistory(entry: AccountHistoryRecord): Promise<void>;
  /** Oldest first. */
  listAccountHistory(workspaceId: string, accountId: string, limit: number): Promise<AccountHistoryRecord[]>;

  /**
   * Takes the lease `key` for `holder` until `expiresAt` when it is free, expired (at
   * `now`) or already this holder's. Exactly one of several concurrent callers wins.
   */
  acquireLease(key: string, holder: string, expiresAt: string, now: string): Promise<boolean>;
  /** Gives the lease back if `holder` still has it. */
  releaseLease(key: string, holder: string): Promise<void>;
}
