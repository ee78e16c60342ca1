import Database from 'better-sqlite3';
import { RegistryInvalid } from './errors';
import { IDEMPOTENCY_STALE_MS, IDEMPOTENCY_TTL_MS, IdempotencyKeys } from './idempotency-keys';
import { openTempRegistry, type TempRegistry } from './testing/temp-registry';

describe('IdempotencyKeys', () => {
  let registry: TempRegistry;
  let keys: IdempotencyKeys;
  const t0 = new Date('2026-03-01T12:00:00.000Z');
  const later = (ms: number) => new Date(t0.getTime() + ms);
  const response = { status: 201, body: { id: 'post_1', content: 'hi' }, headers: { location: '/v1/posts/post_1' } };

  beforeEach(() => {
    registry = openTempRegistry();
    keys = new IdempotencyKeys(registry.storage);
  });

  afterEach(async () => {
    await registry.cleanup();
  });

  it('starts a new key, answers in_progress meanwhile, then replays the first response', async () => {
    expect(await keys.begin('ws_1', 'k1', 'fp', t0)).toEqual({ state: 'new' });
    expect(await keys.begin('ws_1', 'k1', 'fp', later(10))).toEqual({ state: 'in_progress' });
    await keys.complete('ws_1', 'k1', response);
    expect(await keys.begin('ws_1', 'k1', 'fp', later(20))).toEqual({ state: 'replay', ...response });
  });

  it('frees a key whose first request died in progress, but not a completed one', async () => {
    await keys.begin('ws_1', 'k1', 'fp', t0);
    expect(await keys.begin('ws_1', 'k1', 'fp', later(IDEMPOTENCY_STALE_MS - 1))).toEqual({ state: 'in_progress' });
    expect(await keys.begin('ws_1', 'k1', 'fp', later(IDEMPOTENCY_STALE_MS + 1))).toEqual({ state: 'new' });
    await keys.complete('ws_1', 'k1', response);
    expect(await keys.begin('ws_1', 'k1', 'fp', later(3 * IDEMPOTENCY_STALE_MS))).toEqual({ state: 'replay', ...response });
  });

  it('answers mismatch for the same key with another request', async () => {
    await keys.begin('ws_1', 'k1', 'fp', t0);
    expect(await keys.begin('ws_1', 'k1', 'other', later(1))).toEqual({ state: 'mismatch' });
    await keys.complete('ws_1', 'k1', response);
    expect(await keys.begin('ws_1', 'k1', 'other', later(2))).toEqual({ state: 'mismatch' });
  });

  it('forgets an abandoned key so the client may retry, but never a completed one', async () => {
    await keys.begin('ws_1', 'k1', 'fp', t0);
    await keys.abandon('ws_1', 'k1');
    expect(await keys.begin('ws_1', 'k1', 'other', later(1))).toEqual({ state: 'new' });
    await keys.complete('ws_1', 'k1', response);
    await keys.abandon('ws_1', 'k1');
    expect(await keys.begin('ws_1', 'k1', 'other', later(2))).toMatchObject({ state: 'replay' });
  });

  it('keeps a key 24 h, then treats it as new', async () => {
    await keys.begin('ws_1', 'k1', 'fp', t0);
    await keys.complete('ws_1', 'k1', response);
    expect(await keys.begin('ws_1', 'k1', 'other', later(IDEMPOTENCY_TTL_MS))).toEqual({ state: 'mismatch' });
    expect(await keys.begin('ws_1', 'k1', 'other', later(IDEMPOTENCY_TTL_MS + 1))).toEqual({ state: 'new' });
    expect(await keys.begin('ws_1', 'k1', 'fp', later(IDEMPOTENCY_TTL_MS + 2))).toEqual({ state: 'mismatch' });
  });

  it('keys apart workspaces', async () => {
    await keys.begin('ws_1', 'k1', 'fp', t0);
    expect(await keys.begin('ws_2', 'k1', 'other', t0)).toEqual({ state: 'new' });
  });

  it('purges expired records of other keys lazily', async () => {
    await keys.begin('ws_1', 'old', 'fp', t0);
    await keys.begin('ws_1', 'fresh', 'fp', later(IDEMPOTENCY_TTL_MS));
    // A new instance has not purged yet; its first begin a day later sweeps.
    await new IdempotencyKeys(registry.storage).begin('ws_1', 'other', 'fp', later(IDEMPOTENCY_TTL_MS + 60_000));
    const db = new Database(registry.path, { readonly: true });
    const stored = (db.prepare('SELECT key FROM idempotency_keys ORDER BY key').all() as { key: string }[]).map((r) => r.key);
    db.close();
    expect(stored).toEqual(['fresh', 'other']);
  });

  it('refuses an empty or overlong key', async () => {
    await expect(keys.begin('ws_1', '', 'fp', t0)).rejects.toThrow(RegistryInvalid);
    await expect(keys.begin('ws_1', 'k'.repeat(256), 'fp', t0)).rejects.toMatchObject({ details: [{ field: 'Idempotency-Key' }] });
  });
});
