import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteRegistry } from './sqlite-registry-storage';
import { registryStorageContract } from './testing/registry-storage-contract';

describe('SqliteRegistryStorage', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'registry-sqlite-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('contract', () => {
    registryStorageContract(async () => openSqliteRegistry(join(dir, 'registry.sqlite')));
  });

  it('creates the directory, and opens the file in WAL mode with synchronous=FULL', async () => {
    const path = join(dir, 'nested', 'deeper', 'registry.sqlite');
    const storage = openSqliteRegistry(path);
    await storage.insertWorkspace({ id: 'ws_1', name: 'one', created_at: '2026-01-01T00:00:00.000Z' });
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
    expect((storage as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true })).toBe(2);
    await storage.close();
  });

  it('keeps its records across reopening', async () => {
    const path = join(dir, 'registry.sqlite');
    const first = openSqliteRegistry(path);
    await first.insertWorkspace({ id: 'ws_1', name: 'one', created_at: '2026-01-01T00:00:00.000Z' });
    await first.close();
    const second = openSqliteRegistry(path);
    expect(await second.getWorkspace('ws_1')).toMatchObject({ name: 'one' });
    await second.close();
  });
});
