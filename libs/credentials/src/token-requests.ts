import { PlatformError, platformCode, platformMessage, requestJson, type JsonResponse } from '../../platforms';
import type { OAuthClient, OAuthPlatform } from './oauth-platforms';

/** What a token endpoint gave: the new tokens and how long they live. */
export interface TokenGrant {
  access_token: string;
  /** Absent when the platform returned none (keep the stored one). */
  refresh_token?: string;
  /** Seconds. */
  expires_in?: number;
  refresh_expires_in?: number;
  /** Everything else the platform answered beside the tokens (ids, scopes, webhook, team). */
  extra: Record<string, unknown>;
}

/**
 * Why a token call failed:
 * - `passing`: network, 5xx, 429, timeouts: retry later, the account stays as it is;
 * - `definite`: the platform says the grant is dead (`invalid_grant`, revoked, Meta 190):
 *   only a reconnect helps;
 * - `refused`: the platform refused the operator's app (wrong client id or secret): the
 *   account is not at fault, the operator must fix the configuration.
 */
export type TokenFailureKind = 'passing' | 'definite' | 'refused';

export class TokenFailure extends Error {
  constructor(
    readonly kind: TokenFailureKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TokenFailure';
  }
}

// RFC 6749 §5.2 codes and the platforms' own words for a grant that is gone.
const DEAD_GRANT_CODES = new Set(['invalid_grant', 'invalid_token', 'token_revoked', 'token_expired', 'invalid_refresh_token', 'access_token_invalid', 'invalid_auth', 'account_inactive', 'access_denied']);
const CLIENT_CODES = new Set(['invalid_client', 'unauthorized_client', 'bad_client_secret', 'invalid_client_id']);
// Meta: 190 is an invalid token; 458 app removed, 460 password changed, 463 expired, 467 logged out (OAUTH.md S27).
const META_INVALID_TOKEN = 190;

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/** Reads a token call's answer into a grant, or the failure the platform meant. */
export function classifyTokenResponse(response: JsonResponse, platformName: string): TokenGrant {
  const body = response.body;
  // Slack answers 200 with ok:false (docs.slack.dev/reference/methods/oauth.v2.access).
  // Slack, and some TikTok answers, say "no" with a 200 and an error code instead of a token.
  const slackRefusal = field(body, 'ok') === false || (typeof field(body, 'error') === 'string' && field(body, 'access_token') === undefined);
  if (response.ok && !slackRefusal) {
    // TikTok nests nothing, Slack puts the bot token at the top; both have access_token.
    const token = field(body, 'access_token');
    if (typeof token !== 'string' || token === '') throw new TokenFailure('passing', `${platformName} answered the token request without an access token`, response.status);
    // LinkedIn names the refresh token's lifetime refresh_token_expires_in, TikTok refresh_expires_in.
    const { access_token: _a, refresh_token, expires_in, refresh_token_expires_in, ...rest } = body as Record<string, unknown>;
    void _a;
    const { refresh_expires_in = refresh_token_expires_in, ...extra } = rest;
    return {
      access_token: token,
      ...(typeof refresh_token === 'string' && refresh_token !== '' ? { refresh_token } : {}),
      ...(Number.isFinite(Number(expires_in)) && expires_in !== null && expires_in !== undefined ? { expires_in: Number(expires_in) } : {}),
      ...(Number.isFinite(Number(refresh_expires_in)) && refresh_expires_in !== null && refresh_expires_in !== undefined ? { refresh_expires_in: Number(refresh_expires_in) } : {}),
      extra,
    };
  }
  const status = response.status;
  const reason = platformMessage(body) ?? `HTTP ${status}`;
  const code = platformCode(body);
  const message = `${platformName}: ${reason}`;
  if (status === 429 || status === 408 || (status >= 500 && code !== 'invalid_grant') || code === 'ratelimited' || code === 'temporarily_unavailable' || code === 'server_error') {
    return thrown(new TokenFailure('passing', message, status));
  }
  const metaCode = Number(field(field(body, 'error'), 'code'));
  if (metaCode === META_INVALID_TOKEN) {
    const subcode = field(field(body, 'error'), 'error_subcode');
    return thrown(new TokenFailure('definite', subcode !== undefined ? `${message} (code 190, subcode ${String(subcode)})` : `${message} (code 190)`, status));
  }
  if (code !== undefined && CLIENT_CODES.has(code)) return thrown(new TokenFailure('refused', `${message}: check ${platformName}'s client id and secret`, status));
  if (code !== undefined && DEAD_GRANT_CODES.has(code)) return thrown(new TokenFailure('definite', message, status));
  // X answers a dead refresh token with 400 invalid_request "Value passed for the token was invalid." (OAUTH.md).
  if (code === 'invalid_request' && /token|grant|revoked|expired/i.test(reason)) return thrown(new TokenFailure('definite', message, status));
  if (status === 401 || status === 400) return thrown(new TokenFailure('definite', message, status));
  return thrown(new TokenFailure('passing', message, status));
}

function thrown(failure: TokenFailure): never {
  throw failure;
}

/** Posts a form to a token endpoint, the client authenticated as the platform wants. */
export async function postTokenForm(platform: OAuthPlatform, client: OAuthClient, url: string, params: Record<string, string>, signal?: AbortSignal): Promise<TokenGrant> {
  const form = new URLSearchParams(params);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (platform.clientAuth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
    form.set('client_id', client.clientId);
  } else {
    form.set(platform.clientIdParam, client.clientId);
    form.set('client_secret', client.clientSecret);
  }
  return callTokenEndpoint(platform, url, { method: 'POST', headers, body: form.toString(), ...(signal ? { signal } : {}) });
}

/** A token call; failures become `TokenFailure`s (never carrying a token: messages are the platform's). */
export async function callTokenEndpoint(platform: OAuthPlatform, url: string, init: RequestInit): Promise<TokenGrant> {
  const name = platformLabel(platform);
  let response: JsonResponse;
  try {
    response = await requestJson(url, { ...init, label: `${name} token endpoint`, timeoutMs: 20_000 });
  } catch (err) {
    throw new TokenFailure('passing', err instanceof PlatformError ? err.message : `${name} token endpoint: ${String(err)}`);
  }
  return classifyTokenResponse(response, name);
}

export function platformLabel(platform: OAuthPlatform): string {
  const names: Record<string, string> = { twitter: 'X', youtube: 'YouTube', linkedin: 'LinkedIn', tiktok: 'TikTok', threads: 'Threads', instagram: 'Instagram', facebook: 'Facebook', slack: 'Slack', discord: 'Discord', mastodon: 'Mastodon' };
  return names[platform.platform] ?? platform.platform;
}

/**
 * Renews an account's token the way its platform does. `credentials` are the stored ones;
 * `apiUrl` is the account's `base_url` or the platform's API host.
 */
export async function renewToken(platform: OAuthPlatform, client: OAuthClient | null, credentials: Record<string, string>, apiUrl: string, signal?: AbortSignal): Promise<TokenGrant> {
  const renewal = platform.renewal;
  const label = platformLabel(platform);
  switch (renewal.kind) {
    case 'refresh_token': {
      const refreshToken = credentials.refresh_token;
      if (!client) throw new TokenFailure('refused', `${label} OAuth is not configured (${platform.env}_CLIENT_ID, ${platform.env}_CLIENT_SECRET)`);
      if (!refreshToken) throw new TokenFailure('definite', `${label} gave no refresh token for this account`);
      return postTokenForm(platform, client, client.tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken }, signal);
    }
    case 'meta_refresh': {
      // A long-lived token renews itself while it is unexpired and at least 24 hours old (OAUTH.md S19, S23).
      const url = new URL(`${apiUrl}/refresh_access_token`);
      url.searchParams.set('grant_type', renewal.grantType);
      url.searchParams.set('access_token', credentials[platform.tokenField] ?? '');
      return callTokenEndpoint(platform, url.toString(), { method: 'GET', ...(signal ? { signal } : {}) });
    }
    case 'facebook_exchange': {
      if (!client) throw new TokenFailure('refused', `${label} OAuth is not configured (${platform.env}_CLIENT_ID, ${platform.env}_CLIENT_SECRET)`);
      const userToken = credentials.user_access_token;
      if (!userToken) throw new TokenFailure('definite', `${label}: no user token to renew`);
      const url = new URL(client.tokenUrl);
      url.searchParams.set('grant_type', 'fb_exchange_token');
      url.searchParams.set('client_id', client.clientId);
      url.searchParams.set('client_secret', client.clientSecret);
      url.searchParams.set('fb_exchange_token', userToken);
      return callTokenEndpoint(platform, url.toString(), { method: 'GET', ...(signal ? { signal } : {}) });
    }
    case 'none':
      throw new TokenFailure('definite', `${label} tokens cannot be renewed`);
  }
}
