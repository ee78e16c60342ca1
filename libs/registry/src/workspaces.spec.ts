import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { RegistryInvalid, RegistryNotFound } from './errors';
import { SqliteRegistryStorage } from './sqlite-registry-storage';
import { openTempRegistry, type TempRegistry } from './testing/temp-registry';
import { DEFAULT_WORKSPACE_ID, Workspaces } from './workspaces';

describe('Workspaces', () => {
  let registry: TempRegistry;
  let workspaces: Workspaces;

  beforeEach(() => {
    registry = openTempRegistry();
    workspaces = new Workspaces(registry.storage);
  });

  afterEach(async () => {
    await registry.cleanup();
  });

  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('creates workspaces with ws_ ids and lists them', async () => {
    const a = await workspaces.createWorkspace('Acme');
    const b = await workspaces.createWorkspace('  Beta  ');
    expect(a.id).toMatch(/^ws_[0-9A-Za-z]{16,}$/);
    expect(b.name).toBe('Beta');
    expect(a.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect((await workspaces.listWorkspaces()).map((w) => w.id)).toEqual([a.id, b.id]);
    await expect(workspaces.createWorkspace('')).rejects.toThrow(RegistryInvalid);
    await expect(workspaces.createWorkspace('x'.repeat(101))).rejects.toThrow(RegistryInvalid);
  });

  it('stores the sha256 of a new key, never the key, and authenticates with it', async () => {
    const ws = await workspaces.createWorkspace('Acme');
    const created = await workspaces.createKey(ws.id, { name: 'ci' });
    expect(created.key).toMatch(/^pl_live_[0-9A-Za-z]{32}$/);
    expect(created.id).toMatch(/^key_[0-9A-Za-z]{16,}$/);
    expect(created).toMatchObject({ workspace_id: ws.id, name: 'ci', rate_limit_per_minute: 60 });

    const db = new Database(registry.path, { readonly: true });
    const rows = db.prepare('SELECT * FROM api_keys').all() as Record<string, unknown>[];
    db.close();
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).toBe(sha256(created.key));
    expect(JSON.stringify(rows)).not.toContain(created.key);
    expect(registry.bytesOnDisk().includes(Buffer.from(created.key))).toBe(false);
    expect(registry.bytesOnDisk().includes(Buffer.from(sha256(created.key)))).toBe(true);

    expect(await workspaces.authenticate(created.key)).toEqual({ key_id: created.id, workspace_id: ws.id, rate_limit_per_minute: 60 });
    expect(await workspaces.authenticate(`${created.key}x`)).toBeNull();
    expect(await workspaces.authenticate('')).toBeNull();
    expect(await workspaces.authenticate('x'.repeat(10_000))).toBeNull();
  });

  it('lists keys without the key or its hash', async () => {
    const ws = await workspaces.createWorkspace('Acme');
    const created = await workspaces.createKey(ws.id);
    const listed = await workspaces.listKeys(ws.id);
    expect(listed).toEqual([
      { id: created.id, workspace_id: ws.id, name: 'default', rate_limit_per_minute: 60, created_at: created.created_at, revoked_at: null },
    ]);
    expect(JSON.stringify(listed)).not.toContain(sha256(created.key));
    expect(await workspaces.listKeys('ws_other')).toEqual([]);
  });

  it('sets the rate limit from the tier, or the explicit limit', async () => {
    const ws = await workspaces.createWorkspace('Acme');
    expect((await workspaces.createKey(ws.id, { tier: 'free' })).rate_limit_per_minute).toBe(60);
    expect((await workspaces.createKey(ws.id, { tier: 'starter' })).rate_limit_per_minute).toBe(300);
    expect((await workspaces.createKey(ws.id, { tier: 'pro' })).rate_limit_per_minute).toBe(1000);
    expect((await workspaces.createKey(ws.id, { tier: 'pro', rate_limit_per_minute: 7 })).rate_limit_per_minute).toBe(7);
  });

  it('refuses bad key options and unknown workspaces', async () => {
    const ws = await workspaces.createWorkspace('Acme');
    await expect(workspaces.createKey(ws.id, { tier: 'gold' as never })).rejects.toMatchObject({ details: [{ field: 'tier' }] });
    await expect(workspaces.createKey(ws.id, { tier: 'toString' as never })).rejects.toThrow(RegistryInvalid);
    await expect(workspaces.createKey(ws.id, { rate_limit_per_minute: 0 })).rejects.toMatchObject({ details: [{ field: 'rate_limit_per_minute' }] });
    await expect(workspaces.createKey(ws.id, { rate_limit_per_minute: 1.5 })).rejects.toThrow(RegistryInvalid);
    await expect(workspaces.createKey(ws.id, { name: '' })).rejects.toMatchObject({ details: [{ field: 'name' }] });
    await expect(workspaces.createKey('ws_missing')).rejects.toThrow(RegistryNotFound);
  });

  it('refuses a revoked key at once through the instance that revoked it', async () => {
    const ws = await workspaces.createWorkspace('Acme');
    const created = await workspaces.createKey(ws.id);
    expect(await workspaces.authenticate(created.key)).not.toBeNull();
    expect(await workspaces.revokeKey(created.id)).toBe(true);
    expect(await workspaces.revokeKey(created.id)).toBe(false);
    expect(await workspaces.revokeKey('key_unknown')).toBe(false);
    expect(await workspaces.authenticate(created.key)).toBeNull();
    expect((await workspaces.listKeys(ws.id))[0].revoked_at).not.toBeNull();
  });

  it('refuses a key revoked elsewhere once its cache entry is 1 s old', async () => {
    let now = Date.parse('2026-03-01T12:00:00.000Z');
    const api = new Workspaces(registry.storage, { now: () => now });
    const cli = new Workspaces(registry.storage);
    const ws = await cli.createWorkspace('Acme');
    const created = await cli.createKey(ws.id);
    expect(await api.authenticate(created.key)).not.toBeNull();
    await cli.revokeKey(created.id);
    now += 999;
    expect(await api.authenticate(created.key)).not.toBeNull();
    now += 1;
    expect(await api.authenticate(created.key)).toBeNull();
  });

  it('bootstraps POSTLOOM_API_KEY into workspace default, idempotently across reopening', async () => {
    const raw = 'sk_test_quickstart_key';
    const first = await workspaces.ensureBootstrapKey(raw);
    expect(first).toMatchObject({ workspace_id: DEFAULT_WORKSPACE_ID, rate_limit_per_minute: 1000 });
    expect(await workspaces.ensureBootstrapKey(raw)).toEqual(first);
    await registry.storage.close();

    const reopened = new SqliteRegistryStorage(registry.path);
    try {
      const again = new Workspaces(reopened);
      expect(await again.ensureBootstrapKey(raw)).toEqual(first);
      expect(await again.authenticate(raw)).toEqual(first);
      expect(await again.listWorkspaces()).toEqual([expect.objectContaining({ id: DEFAULT_WORKSPACE_ID, name: 'default' })]);
      expect(await again.listKeys(DEFAULT_WORKSPACE_ID)).toHaveLength(1);

      expect(await again.ensureBootstrapKey(raw, { rate_limit_per_minute: 5 })).toEqual({ ...first, rate_limit_per_minute: 5 });
      expect(await again.authenticate(raw)).toEqual({ ...first, rate_limit_per_minute: 5 });

      await again.revokeKey(first.key_id);
      expect(await again.authenticate(raw)).toBeNull();
      await again.ensureBootstrapKey(raw);
      expect(await again.authenticate(raw)).toEqual(first);
      await expect(again.ensureBootstrapKey('')).rejects.toThrow(RegistryInvalid);
    } finally {
      await reopened.close();
    }
  });
});
