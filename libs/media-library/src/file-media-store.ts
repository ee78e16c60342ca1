import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import type { Database as Connection } from 'better-sqlite3';
import { type ByteRange, MediaBlobMissing, type MediaRecord, type MediaStore } from './port';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS media (
  id           TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  sha256       TEXT NOT NULL,
  bytes        INTEGER NOT NULL,
  origin       TEXT NOT NULL,
  referenced   INTEGER NOT NULL DEFAULT 0,
  created_at   TEXT NOT NULL,
  record       TEXT NOT NULL,
  UNIQUE (workspace_id, sha256)
);
CREATE INDEX IF NOT EXISTS media_workspace ON media (workspace_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS media_imports ON media (origin, referenced, created_at);
`;

/** Keys are generated ids; anything else could escape the directory. */
const SAFE_KEY = /^[A-Za-z0-9_-]{1,128}$/;

interface Row {
  record: string;
  referenced: number;
}

function fromRow(row: Row): MediaRecord {
  return { ...(JSON.parse(row.record) as MediaRecord), referenced: row.referenced === 1 };
}

/**
 * Embedded media storage: each blob a file under `<dir>/blobs`, written to a `.part` file and
 * renamed when complete (a crash never leaves a half blob under its name), records in
 * `<dir>/media.sqlite`.
 */
export class FileMediaStore implements MediaStore {
  readonly adapter = 'files' as const;
  private readonly db: Connection;
  private readonly blobs: string;

  constructor(readonly directory: string) {
    this.blobs = join(directory, 'blobs');
    mkdirSync(this.blobs, { recursive: true });
    this.db = new Database(join(directory, 'media.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  private pathOf(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error(`invalid media key ${JSON.stringify(key)}`);
    return join(this.blobs, key);
  }

  async putBlob(key: string, source: Readable): Promise<{ bytes: number }> {
    const path = this.pathOf(key);
    const partial = `${path}.part`;
    let bytes = 0;
    source.on('data', (chunk: Buffer) => (bytes += chunk.length));
    try {
      await pipeline(source, createWriteStream(partial, { flags: 'wx' }));
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { bytes };
  }

  async openBlob(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    try {
      await stat(path);
    } catch {
      throw new MediaBlobMissing(key);
    }
    return createReadStream(path, range ? { start: range.start, end: range.end, highWaterMark: 1024 * 1024 } : { highWaterMark: 1024 * 1024 });
  }

  async removeBlob(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async insertRecord(record: MediaRecord): Promise<{ record: MediaRecord; created: boolean }> {
    const inserted = this.db
      .prepare(
        `INSERT INTO media (id, workspace_id, sha256, bytes, origin, referenced, created_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, sha256) DO NOTHING`,
      )
      .run(record.id, record.workspace_id, record.sha256, record.bytes, record.origin, record.referenced ? 1 : 0, record.created_at, JSON.stringify(record));
    if (inserted.changes === 1) return { record, created: true };
    const row = this.db.prepare('SELECT record, referenced FROM media WHERE workspace_id = ? AND sha256 = ?').get(record.workspace_id, record.sha256) as Row;
    return { record: fromRow(row), created: false };
  }

  async getRecord(id: string): Promise<MediaRecord | null> {
    const row = this.db.prepare('SELECT record, referenced FROM media WHERE id = ?').get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async listRecords(workspaceId: string, limit: number, offset: number): Promise<{ media: MediaRecord[]; total: number }> {
    const rows = this.db
      .prepare('SELECT record, referenced FROM media WHERE workspace_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?')
      .all(workspaceId, limit, offset) as Row[];
    const { total } = this.db.prepare('SELECT COUNT(*) AS total FROM media WHERE workspace_id = ?').get(workspaceId) as { total: number };
    return { media: rows.map(fromRow), total };
  }

  async usedBytes(workspaceId: string): Promise<number> {
    const { used } = this.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS used FROM media WHERE workspace_id = ?').get(workspaceId) as { used: number };
    return used;
  }

  async markReferenced(ids: readonly string[]): Promise<void> {
    const mark = this.db.prepare('UPDATE media SET referenced = 1 WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => mark.run(id)))();
  }

  async unreferencedImports(before: string, limit: number): Promise<MediaRecord[]> {
    const rows = this.db
      .prepare(`SELECT record, referenced FROM media WHERE origin = 'url' AND referenced = 0 AND created_at < ? ORDER BY created_at LIMIT ?`)
      .all(before, limit) as Row[];
    return rows.map(fromRow);
  }

  async removeRecord(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM media WHERE id = ?').run(id).changes === 1;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
