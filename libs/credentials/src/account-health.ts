import type { AccountHistoryRecord, AccountStatus, AccountTokenState, ConnectedVia } from '../../registry';

/** What the account view says about an account's connection (CONTRACT.md v1.1). */
export interface AccountHealth {
  status: AccountStatus;
  status_reason: string | null;
  /** When the access token ends, or, where nothing refreshes it, the grant; null when neither ends. */
  expires_at: string | null;
  platform_user: { id: string; username: string } | null;
  connected_via: ConnectedVia;
}

/** Health of an account from its token state; an account pasted before token states existed is `active`. */
export function accountHealth(state: AccountTokenState | null): AccountHealth {
  if (!state) return { status: 'active', status_reason: null, expires_at: null, platform_user: null, connected_via: 'credentials' };
  return {
    status: state.status,
    status_reason: state.status_reason,
    expires_at: state.expires_at ?? state.grant_expires_at,
    platform_user: state.platform_user_id !== null ? { id: state.platform_user_id, username: state.platform_username ?? '' } : null,
    connected_via: state.connected_via,
  };
}

/** One entry of `GET /v1/accounts/:id/history`. */
export interface AccountHistoryView {
  type: AccountHistoryRecord['type'];
  status: AccountStatus | null;
  reason: string | null;
  at: string;
}

export function historyView(entry: AccountHistoryRecord): AccountHistoryView {
  return { type: entry.type, status: entry.status, reason: entry.reason, at: entry.at };
}
