import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Connection, Statement } from 'better-sqlite3';
import { assertAppendable } from './append-input';
import {
  type AppendResult,
  type EventHandler,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadAllOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
  WrongExpectedRevision,
} from './port';
import { normalizePrefixes } from './stream-filter';
import { CaughtUpSignal } from './caught-up';

export interface SqliteEventStoreOptions {
  /**
   * How often an idle subscription looks for events appended by another process
   * on the same file. Appends through this instance wake subscriptions at once.
   * Default 250 ms.
   */
  pollIntervalMs?: number;
  /** Events per read while a subscription catches up. Default 500. */
  subscriptionPageSize?: number;
  /** Called after each group commit, e.g. to feed batch-size and latency metrics. */
  onCommit?: (commit: GroupCommit) => void;
}

/** One committed transaction holding every append requested in the same tick. */
export interface GroupCommit {
  /** Appends in the transaction, including the ones rejected (they were rolled back alone). */
  appends: number;
  /** Events written by the appends that succeeded. */
  events: number;
  /** Time from BEGIN to the end of COMMIT, fsync included. */
  durationMs: number;
}

interface EventRow {
  position: bigint;
  id: string;
  stream: string;
  revision: bigint;
  type: string;
  version: bigint;
  data: string;
  metadata: string;
  recorded_at: string;
}

interface PendingAppend {
  stream: string;
  events: EventToAppend[];
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

type AppendOutcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT    NOT NULL,
  stream      TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  type        TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,
  recorded_at TEXT    NOT NULL,
  UNIQUE (stream, revision)
);
`;

const COLUMNS = 'position, id, stream, revision, type, version, data, metadata, recorded_at';

/**
 * The embedded event store: one SQLite file in WAL mode with `synchronous = FULL`,
 * so a resolved `append` is on disk. Appends requested in the same tick share one
 * transaction (group commit) and thus one fsync; each runs in its own savepoint,
 * so a conflicting append fails alone. Several processes may open the same file:
 * SQLite serialises their writers and subscriptions poll for each other's appends.
 */
export class SqliteEventStore implements EventStore {
  static open(path: string, options: SqliteEventStoreOptions = {}): SqliteEventStore {
    return new SqliteEventStore(path, options);
  }

  private readonly db: Connection;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  private readonly onCommit: ((commit: GroupCommit) => void) | undefined;
  private readonly statements: {
    begin: Statement;
    commit: Statement;
    rollback: Statement;
    savepoint: Statement;
    release: Statement;
    rollbackToSavepoint: Statement;
    lastRevision: Statement<[string]>;
    insert: Statement;
    streamFrom: Statement<[string, number, number]>;
    idsFrom: Statement<[string, number, number]>;
    head: Statement<[]>;
  };
  private readonly readAllStatements = new Map<number, Statement>();
  private readonly headStatements = new Map<number, Statement>();
  private readonly subscriptions = new Set<SqliteSubscription>();
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;

  constructor(path: string, options: SqliteEventStoreOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.pageSize = options.subscriptionPageSize ?? 500;
    this.onCommit = options.onCommit;
    this.db = new Database(path, { timeout: 10_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    const read = <T extends unknown[]>(sql: string) => this.db.prepare<T>(sql).safeIntegers(true);
    this.statements = {
      begin: this.db.prepare('BEGIN IMMEDIATE'),
      commit: this.db.prepare('COMMIT'),
      rollback: this.db.prepare('ROLLBACK'),
      savepoint: this.db.prepare('SAVEPOINT append'),
      release: this.db.prepare('RELEASE append'),
      rollbackToSavepoint: this.db.prepare('ROLLBACK TO append'),
      lastRevision: read<[string]>('SELECT MAX(revision) AS revision FROM events WHERE stream = ?'),
      insert: this.db
        .prepare(
          `INSERT INTO events (id, stream, revision, type, version, data, metadata, recorded_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .safeIntegers(true),
      streamFrom: read<[string, number, number]>(
        `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
      ),
      idsFrom: read<[string, number, number]>(
        'SELECT id, position FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?',
      ),
      head: read<[]>('SELECT MAX(position) AS position FROM events'),
    };
  }

  append(stream: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('SqliteEventStore is closed'));
    try {
      assertAppendable(stream, events, expected);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ stream, events, expected, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate, not nextTick: it runs after the pending I/O callbacks, so
        // every request that arrived in this loop turn joins the same commit.
        setImmediate(() => this.flush());
      }
    });
  }

  async readStream(stream: string, options: { fromRevision?: number; maxCount?: number } = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const rows = this.statements.streamFrom.all(
      stream,
      options.fromRevision ?? 0,
      options.maxCount ?? -1,
    ) as EventRow[];
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    return this.readAllNow(options.from ?? 0n, options.limit, normalizePrefixes(options.streamPrefixes));
  }

  subscribe(handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    const prefixes = normalizePrefixes(options.streamPrefixes);
    const from = options.from ?? 0n;
    // Read synchronously, so "committed before it started" is exact.
    const target = this.headNow(prefixes);
    const subscription = new SqliteSubscription({
      handler,
      from,
      target,
      pollIntervalMs: this.pollIntervalMs,
      readPage: (after) => this.readAllNow(after, this.pageSize, prefixes),
      onEnd: (ended) => this.subscriptions.delete(ended),
    });
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  async headPosition(streamPrefixes?: string[]): Promise<bigint> {
    this.assertOpen();
    return this.headNow(normalizePrefixes(streamPrefixes));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    // Appends already accepted are still owed their commit.
    this.flush();
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('SqliteEventStore is closed');
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const started = performance.now();
    const outcomes: AppendOutcome[] = [];
    try {
      this.statements.begin.run();
      const recordedAt = new Date().toISOString();
      for (const pending of batch) {
        this.statements.savepoint.run();
        let outcome: AppendOutcome;
        try {
          const result = this.apply(pending, recordedAt);
          this.statements.release.run();
          outcome = { ok: true, result };
        } catch (error) {
          this.statements.rollbackToSavepoint.run();
          this.statements.release.run();
          outcome = { ok: false, error };
        }
        outcomes.push(outcome);
      }
      this.statements.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.statements.rollback.run();
      for (const pending of batch) pending.reject(error);
      return;
    }
    let events = 0;
    batch.forEach((pending, index) => {
      const outcome = outcomes[index];
      if (outcome.ok) {
        events += pending.events.length;
        pending.resolve(outcome.result);
      } else {
        pending.reject(outcome.error);
      }
    });
    if (events > 0) for (const subscription of this.subscriptions) subscription.wake();
    this.onCommit?.({ appends: batch.length, events, durationMs: performance.now() - started });
  }

  /** Checks and writes one append inside the open transaction; throws to have its savepoint rolled back. */
  private apply(pending: PendingAppend, recordedAt: string): AppendResult {
    const { stream, events, expected } = pending;
    const row = this.statements.lastRevision.get(stream) as { revision: bigint | null };
    const current = row.revision === null ? -1 : Number(row.revision);
    if (expected !== 'any') {
      const wanted = expected === 'no_stream' ? -1 : expected;
      if (current !== wanted) {
        const replayed = this.replayedAppend(stream, events, wanted, current);
        if (replayed) return replayed;
        throw new WrongExpectedRevision(stream, expected, current === -1 ? 'no_stream' : current);
      }
    }
    let revision = current;
    let position = 0n;
    for (const event of events) {
      revision += 1;
      const info = this.statements.insert.run(
        event.id,
        stream,
        revision,
        event.type,
        event.version,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
        recordedAt,
      );
      position = BigInt(info.lastInsertRowid);
    }
    return { nextRevision: revision, position };
  }

  /**
   * A retried append (same event ids, same expected revision) whose first try
   * was committed succeeds again without writing, as in EventStoreDB: a client
   * that lost the first answer may safely send the request again.
   */
  private replayedAppend(stream: string, events: EventToAppend[], wanted: number, current: number): AppendResult | null {
    if (current < wanted + events.length) return null;
    const rows = this.statements.idsFrom.all(stream, wanted + 1, events.length) as Array<{ id: string; position: bigint }>;
    if (rows.length !== events.length) return null;
    if (!rows.every((row, index) => row.id === events[index].id)) return null;
    return { nextRevision: wanted + events.length, position: rows[rows.length - 1].position };
  }

  private readAllNow(from: bigint, limit: number | undefined, prefixes: string[] | undefined): RecordedEvent[] {
    const statement = this.cached(this.readAllStatements, prefixes, (filter) =>
      `SELECT ${COLUMNS} FROM events WHERE position > ?${filter} ORDER BY position LIMIT ?`,
    );
    const rows = statement.all(from, ...prefixParameters(prefixes), limit ?? -1) as EventRow[];
    return rows.map(toRecordedEvent);
  }

  private headNow(prefixes: string[] | undefined): bigint {
    if (!prefixes) {
      const row = this.statements.head.get() as { position: bigint | null };
      return row.position ?? 0n;
    }
    // Walks back from the newest row and stops at the first match, instead of
    // scanning the table as MAX() with a filter would.
    const statement = this.cached(this.headStatements, prefixes, (filter) =>
      `SELECT position FROM events WHERE 1 = 1${filter} ORDER BY position DESC LIMIT 1`,
    );
    const row = statement.get(...prefixParameters(prefixes)) as { position: bigint } | undefined;
    return row?.position ?? 0n;
  }

  private cached(cache: Map<number, Statement>, prefixes: string[] | undefined, sql: (filter: string) => string): Statement {
    const count = prefixes?.length ?? 0;
    let statement = cache.get(count);
    if (!statement) {
      const filter =
        count === 0 ? '' : ` AND (${Array.from({ length: count }, () => 'substr(stream, 1, length(?)) = ?').join(' OR ')})`;
      statement = this.db.prepare(sql(filter)).safeIntegers(true);
      cache.set(count, statement);
    }
    return statement;
  }
}

function prefixParameters(prefixes: string[] | undefined): string[] {
  return (prefixes ?? []).flatMap((prefix) => [prefix, prefix]);
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    stream: row.stream,
    revision: Number(row.revision),
    position: row.position,
    type: row.type,
    version: Number(row.version),
    data: JSON.parse(row.data) as Record<string, unknown>,
    metadata: JSON.parse(row.metadata) as EventMetadata,
    recorded_at: row.recorded_at,
  };
}

interface SqliteSubscriptionParams {
  handler: EventHandler;
  /** Exclusive. */
  from: bigint;
  /** Head position when the subscription started: reaching it means caught up. */
  target: bigint;
  pollIntervalMs: number;
  readPage: (after: bigint) => RecordedEvent[];
  onEnd: (subscription: SqliteSubscription) => void;
}

/**
 * Reads pages after the last delivered position and hands them to the handler
 * one event at a time; when there is nothing left it waits for a wake-up (an
 * append through the same store) or the poll interval (appends by others).
 * A handler that throws ends the subscription: nothing after the failed event
 * is delivered, so a consumer resuming from its checkpoint skips nothing.
 */
class SqliteSubscription implements Subscription {
  private readonly signal = new CaughtUpSignal();
  readonly caughtUp = this.signal.promise;
  private stopped = false;
  private position: bigint;
  private pendingWake: (() => void) | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly params: SqliteSubscriptionParams) {
    this.position = params.from;
  }

  start(): void {
    this.running = this.run();
  }

  wake(): void {
    const wake = this.pendingWake;
    this.pendingWake = null;
    wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
  }

  private async run(): Promise<void> {
    try {
      this.markCaughtUpIfReached();
      while (!this.stopped) {
        const page = this.params.readPage(this.position);
        if (page.length === 0) {
          // Nothing is left that was committed before the start, even if the
          // target row is gone from what this filter can see.
          this.markCaughtUp();
          await this.idle();
          continue;
        }
        for (const event of page) {
          if (this.stopped) break;
          await this.params.handler(event);
          this.position = event.position;
          this.markCaughtUpIfReached();
        }
      }
      this.fail(new Error('subscription stopped before it caught up'));
    } catch (error) {
      this.stopped = true;
      this.fail(error);
    } finally {
      this.params.onEnd(this);
    }
  }

  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake(), this.params.pollIntervalMs);
      this.pendingWake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private markCaughtUpIfReached(): void {
    if (this.position >= this.params.target) this.markCaughtUp();
  }

  private fail(error: unknown): void {
    this.signal.failed(error);
  }

  private markCaughtUp(): void {
    this.signal.reached();
  }
}
