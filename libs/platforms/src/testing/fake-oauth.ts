import { createHash, randomBytes } from 'node:crypto';

/**
 * A platform's OAuth 2.0 authorization server, as each fake platform serves it (RFC 6749
 * with PKCE, RFC 7636): the consent screen answers at once with a code (or the person's
 * refusal), the token endpoint trades codes and refresh tokens, rotates refresh tokens
 * where the platform does, and answers a dead grant with the platform's own error body.
 * The access token it issues last is the one the fake's API accepts.
 */

export interface FakeOAuthOptions {
  clientId?: string;
  clientSecret?: string;
  /** How the platform wants the client to authenticate at the token endpoint. */
  clientAuth: 'basic' | 'body';
  clientIdParam?: string;
  /** Access token lifetime in seconds; undefined: tokens do not expire (none given). */
  accessTokenTtlS?: number;
  refreshTokenTtlS?: number;
  issuesRefreshTokens: boolean;
  /** A refresh makes a new refresh token and kills the old one. */
  rotates: boolean;
  pkce: 'required' | 'optional' | 'none';
  /** How the platform answers a dead refresh token or code. */
  deadGrant: { status: number; body: unknown };
  /** Called with every access token issued: the fake's API accepts only the newest. */
  onAccessToken(token: string): void;
  /** How the platform names the refresh token's lifetime (TikTok `refresh_expires_in`, LinkedIn `refresh_token_expires_in`). */
  refreshTtlField?: string;
  /** Fields added to every token answer (ids the platform returns beside the tokens). */
  tokenExtras?: () => Record<string, unknown>;
}

interface IssuedCode {
  redirectUri: string;
  challenge: string | null;
  scope: string;
}

export class FakeOAuth {
  readonly options: Required<Omit<FakeOAuthOptions, 'accessTokenTtlS' | 'refreshTokenTtlS' | 'tokenExtras' | 'refreshTtlField'>> & Pick<FakeOAuthOptions, 'accessTokenTtlS' | 'refreshTokenTtlS' | 'tokenExtras' | 'refreshTtlField'>;
  private readonly codes = new Map<string, IssuedCode>();
  private readonly refreshTokens = new Set<string>();
  /** Access tokens issued and still good: a platform accepts every one until it expires or is revoked. */
  private readonly liveAccessTokens = new Set<string>();
  /** Refresh grants answered with new tokens. */
  refreshes = 0;
  /** Codes traded for tokens. */
  exchanges = 0;
  /** The next consent is refused by the person (`error=access_denied`). */
  denyNext = false;
  /** The next code grant returns no refresh token (as Google does on a repeated consent). */
  withholdRefreshTokenOnce = false;

  constructor(options: FakeOAuthOptions) {
    this.options = { clientId: 'fake-client-id', clientSecret: 'fake-client-secret', clientIdParam: 'client_id', ...options };
  }

  /** The consent screen: where the browser is sent next. */
  authorize(url: URL): string {
    const p = url.searchParams;
    const redirectUri = p.get('redirect_uri') ?? '';
    const back = new URL(redirectUri);
    const state = p.get('state');
    if (state !== null) back.searchParams.set('state', state);
    if (p.get(this.options.clientIdParam) !== this.options.clientId || !redirectUri) {
      back.searchParams.set('error', 'invalid_request');
      back.searchParams.set('error_description', 'Invalid client_id or redirect_uri');
      return back.toString();
    }
    if (this.denyNext) {
      this.denyNext = false;
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user denied the request');
      return back.toString();
    }
    const challenge = p.get('code_challenge');
    if (this.options.pkce === 'required' && (challenge === null || p.get('code_challenge_method') !== 'S256')) {
      back.searchParams.set('error', 'invalid_request');
      back.searchParams.set('error_description', 'code_challenge with S256 is required');
      return back.toString();
    }
    const code = token('code');
    this.codes.set(code, { redirectUri, challenge, scope: p.get('scope') ?? '' });
    back.searchParams.set('code', code);
    return back.toString();
  }

  /** The token endpoint: `[status, body]`. */
  token(form: URLSearchParams, authorization: string | undefined): [number, unknown] {
    if (!this.clientAuthenticated(form, authorization)) {
      return [401, { error: 'unauthorized_client', error_description: 'Missing valid authorization header' }];
    }
    const grant = form.get('grant_type');
    if (grant === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      if (!code || code.redirectUri !== form.get('redirect_uri')) return [this.options.deadGrant.status, this.options.deadGrant.body];
      if (code.challenge !== null) {
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== code.challenge) {
          return [400, { error: 'invalid_grant', error_description: 'PKCE verification failed' }];
        }
      }
      this.exchanges++;
      const withhold = this.withholdRefreshTokenOnce;
      this.withholdRefreshTokenOnce = false;
      return [200, this.issue(!withhold, code.scope)];
    }
    if (grant === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      if (!this.refreshTokens.has(presented)) return [this.options.deadGrant.status, this.options.deadGrant.body];
      if (this.options.rotates) this.refreshTokens.delete(presented);
      this.refreshes++;
      return [200, this.issue(this.options.rotates, '')];
    }
    return [400, { error: 'unsupported_grant_type', error_description: `grant_type ${grant ?? ''} is not supported` }];
  }

  /** Whether `authorization` (`Bearer <token>`) carries an access token this server issued and still honours. */
  accepts(authorization: string | undefined): boolean {
    const match = /^Bearer (.+)$/.exec(authorization ?? '');
    return match !== null && this.liveAccessTokens.has(match[1]);
  }

  /** Issues a token outside a grant (Meta's long-lived renewals answer with one). */
  mintAccessToken(): string {
    const access = token('at');
    this.liveAccessTokens.add(access);
    this.options.onAccessToken(access);
    return access;
  }

  /** The access token in use stops working, as when its hour is over. */
  expireAccessToken(): void {
    this.liveAccessTokens.clear();
    this.options.onAccessToken(token('expired'));
  }

  /** The person revoked the app: every token of it is dead. */
  revoke(): void {
    this.refreshTokens.clear();
    this.liveAccessTokens.clear();
    this.options.onAccessToken(token('revoked'));
  }

  private clientAuthenticated(form: URLSearchParams, authorization: string | undefined): boolean {
    const { clientId, clientSecret, clientIdParam } = this.options;
    if (this.options.clientAuth === 'basic') {
      const expected = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
      return authorization === expected;
    }
    return form.get(clientIdParam) === clientId && form.get('client_secret') === clientSecret;
  }

  private issue(withRefresh: boolean, scope: string): Record<string, unknown> {
    const access = this.mintAccessToken();
    const body: Record<string, unknown> = { access_token: access, token_type: 'bearer', ...(scope ? { scope } : {}) };
    if (this.options.accessTokenTtlS !== undefined) body.expires_in = this.options.accessTokenTtlS;
    if (withRefresh && this.options.issuesRefreshTokens) {
      const refresh = token('rt');
      this.refreshTokens.add(refresh);
      body.refresh_token = refresh;
      if (this.options.refreshTokenTtlS !== undefined) body[this.options.refreshTtlField ?? 'refresh_expires_in'] = this.options.refreshTokenTtlS;
    }
    return { ...body, ...(this.options.tokenExtras?.() ?? {}) };
  }
}

function token(prefix: string): string {
  return `${prefix}-${randomBytes(12).toString('hex')}`;
}
