import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPlatform, type Platform } from '../../domain';
import { type Accounts, type CredentialCipher, type OAuthStateRecord, type RegistryStorage, RegistryInvalid, sealAccountCredentials } from '../../registry';
import { PlatformError, type PlatformAccount } from '../../platforms';
import type { Connector } from './connectors/connector';
import { linkedinConnector } from './connectors/linkedin';
import { tiktokConnector } from './connectors/tiktok';
import { twitterConnector } from './connectors/twitter';
import { youtubeConnector } from './connectors/youtube';
import type { Credentials } from './credentials';
import { type Environment, oauthClientOf } from './oauth-platforms';
import { postTokenForm, TokenFailure } from './token-requests';

/** Platforms whose OAuth connect is built, each in its own connector. */
export const CONNECTORS: Partial<Record<Platform, Connector>> = {
  twitter: twitterConnector,
  youtube: youtubeConnector,
  linkedin: linkedinConnector,
  tiktok: tiktokConnector,
};

/** How long a connect may take between the authorize link and the callback. */
export const STATE_TTL_MS = 10 * 60_000;
const CONNECT_LEASE_MS = 30_000;

export interface StartConnectInput {
  platform?: unknown;
  name?: unknown;
  base_url?: unknown;
  redirect_url?: unknown;
}

export interface StartedConnect {
  authorize_url: string;
  state: string;
  expires_at: string;
}

export type ConnectOutcome =
  | { status: 'connected'; account_id: string; reconnected: boolean }
  | { status: 'denied'; message: string }
  | { status: 'error'; message: string };

export interface FinishedConnect {
  /** Where to send the person back; null: answer a small page. */
  redirect_url: string | null;
  outcome: ConnectOutcome;
}

/** The callback's state is unknown, used or expired: 400, nothing stored. */
export class ConnectStateInvalid extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectStateInvalid';
  }
}

export interface OAuthConnectOptions {
  storage: RegistryStorage;
  accounts: Accounts;
  credentials: Credentials;
  cipher: CredentialCipher;
  env: Environment;
  /** Origin platforms send people back to (`POSTLOOM_PUBLIC_URL`). */
  publicUrl: () => string;
  now?: () => number;
}

function hashState(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex');
}

function httpUrlOrNull(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2048) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null;
  } catch {
    return null;
  }
}

/**
 * Connecting accounts with OAuth: the authorize link with a single-use state bound to
 * the workspace (PKCE S256 where the platform takes it), then the callback that trades
 * the code, reads who the user is, and stores the account sealed, updating the same
 * account when that platform user is connected again.
 */
export class OAuthConnect {
  private readonly now: () => number;

  constructor(private readonly options: OAuthConnectOptions) {
    this.now = options.now ?? Date.now;
  }

  callbackUrl(platform: Platform): string {
    return `${this.options.publicUrl()}/v1/oauth/callback/${platform}`;
  }

  async start(workspaceId: string, input: StartConnectInput): Promise<StartedConnect> {
    const problems: { field: string; message: string }[] = [];
    const offered = Object.keys(CONNECTORS).join(', ');
    const platform = isPlatform(input.platform) ? input.platform : null;
    const connector = platform ? CONNECTORS[platform] : undefined;
    if (!connector) problems.push({ field: 'platform', message: `OAuth connect is offered for ${offered}` });
    const name = input.name === undefined || input.name === null ? null : typeof input.name === 'string' && input.name.trim() !== '' && input.name.length <= 100 ? input.name.trim() : undefined;
    if (name === undefined) problems.push({ field: 'name', message: 'must be 1 to 100 characters' });
    const baseUrl = input.base_url === undefined || input.base_url === null ? null : httpUrlOrNull(input.base_url)?.replace(/\/+$/, '');
    if (baseUrl === undefined) problems.push({ field: 'base_url', message: 'must be an http or https URL' });
    const redirectUrl = input.redirect_url === undefined || input.redirect_url === null ? null : httpUrlOrNull(input.redirect_url);
    if (redirectUrl === null && input.redirect_url !== undefined && input.redirect_url !== null) problems.push({ field: 'redirect_url', message: 'must be an http or https URL' });
    if (problems.length > 0 || !connector || !platform) throw new RegistryInvalid(problems);

    const { client, missing } = oauthClientOf(connector.oauth, this.options.env);
    if (!client) {
      throw new RegistryInvalid(missing.map((variable) => ({ field: 'platform', message: `${platform} OAuth is not configured on this server: set ${variable}` })));
    }

    const state = randomBytes(32).toString('base64url');
    const stateHash = hashState(state);
    const verifier = connector.oauth.pkce ? randomBytes(48).toString('base64url') : null;
    const at = this.now();
    const expiresAt = new Date(at + STATE_TTL_MS).toISOString();
    const record: OAuthStateRecord = {
      state_hash: stateHash,
      workspace_id: workspaceId,
      platform,
      name: name ?? null,
      base_url: baseUrl ?? null,
      redirect_url: redirectUrl,
      options: '{}',
      sealed_verifier: verifier ? this.options.cipher.encrypt({ verifier }, `oauth-state:${stateHash}`) : null,
      created_at: new Date(at).toISOString(),
      expires_at: expiresAt,
    };
    await this.options.storage.insertOAuthState(record);

    const url = new URL(client.authorizeUrl);
    const params: Record<string, string> = {
      response_type: 'code',
      [connector.oauth.clientIdParam]: client.clientId,
      redirect_uri: this.callbackUrl(platform),
      scope: connector.oauth.scopes.join(connector.oauth.scopeSeparator),
      state,
      ...connector.oauth.extraAuthorizeParams,
    };
    if (verifier) {
      params.code_challenge = createHash('sha256').update(verifier).digest('base64url');
      params.code_challenge_method = 'S256';
    }
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return { authorize_url: url.toString(), state, expires_at: expiresAt };
  }

  /** The platform sent the person back. Throws `ConnectStateInvalid` (400) for an unusable state. */
  async finish(platformParam: string, query: Record<string, unknown>): Promise<FinishedConnect> {
    const state = typeof query.state === 'string' ? query.state : '';
    if (state === '' || state.length > 200) throw new ConnectStateInvalid('state is missing or malformed');
    const record = await this.options.storage.takeOAuthState(hashState(state));
    if (!record) throw new ConnectStateInvalid('state is unknown or was already used; start the connect again');
    if (Date.parse(record.expires_at) <= this.now()) throw new ConnectStateInvalid('state expired (a connect must finish within 10 minutes); start the connect again');
    if (record.platform !== platformParam) throw new ConnectStateInvalid(`state was issued for ${record.platform}, not ${platformParam}`);
    const redirect = record.redirect_url;

    const error = typeof query.error === 'string' ? query.error : null;
    if (error !== null) {
      const description = typeof query.error_description === 'string' ? query.error_description.slice(0, 300) : error;
      if (error === 'access_denied') return { redirect_url: redirect, outcome: { status: 'denied', message: description } };
      return { redirect_url: redirect, outcome: { status: 'error', message: description } };
    }
    const code = typeof query.code === 'string' ? query.code : '';
    if (code === '') return { redirect_url: redirect, outcome: { status: 'error', message: 'the platform sent no code' } };

    try {
      const account = await this.complete(record, code);
      return { redirect_url: redirect, outcome: { status: 'connected', account_id: account.id, reconnected: account.reconnected } };
    } catch (err) {
      if (err instanceof TokenFailure || err instanceof PlatformError || err instanceof RegistryInvalid) {
        return { redirect_url: redirect, outcome: { status: 'error', message: err.message } };
      }
      throw err;
    }
  }

  private async complete(record: OAuthStateRecord, code: string): Promise<{ id: string; reconnected: boolean }> {
    const platform = record.platform as Platform;
    const connector = CONNECTORS[platform] as Connector;
    const { client } = oauthClientOf(connector.oauth, this.options.env);
    if (!client) throw new TokenFailure('refused', `${platform} OAuth is no longer configured on this server`);
    const params: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: this.callbackUrl(platform) };
    if (record.sealed_verifier) {
      params.code_verifier = (this.options.cipher.decrypt(record.sealed_verifier, `oauth-state:${record.state_hash}`) as { verifier: string }).verifier;
    }
    const grant = await postTokenForm(connector.oauth, client, client.tokenUrl, params);
    const connected = await connector.complete(grant, { apiUrl: record.base_url ?? connector.oauth.apiUrl, options: JSON.parse(record.options) as Record<string, string> });

    // Two connects racing for the same platform user make one account.
    return this.underLease(`connect:${record.workspace_id}:${platform}:${connected.user.id}`, async () => {
      const existing = await this.accountOf(record.workspace_id, platform, connected.user.id);
      const life = {
        via: 'oauth' as const,
        platformUser: connected.user,
        ...(connected.expiresInS !== undefined ? { expiresInS: connected.expiresInS } : {}),
        ...(connected.grantExpiresInS !== undefined ? { grantExpiresInS: connected.grantExpiresInS } : {}),
      };
      if (existing) {
        // Same user again: same account; a refresh token the platform did not send again is kept.
        const credentials = { ...existing.credentials, ...connected.credentials };
        await this.options.storage.replaceAccountCredentials(record.workspace_id, existing.id, sealAccountCredentials(this.options.cipher, record.workspace_id, existing.id, credentials));
        await this.options.credentials.recordConnected(record.workspace_id, { ...existing, credentials }, { ...life, reconnected: true });
        return { id: existing.id, reconnected: true };
      }
      const view = await this.options.accounts.connect(record.workspace_id, {
        platform,
        name: record.name ?? `@${connected.user.username}`,
        credentials: connected.credentials,
        base_url: record.base_url,
      });
      const account: PlatformAccount = { id: view.id, platform, name: view.name, credentials: connected.credentials };
      await this.options.credentials.recordConnected(record.workspace_id, account, { ...life, reconnected: false });
      return { id: view.id, reconnected: false };
    });
  }

  private async accountOf(workspaceId: string, platform: Platform, platformUserId: string): Promise<PlatformAccount | null> {
    for (const account of await this.options.storage.listAccounts(workspaceId)) {
      if (account.platform !== platform) continue;
      const state = await this.options.storage.getAccountTokenState(workspaceId, account.id);
      if (state?.platform_user_id === platformUserId) return this.options.accounts.credentialsOf(workspaceId, account.id);
    }
    return null;
  }

  private async underLease<T>(key: string, work: () => Promise<T>): Promise<T> {
    const holder = randomBytes(12).toString('hex');
    const deadline = this.now() + CONNECT_LEASE_MS * 2;
    for (;;) {
      const at = this.now();
      if (await this.options.storage.acquireLease(key, holder, new Date(at + CONNECT_LEASE_MS).toISOString(), new Date(at).toISOString())) {
        try {
          return await work();
        } finally {
          await this.options.storage.releaseLease(key, holder).catch(() => undefined);
        }
      }
      if (this.now() > deadline) throw new PlatformError('transient', 'another connect of this account is still running; try again');
      await sleep(50);
    }
  }
}
