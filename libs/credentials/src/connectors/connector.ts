import { httpFailure, type PlatformUser, requestJson } from '../../../platforms';
import type { OAuthPlatform } from '../oauth-platforms';
import { platformLabel, type TokenGrant } from '../token-requests';

/** What a connect ends with: the credentials the adapter reads, and who the account is. */
export interface ConnectedAccount {
  credentials: Record<string, string>;
  user: PlatformUser;
  /** Seconds the access token lives, when it ends. */
  expiresInS?: number;
  /** Seconds the grant lives (refresh token, or a token nothing renews). */
  grantExpiresInS?: number;
}

/**
 * One platform's connect: the OAuth data, and what to do after the code exchange (read who
 * the user is, shape the adapter's credentials). One file per platform, like adapters.
 */
export interface Connector {
  oauth: OAuthPlatform;
  complete(grant: TokenGrant, context: { apiUrl: string; options: Record<string, string>; signal?: AbortSignal }): Promise<ConnectedAccount>;
}

/** A GET with the new token; a refusal becomes the platform's own message. */
export async function getWithToken(oauth: OAuthPlatform, url: string, token: string, signal?: AbortSignal): Promise<unknown> {
  const label = platformLabel(oauth);
  const response = await requestJson(url, { headers: { authorization: `Bearer ${token}` }, label, ...(signal ? { signal } : {}) });
  if (!response.ok) throw httpFailure(response.status, response.body, response.headers, label);
  return response.body;
}

export function stringAt(value: unknown, ...path: (string | number)[]): string | undefined {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return typeof current === 'string' && current !== '' ? current : typeof current === 'number' ? String(current) : undefined;
}

/** The tokens of a grant as credentials: the access token where the adapter reads it, the refresh token when given. */
export function tokenCredentials(oauth: OAuthPlatform, grant: TokenGrant): Record<string, string> {
  return { [oauth.tokenField]: grant.access_token, ...(grant.refresh_token ? { refresh_token: grant.refresh_token } : {}) };
}

export function lifetimes(grant: TokenGrant): Pick<ConnectedAccount, 'expiresInS' | 'grantExpiresInS'> {
  return {
    ...(grant.expires_in !== undefined ? { expiresInS: grant.expires_in } : {}),
    ...(grant.refresh_expires_in !== undefined ? { grantExpiresInS: grant.refresh_expires_in } : {}),
  };
}
