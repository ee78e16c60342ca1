import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Connection } from 'better-sqlite3';
import type { WebhookEvent } from '../../registry';
import type { PendingDelivery, WebhookOutbox } from './outbox';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS webhook_outbox (
  id           TEXT    PRIMARY KEY,
  workspace_id TEXT    NOT NULL,
  webhook_id   TEXT    NOT NULL,
  event        TEXT    NOT NULL,
  event_id     TEXT    NOT NULL,
  body         TEXT    NOT NULL,
  attempts     INTEGER NOT NULL,
  due_at       INTEGER NOT NULL,
  leased_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS webhook_outbox_due ON webhook_outbox (due_at);
CREATE TABLE IF NOT EXISTS webhook_outbox_checkpoint (
  name     TEXT    PRIMARY KEY,
  position INTEGER NOT NULL
);
`;

interface Row {
  id: string;
  workspace_id: string;
  webhook_id: string;
  event: string;
  event_id: string;
  body: string;
  attempts: number;
  due_at: number;
}

const toDelivery = (row: Row): PendingDelivery => ({ ...row, event: row.event as WebhookEvent, attempts: Number(row.attempts), due_at: Number(row.due_at) });

/** The embedded outbox: one SQLite file (`${DATA_DIR}/webhook-outbox.sqlite`), WAL, synchronous=FULL. */
export class SqliteWebhookOutbox implements WebhookOutbox {
  private readonly db: Connection;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // A delivery acknowledged to the subscription must not vanish with a power cut.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  async enqueue(deliveries: PendingDelivery[], position: bigint): Promise<void> {
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO webhook_outbox (id, workspace_id, webhook_id, event, event_id, body, attempts, due_at) VALUES (@id, @workspace_id, @webhook_id, @event, @event_id, @body, @attempts, @due_at)',
    );
    const save = this.db.prepare(
      "INSERT INTO webhook_outbox_checkpoint (name, position) VALUES ('subscription', ?) ON CONFLICT (name) DO UPDATE SET position = max(position, excluded.position)",
    );
    this.db.transaction(() => {
      for (const d of deliveries) insert.run(d);
      save.run(position);
    })();
  }

  async checkpoint(): Promise<bigint | null> {
    const value = this.db.prepare("SELECT position FROM webhook_outbox_checkpoint WHERE name = 'subscription'").pluck().safeIntegers(true).get() as bigint | undefined;
    return value ?? null;
  }

  async claimDue(now: number, leaseMs: number, limit: number): Promise<PendingDelivery[]> {
    const select = this.db.prepare(
      'SELECT id, workspace_id, webhook_id, event, event_id, body, attempts, due_at FROM webhook_outbox WHERE due_at <= ? AND leased_until <= ? ORDER BY due_at LIMIT ?',
    );
    const lease = this.db.prepare('UPDATE webhook_outbox SET leased_until = ? WHERE id = ?');
    return this.db.transaction(() => {
      const rows = select.all(now, now, limit) as Row[];
      for (const row of rows) lease.run(now + leaseMs, row.id);
      return rows.map(toDelivery);
    })();
  }

  async reschedule(id: string, attempts: number, dueAt: number): Promise<void> {
    this.db.prepare('UPDATE webhook_outbox SET attempts = ?, due_at = ?, leased_until = 0 WHERE id = ?').run(attempts, dueAt, id);
  }

  async remove(id: string): Promise<void> {
    this.db.prepare('DELETE FROM webhook_outbox WHERE id = ?').run(id);
  }

  async nextDueAt(): Promise<number | null> {
    const value = this.db.prepare('SELECT min(max(due_at, leased_until)) FROM webhook_outbox').pluck().get() as number | null;
    return value === null ? null : Number(value);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

export function openSqliteWebhookOutbox(path: string): SqliteWebhookOutbox {
  return new SqliteWebhookOutbox(path);
}
