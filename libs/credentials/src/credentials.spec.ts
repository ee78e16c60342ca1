import { createHash, randomBytes } from 'node:crypto';
import { Accounts } from '../../registry';
import { openTempRegistry, type TempRegistry } from '../../registry/src/testing/temp-registry';
import { PlatformError, TwitterAdapter, type PlatformAccount } from '../../platforms';
import { FakeTwitter } from '../../platforms/src/twitter/testing/fake-twitter';
import { withUsableCredentials } from '../../publishing';
import { type AccountStatusChange, Credentials, REFRESH_AHEAD_MS } from './credentials';

const WS = 'ws_test';

async function rejection(promise: Promise<unknown>): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

describe('Credentials (the credentials port) against a fake X', () => {
  let fake: FakeTwitter;
  let registry: TempRegistry;
  let accounts: Accounts;
  let clock: number;
  let changes: AccountStatusChange[];
  let env: Record<string, string>;

  const port = () =>
    new Credentials({ storage: registry.storage, accounts, cipher: registry.cipher, env, now: () => clock, pollMs: 5, onStatusChange: (c) => void changes.push(c) });

  /** Goes through X's consent and code exchange as the connect flow does. */
  const grant = (): { access_token: string; refresh_token: string; expires_in: number } => {
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${fake.url}/i/oauth2/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: env.TWITTER_CLIENT_ID,
      redirect_uri: 'http://127.0.0.1/callback',
      state: 's',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const code = new URL(fake.oauth.authorize(authorize)).searchParams.get('code') as string;
    const basic = `Basic ${Buffer.from(`${env.TWITTER_CLIENT_ID}:${env.TWITTER_CLIENT_SECRET}`).toString('base64')}`;
    const [status, body] = fake.oauth.token(new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1/callback', code_verifier: verifier }), basic);
    expect(status).toBe(200);
    return body as { access_token: string; refresh_token: string; expires_in: number };
  };

  const connectX = async (credentials: Credentials): Promise<PlatformAccount> => {
    const tokens = grant();
    const view = await accounts.connect(WS, { platform: 'twitter', name: 'Company X', credentials: { access_token: tokens.access_token, refresh_token: tokens.refresh_token }, base_url: fake.url });
    const account = (await accounts.credentialsOf(WS, view.id)) as PlatformAccount;
    await credentials.recordConnected(WS, account, { via: 'oauth', expiresInS: tokens.expires_in, platformUser: { id: fake.userId, username: 'fakeposter' }, reconnected: false });
    return account;
  };

  beforeEach(async () => {
    fake = await FakeTwitter.start();
    registry = openTempRegistry();
    accounts = new Accounts(registry.storage, registry.cipher);
    clock = Date.parse('2026-06-01T12:00:00.000Z');
    changes = [];
    env = { TWITTER_CLIENT_ID: 'fake-client-id', TWITTER_CLIENT_SECRET: 'fake-client-secret', TWITTER_TOKEN_URL: `${fake.url}/2/oauth2/token` };
  });

  afterEach(async () => {
    await fake.close();
    await registry.cleanup();
  });

  it('hands out a pasted account as it is', async () => {
    const view = await accounts.connect(WS, { platform: 'twitter', name: 'pasted', credentials: { access_token: 'pasted-token' } });
    const account = await port().usable(WS, view.id);
    expect(account?.credentials.access_token).toBe('pasted-token');
    expect(await port().usable(WS, 'acc_missing')).toBeNull();
  });

  it('uses a token far from expiry without asking the platform', async () => {
    const credentials = port();
    const account = await connectX(credentials);
    clock += 60 * 60_000;
    expect((await credentials.usable(WS, account.id))?.credentials.access_token).toBe(account.credentials.access_token);
    expect(fake.oauth.refreshes).toBe(0);
  });

  it('refreshes within 5 minutes of expiry and stores the rotated refresh token first', async () => {
    const credentials = port();
    const account = await connectX(credentials);
    clock += 2 * 60 * 60_000 - REFRESH_AHEAD_MS + 1000;
    const usable = (await credentials.usable(WS, account.id)) as PlatformAccount;
    expect(fake.oauth.refreshes).toBe(1);
    expect(usable.credentials.access_token).not.toBe(account.credentials.access_token);
    expect(usable.credentials.access_token).toBe(fake.accessToken);
    const stored = (await accounts.credentialsOf(WS, account.id)) as PlatformAccount;
    expect(stored.credentials.refresh_token).not.toBe(account.credentials.refresh_token);
    expect(stored.credentials).toEqual(usable.credentials);
    const state = await credentials.state(WS, account.id);
    expect(state).toMatchObject({ status: 'active', expires_at: new Date(clock + 7200_000).toISOString() });
    const history = await registry.storage.listAccountHistory(WS, account.id, 10);
    expect(history.map((h) => h.type)).toEqual(['connected', 'refreshed']);
    expect(JSON.stringify(history)).not.toContain(usable.credentials.access_token);
    // The new token is good at the platform.
    const ref = await new TwitterAdapter().publishSegment({ account: usable, text: 'after refresh', media: [], index: 0, total: 1, idempotencyKey: 'k', requestedAt: new Date().toISOString(), settings: {} });
    expect(ref.post_id).toBeTruthy();
  });

  it('makes one refresh when many callers in two processes need it at once', async () => {
    const first = port();
    const second = port();
    const account = await connectX(first);
    clock += 2 * 60 * 60_000;
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? first : second).usable(WS, account.id)));
    expect(fake.oauth.refreshes).toBe(1);
    expect(new Set(results.map((r) => r?.credentials.access_token))).toEqual(new Set([fake.accessToken]));
  });

  it('leaves the account untouched after a passing failure and refreshes on the next try', async () => {
    const credentials = port();
    const account = await connectX(credentials);
    clock += 2 * 60 * 60_000;
    fake.failNext('POST /2/oauth2/token', { status: 503 });
    const passing = await rejection(credentials.usable(WS, account.id));
    expect(passing.kind).toBe('transient');
    expect(await credentials.state(WS, account.id)).toMatchObject({ status: 'active', status_reason: null });
    expect((await accounts.credentialsOf(WS, account.id))?.credentials).toEqual(account.credentials);
    fake.failNext('POST /2/oauth2/token', { status: 429, headers: { 'retry-after': '1' } });
    expect((await rejection(credentials.usable(WS, account.id))).kind).toBe('transient');
    expect((await credentials.usable(WS, account.id))?.credentials.access_token).toBe(fake.accessToken);
    expect(changes).toEqual([]);
  });

  it('marks the account reconnect_required on a definite refusal, names it, and stops asking', async () => {
    const credentials = port();
    const account = await connectX(credentials);
    fake.oauth.revoke();
    clock += 2 * 60 * 60_000;
    const definite = await rejection(credentials.usable(WS, account.id));
    expect(definite.kind).toBe('auth');
    expect(definite.message).toContain(account.id);
    expect(definite.message).toContain('Value passed for the token was invalid.');
    expect(await credentials.state(WS, account.id)).toMatchObject({ status: 'reconnect_required', status_reason: expect.stringContaining('Value passed for the token was invalid.') });
    expect(changes).toEqual([expect.objectContaining({ account_id: account.id, status: 'reconnect_required' })]);
    const calls = fake.requestsTo('POST /2/oauth2/token');
    expect((await rejection(credentials.usable(WS, account.id))).message).toContain('must be reconnected');
    expect(fake.requestsTo('POST /2/oauth2/token')).toBe(calls);
    const history = await registry.storage.listAccountHistory(WS, account.id, 10);
    expect(history.map((h) => [h.type, h.status])).toEqual([
      ['connected', 'active'],
      ['refresh_failed', 'reconnect_required'],
      ['status_changed', 'reconnect_required'],
    ]);
  });

  it('refreshes once after a 401 and retries once; a second 401 is final', async () => {
    const credentials = port();
    const account = await connectX(credentials);
    // The token dies early at the platform, while it should still have an hour.
    fake.oauth.expireAccessToken();
    const adapter = withUsableCredentials(new TwitterAdapter(), credentials, WS, account.id);
    const request = { account, text: 'one refresh', media: [], index: 0, total: 1, idempotencyKey: 'k', requestedAt: new Date().toISOString(), settings: {} };
    expect((await adapter.publishSegment(request)).post_id).toBeTruthy();
    expect(fake.oauth.refreshes).toBe(1);

    const again = withUsableCredentials(new TwitterAdapter(), credentials, WS, account.id);
    fake.failNext('POST /2/tweets', { status: 401 }, 2);
    const refused = await rejection(again.publishSegment({ ...request, text: 'refused twice' }));
    expect(refused.kind).toBe('auth');
    expect(fake.oauth.refreshes).toBe(2);
    expect(fake.requestsTo('POST /2/tweets')).toBe(4);
  });

  it('keeps accounts that nothing refreshes and says when their token is about to end', async () => {
    const credentials = port();
    const view = await accounts.connect(WS, { platform: 'linkedin', name: 'LinkedIn', credentials: { access_token: 'li-token', author_urn: 'urn:li:person:1' } });
    const account = (await accounts.credentialsOf(WS, view.id)) as PlatformAccount;
    await credentials.recordConnected(WS, account, { via: 'oauth', expiresInS: 60 * 24 * 3600, reconnected: false });
    expect(await credentials.renewDue()).toBe(0);
    clock += 53 * 24 * 3600_000 + 1;
    expect(await credentials.renewDue()).toBe(1);
    expect(await credentials.state(WS, view.id)).toMatchObject({ status: 'expiring', renew_at: null });
    expect(changes).toEqual([expect.objectContaining({ account_id: view.id, status: 'expiring' })]);
    expect((await credentials.usable(WS, view.id))?.credentials.access_token).toBe('li-token');
  });
});
