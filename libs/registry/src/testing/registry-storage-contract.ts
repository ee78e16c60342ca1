import type { ApiKeyRecord, IdempotencyRecord, RegistryStorage } from '../storage';
import type { AccountTokenState } from '../token-storage';

/**
 * The behaviour every RegistryStorage adapter must show; run by each adapter's spec.
 * `open` gives an empty storage for each test; the suite closes it.
 */
export function registryStorageContract(open: () => Promise<RegistryStorage>): void {
  let storage: RegistryStorage;
  const base = Math.floor(Date.now() / 1000) * 1000;

  beforeEach(async () => {
    storage = await open();
  });

  afterEach(async () => {
    await storage.close();
  });

  const key = (overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
    id: 'key_1',
    workspace_id: 'ws_1',
    name: 'main',
    key_hash: 'a'.repeat(64),
    rate_limit_per_minute: 60,
    created_at: '2026-01-01T00:00:00.000Z',
    revoked_at: null,
    ...overrides,
  });

  const claim = (overrides: Partial<IdempotencyRecord> = {}): IdempotencyRecord => ({
    workspace_id: 'ws_1',
    key: 'idem-1',
    fingerprint: 'fp-1',
    status: 'in_progress',
    response: null,
    created_at: new Date(base).toISOString(),
    ...overrides,
  });

  describe('workspaces', () => {
    it('stores, finds and lists oldest first', async () => {
      await storage.insertWorkspace({ id: 'ws_b', name: 'B', created_at: '2026-01-02T00:00:00.000Z' });
      await storage.insertWorkspace({ id: 'ws_a', name: 'A', created_at: '2026-01-01T00:00:00.000Z' });
      expect(await storage.getWorkspace('ws_b')).toEqual({ id: 'ws_b', name: 'B', created_at: '2026-01-02T00:00:00.000Z' });
      expect(await storage.getWorkspace('ws_none')).toBeNull();
      expect((await storage.listWorkspaces()).map((w) => w.id)).toEqual(['ws_a', 'ws_b']);
    });

    it('ensureWorkspace inserts once and keeps the first record', async () => {
      const first = await storage.ensureWorkspace({ id: 'default', name: 'default', created_at: '2026-01-01T00:00:00.000Z' });
      const second = await storage.ensureWorkspace({ id: 'default', name: 'other', created_at: '2027-01-01T00:00:00.000Z' });
      expect(second).toEqual(first);
      expect(await storage.listWorkspaces()).toHaveLength(1);
    });
  });

  describe('api keys', () => {
    it('finds a key by hash and by id, and refuses a second key with the same hash', async () => {
      await storage.insertApiKey(key());
      expect(await storage.findApiKeyByHash('a'.repeat(64))).toEqual(key());
      expect(await storage.getApiKey('key_1')).toEqual(key());
      expect(await storage.findApiKeyByHash('b'.repeat(64))).toBeNull();
      // Matched on the message: better-sqlite3's error class may come from another realm under jest.
      await expect(storage.insertApiKey(key({ id: 'key_2' }))).rejects.toHaveProperty('message', expect.stringMatching(/unique|duplicate/i));
    });

    it('lists the keys of one workspace, oldest first', async () => {
      await storage.insertApiKey(key({ id: 'key_2', key_hash: '2'.repeat(64), created_at: '2026-01-02T00:00:00.000Z' }));
      await storage.insertApiKey(key({ id: 'key_1', key_hash: '1'.repeat(64) }));
      await storage.insertApiKey(key({ id: 'key_3', key_hash: '3'.repeat(64), workspace_id: 'ws_2' }));
      expect((await storage.listApiKeys('ws_1')).map((k) => k.id)).toEqual(['key_1', 'key_2']);
    });

    it('revokes an active key once', async () => {
      await storage.insertApiKey(key());
      expect(await storage.revokeApiKey('key_1', '2026-02-01T00:00:00.000Z')).toBe(true);
      expect(await storage.revokeApiKey('key_1', '2026-03-01T00:00:00.000Z')).toBe(false);
      expect(await storage.revokeApiKey('key_none', '2026-03-01T00:00:00.000Z')).toBe(false);
      expect((await storage.getApiKey('key_1'))?.revoked_at).toBe('2026-02-01T00:00:00.000Z');
    });

    it('upsertApiKeyByHash inserts, then reactivates in place keeping id and created_at', async () => {
      const inserted = await storage.upsertApiKeyByHash(key());
      expect(inserted).toEqual(key());
      await storage.revokeApiKey('key_1', '2026-02-01T00:00:00.000Z');
      const updated = await storage.upsertApiKeyByHash(
        key({ id: 'key_other', workspace_id: 'default', rate_limit_per_minute: 1000, created_at: '2027-01-01T00:00:00.000Z' }),
      );
      expect(updated).toMatchObject({ id: 'key_1', workspace_id: 'default', rate_limit_per_minute: 1000, created_at: key().created_at, revoked_at: null });
      expect(await storage.findApiKeyByHash(key().key_hash)).toEqual(updated);
      expect(await storage.getApiKey('key_other')).toBeNull();
    });
  });

  describe('accounts', () => {
    const account = (id: string, workspace_id: string, created_at: string) => ({
      id,
      workspace_id,
      platform: 'bluesky' as const,
      name: id,
      base_url: null,
      sealed_credentials: `sealed-${id}`,
      created_at,
    });

    it('keeps accounts apart by workspace and lists them oldest first', async () => {
      await storage.insertAccount(account('acc_2', 'ws_1', '2026-01-02T00:00:00.000Z'));
      await storage.insertAccount(account('acc_1', 'ws_1', '2026-01-01T00:00:00.000Z'));
      await storage.insertAccount(account('acc_3', 'ws_2', '2026-01-01T00:00:00.000Z'));
      expect((await storage.listAccounts('ws_1')).map((a) => a.id)).toEqual(['acc_1', 'acc_2']);
      expect(await storage.getAccount('ws_1', 'acc_1')).toEqual(account('acc_1', 'ws_1', '2026-01-01T00:00:00.000Z'));
      expect(await storage.getAccount('ws_2', 'acc_1')).toBeNull();
      expect(await storage.deleteAccount('ws_2', 'acc_1')).toBe(false);
      expect(await storage.deleteAccount('ws_1', 'acc_1')).toBe(true);
      expect(await storage.getAccount('ws_1', 'acc_1')).toBeNull();
    });

    it('lists every account created in the same instant', async () => {
      for (const id of ['acc_c', 'acc_a', 'acc_b']) await storage.insertAccount(account(id, 'ws_1', '2026-01-01T00:00:00.000Z'));
      const ids = (await storage.listAccounts('ws_1')).map((a) => a.id);
      expect(ids).toHaveLength(3);
      expect(new Set(ids)).toEqual(new Set(['acc_a', 'acc_b', 'acc_c']));
    });
  });

  describe('webhooks', () => {
    const webhook = (id: string, workspace_id: string, events: string[], created_at = '2026-01-01T00:00:00.000Z') => ({
      id,
      workspace_id,
      url: `https://example.test/${id}`,
      events,
      description: null,
      sealed_secret: `sealed-${id}`,
      created_at,
    });
    const delivery = (id: string, delivered_at: string, webhook_id = 'wh_1') => ({
      id,
      workspace_id: 'ws_1',
      webhook_id,
      event: 'post.published',
      event_id: 'evt_1',
      status_code: 500,
      attempt: 1,
      succeeded: false,
      error: 'boom',
      delivered_at,
    });

    it('filters subscribers by event and by workspace', async () => {
      await storage.insertWebhook(webhook('wh_1', 'ws_1', ['post.published', 'post.failed']));
      await storage.insertWebhook(webhook('wh_2', 'ws_1', ['post.failed'], '2026-01-02T00:00:00.000Z'));
      await storage.insertWebhook(webhook('wh_3', 'ws_2', ['post.published']));
      expect((await storage.listWebhooks('ws_1')).map((w) => w.id)).toEqual(['wh_1', 'wh_2']);
      expect((await storage.listWebhooks('ws_1', 'post.published')).map((w) => w.id)).toEqual(['wh_1']);
      expect((await storage.listWebhooks('ws_1', 'post.failed')).map((w) => w.id)).toEqual(['wh_1', 'wh_2']);
      expect(await storage.getWebhook('ws_1', 'wh_1')).toEqual(webhook('wh_1', 'ws_1', ['post.published', 'post.failed']));
      expect(await storage.getWebhook('ws_2', 'wh_1')).toBeNull();
      expect(await storage.deleteWebhook('ws_2', 'wh_1')).toBe(false);
    });

    it('logs deliveries newest first and forgets them with their webhook', async () => {
      await storage.insertWebhook(webhook('wh_1', 'ws_1', ['post.published']));
      await storage.insertWebhookDelivery(delivery('whd_1', '2026-01-01T00:00:01.000Z'));
      await storage.insertWebhookDelivery(delivery('whd_2', '2026-01-01T00:00:03.000Z'));
      await storage.insertWebhookDelivery(delivery('whd_3', '2026-01-01T00:00:02.000Z'));
      expect((await storage.listWebhookDeliveries('ws_1', 'wh_1', 10)).map((d) => d.id)).toEqual(['whd_2', 'whd_3', 'whd_1']);
      expect((await storage.listWebhookDeliveries('ws_1', 'wh_1', 2)).map((d) => d.id)).toEqual(['whd_2', 'whd_3']);
      expect((await storage.listWebhookDeliveries('ws_1', 'wh_1', 1))[0]).toEqual(delivery('whd_2', '2026-01-01T00:00:03.000Z'));
      expect(await storage.listWebhookDeliveries('ws_2', 'wh_1', 10)).toEqual([]);
      expect(await storage.deleteWebhook('ws_1', 'wh_1')).toBe(true);
      expect(await storage.listWebhookDeliveries('ws_1', 'wh_1', 10)).toEqual([]);
    });
  });

  describe('idempotency keys', () => {
    // Relative to the real clock: MongoDB's TTL monitor removes records by it, whatever the test says.
    const at = (hours: number) => new Date(base + hours * 3_600_000).toISOString();
    const expiredBefore = at(-1);

    it('claims a key once; a second claim sees the first record', async () => {
      expect(await storage.claimIdempotencyKey(claim(), expiredBefore)).toBeNull();
      expect(await storage.claimIdempotencyKey(claim({ fingerprint: 'fp-2' }), expiredBefore)).toEqual(claim());
      expect(await storage.claimIdempotencyKey(claim({ workspace_id: 'ws_2' }), expiredBefore)).toBeNull();
    });

    it('stores the response on completion', async () => {
      await storage.claimIdempotencyKey(claim(), expiredBefore);
      const response = { status: 201, body: { id: 'post_1', nested: { $odd: 'x.y' } }, headers: { location: '/v1/posts/post_1' } };
      await storage.completeIdempotencyKey('ws_1', 'idem-1', response);
      expect(await storage.claimIdempotencyKey(claim(), expiredBefore)).toEqual(claim({ status: 'completed', response }));
    });

    it('replaces a record created before the expiry instant', async () => {
      await storage.claimIdempotencyKey(claim({ created_at: at(-2) }), expiredBefore);
      expect(await storage.claimIdempotencyKey(claim({ fingerprint: 'fp-new' }), expiredBefore)).toBeNull();
      expect(await storage.claimIdempotencyKey(claim(), expiredBefore)).toMatchObject({ fingerprint: 'fp-new' });
    });

    it('releases only a record still in progress', async () => {
      await storage.claimIdempotencyKey(claim(), expiredBefore);
      await storage.releaseIdempotencyKey('ws_1', 'idem-1');
      expect(await storage.claimIdempotencyKey(claim(), expiredBefore)).toBeNull();
      await storage.completeIdempotencyKey('ws_1', 'idem-1', { status: 200, body: null, headers: {} });
      await storage.releaseIdempotencyKey('ws_1', 'idem-1');
      expect(await storage.claimIdempotencyKey(claim(), expiredBefore)).toMatchObject({ status: 'completed' });
    });

    it('purges records created before an instant', async () => {
      await storage.claimIdempotencyKey(claim({ key: 'old', created_at: at(-3) }), at(-10));
      await storage.claimIdempotencyKey(claim({ key: 'new', created_at: at(0) }), at(-10));
      expect(await storage.purgeIdempotencyKeys(at(-2))).toBe(1);
      expect(await storage.claimIdempotencyKey(claim({ key: 'old' }), at(-10))).toBeNull();
      expect(await storage.claimIdempotencyKey(claim({ key: 'new' }), at(-10))).not.toBeNull();
    });

    it('lets exactly one of many concurrent claims win', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => storage.claimIdempotencyKey(claim({ fingerprint: `fp-${i}` }), expiredBefore)),
      );
      expect(results.filter((r) => r === null)).toHaveLength(1);
    });
  });

  describe('account tokens', () => {
    const state = (overrides: Partial<AccountTokenState> = {}): AccountTokenState => ({
      workspace_id: 'ws_1',
      account_id: 'acc_1',
      connected_via: 'oauth',
      status: 'active',
      status_reason: null,
      expires_at: '2026-01-01T02:00:00.000Z',
      grant_expires_at: null,
      renew_at: null,
      platform_user_id: '42',
      platform_username: 'someone',
      updated_at: '2026-01-01T00:00:00.000Z',
      ...overrides,
    });

    it('keeps one token state per account, replaced on put, per workspace', async () => {
      await storage.putAccountTokenState(state());
      await storage.putAccountTokenState(state({ status: 'reconnect_required', status_reason: 'revoked' }));
      expect(await storage.getAccountTokenState('ws_1', 'acc_1')).toEqual(state({ status: 'reconnect_required', status_reason: 'revoked' }));
      expect(await storage.getAccountTokenState('ws_2', 'acc_1')).toBeNull();
    });

    it('lists renewals due, soonest first, leaving out accounts waiting for a reconnect', async () => {
      await storage.putAccountTokenState(state({ account_id: 'acc_late', renew_at: '2026-03-02T00:00:00.000Z' }));
      await storage.putAccountTokenState(state({ account_id: 'acc_b', renew_at: '2026-02-02T00:00:00.000Z' }));
      await storage.putAccountTokenState(state({ account_id: 'acc_a', renew_at: '2026-02-01T00:00:00.000Z' }));
      await storage.putAccountTokenState(state({ account_id: 'acc_dead', renew_at: '2026-01-01T00:00:00.000Z', status: 'reconnect_required' }));
      await storage.putAccountTokenState(state({ account_id: 'acc_none' }));
      const due = await storage.listAccountTokenStatesDue('2026-02-15T00:00:00.000Z', 10);
      expect(due.map((s) => s.account_id)).toEqual(['acc_a', 'acc_b']);
    });

    it('replaces the sealed credentials of an existing account only', async () => {
      await storage.insertAccount({ id: 'acc_1', workspace_id: 'ws_1', platform: 'twitter', name: 'x', base_url: null, sealed_credentials: 'old', created_at: '2026-01-01T00:00:00.000Z' });
      expect(await storage.replaceAccountCredentials('ws_1', 'acc_1', 'new')).toBe(true);
      expect(await storage.replaceAccountCredentials('ws_2', 'acc_1', 'other')).toBe(false);
      expect((await storage.getAccount('ws_1', 'acc_1'))?.sealed_credentials).toBe('new');
    });

    it('appends history and lists it oldest first per account', async () => {
      const entry = { workspace_id: 'ws_1', account_id: 'acc_1', status: 'active' as const, reason: null };
      await storage.appendAccountHistory({ ...entry, id: 'h_1', type: 'connected', at: '2026-01-01T00:00:00.000Z' });
      await storage.appendAccountHistory({ ...entry, id: 'h_2', type: 'refreshed', at: '2026-01-01T01:00:00.000Z' });
      await storage.appendAccountHistory({ ...entry, id: 'h_3', account_id: 'acc_2', type: 'connected', at: '2026-01-01T00:30:00.000Z' });
      expect((await storage.listAccountHistory('ws_1', 'acc_1', 10)).map((h) => h.id)).toEqual(['h_1', 'h_2']);
      expect(await storage.listAccountHistory('ws_1', 'acc_1', 1)).toHaveLength(1);
      expect(await storage.listAccountHistory('ws_2', 'acc_1', 10)).toEqual([]);
    });

    it('gives a lease to one holder until it expires or is released', async () => {
      const t = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes)).toISOString();
      expect(await storage.acquireLease('refresh:acc_1', 'a', t(1), t(0))).toBe(true);
      expect(await storage.acquireLease('refresh:acc_1', 'b', t(1), t(0))).toBe(false);
      expect(await storage.acquireLease('refresh:acc_1', 'a', t(2), t(0))).toBe(true);
      expect(await storage.acquireLease('refresh:acc_1', 'b', t(3), t(2))).toBe(true);
      await storage.releaseLease('refresh:acc_1', 'a');
      expect(await storage.acquireLease('refresh:acc_1', 'a', t(4), t(2))).toBe(false);
      await storage.releaseLease('refresh:acc_1', 'b');
      expect(await storage.acquireLease('refresh:acc_1', 'a', t(4), t(2))).toBe(true);
    });

    it('hands an OAuth state out once', async () => {
      const record = { state_hash: 'h'.repeat(64), workspace_id: 'ws_1', platform: 'twitter', name: null, base_url: null, redirect_url: 'https://app.example/done', options: '{}', sealed_verifier: 'sealed', created_at: '2026-01-01T00:00:00.000Z', expires_at: '2026-01-01T00:10:00.000Z' };
      await storage.insertOAuthState(record);
      const taken = await Promise.all([storage.takeOAuthState(record.state_hash), storage.takeOAuthState(record.state_hash)]);
      expect(taken.filter((t) => t !== null)).toEqual([record]);
      expect(await storage.takeOAuthState('unknown')).toBeNull();
    });

    it('lets exactly one of many concurrent holders take a lease', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => storage.acquireLease('refresh:acc_9', `h${i}`, '2026-01-01T00:01:00.000Z', '2026-01-01T00:00:00.000Z')),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
