import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Connection, Statement } from 'better-sqlite3';
import type { PostState, PostStatus, PostView } from '../../domain';
import { canonicalInstant } from './instants';
import type { GroupPostsQuery, ListPostsQuery, PostDocument, PostReadModel } from './port';
import { RevisionWaiters } from './revision-waiters';

export interface SqliteReadModelOptions {
  /**
   * How often a pending `waitForRevision` looks for commits by other connections
   * (a projector in another process). Saves through this instance settle waits at once.
   * Default 10 ms.
   */
  pollIntervalMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS posts (
  id            TEXT    PRIMARY KEY,
  workspace_id  TEXT    NOT NULL,
  status        TEXT    NOT NULL,
  created_at    TEXT    NOT NULL,
  scheduled_for TEXT,
  deleted       INTEGER NOT NULL,
  revision      INTEGER NOT NULL,
  position      INTEGER NOT NULL,
  view          TEXT    NOT NULL,
  state         TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_by_workspace ON posts (workspace_id, deleted, created_at, id);
CREATE INDEX IF NOT EXISTS posts_by_workspace_status ON posts (workspace_id, deleted, status, created_at, id);
CREATE INDEX IF NOT EXISTS posts_by_status_due ON posts (status, scheduled_for, id);
-- An index on the state's group id: files written before groups existed need no migration.
CREATE INDEX IF NOT EXISTS posts_by_group ON posts (workspace_id, json_extract(state, '$.group_id'), deleted, created_at, id);
-- Live posts only: a deleted post has no tags to be found by.
CREATE TABLE IF NOT EXISTS post_tags (
  workspace_id TEXT NOT NULL,
  tag          TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  post_id      TEXT NOT NULL,
  PRIMARY KEY (workspace_id, tag, created_at, post_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS post_tags_by_post ON post_tags (post_id);
CREATE TABLE IF NOT EXISTS checkpoints (
  projector TEXT    PRIMARY KEY,
  position  INTEGER NOT NULL
);
`;

interface DocumentRow {
  id: string;
  workspace_id: string;
  status: string;
  created_at: string;
  scheduled_for: string | null;
  deleted: bigint;
  revision: bigint;
  position: bigint;
  view: string;
  state: string;
}

interface Statements {
  get: Statement<[string, string]>;
  revision: Statement<[string]>;
  upsert: Statement;
  deleteTags: Statement<[string]>;
  insertTag: Statement<[string, string, string, string]>;
  saveCheckpoint: Statement<[string, bigint]>;
  checkpoint: Statement<[string]>;
  load: Statement<[string]>;
  due: Statement<[string, number]>;
  publishing: Statement<[number]>;
  groupPage: Statement<[string, string, number, number]>;
  groupCount: Statement<[string, string]>;
  dataVersion: Statement<[]>;
}

const DOCUMENT_COLUMNS = 'id, workspace_id, status, created_at, scheduled_for, deleted, revision, position, view, state';

/**
 * The embedded read model: one SQLite file of its own, WAL with `synchronous = NORMAL`
 * (a crash may lose the last saves, which the projector re-applies from its checkpoint:
 * the documents and the checkpoint are committed in one transaction, so they never
 * disagree). Other processes may read the same file; one projector writes it.
 */
export class SqliteReadModel implements PostReadModel {
  private db!: Connection;
  private statements!: Statements;
  private readonly listStatements = new Map<string, { page: Statement; count: Statement }>();
  private readonly waiters = new RevisionWaiters();
  private readonly pollIntervalMs: number;
  private poller: NodeJS.Timeout | null = null;
  private lastDataVersion = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly options: SqliteReadModelOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 10;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.open();
  }

  private open(): void {
    this.db = new Database(this.path, { timeout: 10_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.listStatements.clear();
    this.statements = {
      get: db.prepare<[string, string]>('SELECT view FROM posts WHERE id = ? AND workspace_id = ? AND deleted = 0').pluck(),
      revision: db.prepare<[string]>('SELECT revision FROM posts WHERE id = ?').pluck(),
      upsert: db.prepare(
        `INSERT INTO posts (${DOCUMENT_COLUMNS})
         VALUES (@id, @workspace_id, @status, @created_at, @scheduled_for, @deleted, @revision, @position, @view, @state)
         ON CONFLICT (id) DO UPDATE SET
           workspace_id = excluded.workspace_id, status = excluded.status, created_at = excluded.created_at,
           scheduled_for = excluded.scheduled_for, deleted = excluded.deleted, revision = excluded.revision,
           position = excluded.position, view = excluded.view, state = excluded.state
         WHERE excluded.revision > posts.revision`,
      ),
      deleteTags: db.prepare<[string]>('DELETE FROM post_tags WHERE post_id = ?'),
      insertTag: db.prepare<[string, string, string, string]>(
        'INSERT OR IGNORE INTO post_tags (workspace_id, tag, created_at, post_id) VALUES (?, ?, ?, ?)',
      ),
      saveCheckpoint: db.prepare<[string, bigint]>(
        'INSERT INTO checkpoints (projector, position) VALUES (?, ?) ON CONFLICT (projector) DO UPDATE SET position = excluded.position',
      ),
      checkpoint: db.prepare<[string]>('SELECT position FROM checkpoints WHERE projector = ?').pluck().safeIntegers(true),
      load: db
        .prepare<[string]>(`SELECT ${DOCUMENT_COLUMNS} FROM posts WHERE id IN (SELECT value FROM json_each(?))`)
        .safeIntegers(true),
      due: db.prepare<[string, number]>(
        `SELECT id, workspace_id, scheduled_for FROM posts
         WHERE status = 'scheduled' AND scheduled_for <= ? AND deleted = 0
         ORDER BY scheduled_for, id LIMIT ?`,
      ),
      publishing: db
        .prepare<[number]>(`SELECT ${DOCUMENT_COLUMNS} FROM posts WHERE status = 'publishing' AND deleted = 0 ORDER BY id LIMIT ?`)
        .safeIntegers(true),
      groupPage: db
        .prepare<[string, string, number, number]>(
          `SELECT view FROM posts WHERE workspace_id = ? AND json_extract(state, '$.group_id') = ? AND deleted = 0
           ORDER BY created_at, id LIMIT ? OFFSET ?`,
        )
        .pluck(),
      groupCount: db
        .prepare<[string, string]>(`SELECT COUNT(*) FROM posts WHERE workspace_id = ? AND json_extract(state, '$.group_id') = ? AND deleted = 0`)
        .pluck(),
      dataVersion: db.prepare<[]>('PRAGMA data_version').pluck(),
    };
    this.lastDataVersion = this.statements.dataVersion.get() as number;
  }

  async get(workspaceId: string, postId: string): Promise<PostView | null> {
    this.assertOpen();
    const view = this.statements.get.get(postId, workspaceId) as string | undefined;
    return view === undefined ? null : (JSON.parse(view) as PostView);
  }

  async list(query: ListPostsQuery): Promise<{ posts: PostView[]; total: number }> {
    this.assertOpen();
    const { page, count } = this.listStatementsFor(query);
    const params: unknown[] = [query.workspace_id];
    if (query.tag !== undefined) params.push(query.tag);
    if (query.status !== undefined) params.push(query.status);
    // One read transaction, so the page and the total describe the same snapshot.
    const read = this.db.transaction(() => {
      const views = page.all(...params, query.limit, query.offset) as string[];
      const total = count.get(...params) as number;
      return { posts: views.map((view) => JSON.parse(view) as PostView), total };
    });
    return read();
  }

  async group(query: GroupPostsQuery): Promise<{ posts: PostView[]; total: number }> {
    this.assertOpen();
    const { groupPage, groupCount } = this.statements;
    const read = this.db.transaction(() => {
      const views = groupPage.all(query.workspace_id, query.group_id, query.limit, query.offset) as string[];
      const total = groupCount.get(query.workspace_id, query.group_id) as number;
      return { posts: views.map((view) => JSON.parse(view) as PostView), total };
    });
    return read();
  }

  async dueScheduled(now: string, limit: number): Promise<{ id: string; workspace_id: string; scheduled_for: string }[]> {
    this.assertOpen();
    return this.statements.due.all(canonicalInstant(now), limit) as { id: string; workspace_id: string; scheduled_for: string }[];
  }

  async publishing(limit: number): Promise<PostDocument[]> {
    this.assertOpen();
    return (this.statements.publishing.all(limit) as DocumentRow[]).map(toDocument);
  }

  async waitForRevision(postId: string, revision: number, timeoutMs: number): Promise<boolean> {
    this.assertOpen();
    if (this.storedRevision(postId) >= revision) return true;
    if (timeoutMs <= 0) return false;
    const waited = this.waiters.wait(postId, revision, timeoutMs);
    this.startPolling();
    return waited;
  }

  async load(postIds: string[]): Promise<Map<string, PostDocument>> {
    this.assertOpen();
    const documents = new Map<string, PostDocument>();
    if (postIds.length === 0) return documents;
    for (const row of this.statements.load.all(JSON.stringify(postIds)) as DocumentRow[]) {
      documents.set(row.id, toDocument(row));
    }
    return documents;
  }

  async save(documents: PostDocument[], checkpoint: { projector: string; position: bigint }): Promise<void> {
    this.assertOpen();
    const { upsert, deleteTags, insertTag, saveCheckpoint } = this.statements;
    const write = this.db.transaction(() => {
      for (const doc of documents) {
        const createdAt = canonicalInstant(doc.created_at);
        const changed = upsert.run({
          id: doc.id,
          workspace_id: doc.workspace_id,
          status: doc.status,
          created_at: createdAt,
          scheduled_for: doc.scheduled_for === null ? null : canonicalInstant(doc.scheduled_for),
          deleted: doc.deleted ? 1 : 0,
          revision: doc.revision,
          position: doc.position,
          view: JSON.stringify(doc.view),
          state: JSON.stringify(doc.state),
        }).changes;
        if (changed === 0) continue;
        deleteTags.run(doc.id);
        if (!doc.deleted) for (const tag of doc.tags) insertTag.run(doc.workspace_id, tag, createdAt, doc.id);
      }
      saveCheckpoint.run(checkpoint.projector, checkpoint.position);
    });
    write();
    // Written or kept by the guard, the stored revision is now at least the document's.
    if (this.waiters.size > 0) for (const doc of documents) this.waiters.reached(doc.id, doc.revision);
  }

  async checkpoint(projector: string): Promise<bigint | null> {
    this.assertOpen();
    return (this.statements.checkpoint.get(projector) as bigint | undefined) ?? null;
  }

  async reset(): Promise<void> {
    this.assertOpen();
    this.db.transaction(() => {
      this.db.exec('DELETE FROM posts; DELETE FROM post_tags; DELETE FROM checkpoints;');
    })();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopPolling();
    this.waiters.cancelAll();
    this.db.close();
  }

  /**
   * An empty model in a file beside this one (`<path>.rebuild`), for a rebuild while
   * this one keeps serving. Leftovers of an earlier, unfinished rebuild are dropped.
   */
  async prepareRebuild(): Promise<SqliteReadModel> {
    this.assertOpen();
    const path = `${this.path}.rebuild`;
    for (const file of sqliteFiles(path)) rmSync(file, { force: true });
    return new SqliteReadModel(path, this.options);
  }

  /**
   * Serves the rebuilt file from now on, under this model's path. Closing the last
   * connection to a WAL database folds its log into the file and deletes it, so once
   * both are closed each database is one file, and renaming the rebuilt one over the
   * live one is atomic. If a log is still there, another connection (another process)
   * holds the file open and would keep reading the old one under the same log name:
   * the switch is refused and the live file is reopened unchanged. Everything here
   * is synchronous, so no call of this process sees the model half switched.
   */
  async switchTo(rebuilt: SqliteReadModel): Promise<void> {
    this.assertOpen();
    if (rebuilt.path !== `${this.path}.rebuild`) throw new Error(`switchTo: ${rebuilt.path} was not prepared by this model`);
    if (!rebuilt.closed) {
      rebuilt.closed = true;
      rebuilt.stopPolling();
      rebuilt.waiters.cancelAll();
      rebuilt.db.close();
    }
    if (existsSync(`${rebuilt.path}-wal`)) throw new Error(`switchTo: ${rebuilt.path} is still open elsewhere`);
    this.db.close();
    if (existsSync(`${this.path}-wal`)) {
      this.open();
      throw new Error(`switchTo: ${this.path} is open in another process; stop it before switching`);
    }
    renameSync(rebuilt.path, this.path);
    rmSync(`${this.path}-shm`, { force: true });
    this.open();
    for (const postId of this.waiters.postIds()) this.waiters.reached(postId, this.storedRevision(postId));
  }

  private storedRevision(postId: string): number {
    const revision = this.statements.revision.get(postId) as number | undefined;
    return revision ?? -1;
  }

  private listStatementsFor(query: ListPostsQuery): { page: Statement; count: Statement } {
    const key = `${query.tag !== undefined ? 't' : ''}${query.status !== undefined ? 's' : ''}`;
    let statements = this.listStatements.get(key);
    if (statements) return statements;
    const status = query.status !== undefined ? ' AND p.status = ?' : '';
    const from =
      query.tag !== undefined
        ? `FROM post_tags t JOIN posts p ON p.id = t.post_id WHERE t.workspace_id = ? AND t.tag = ?${status}`
        : `FROM posts p WHERE p.workspace_id = ? AND p.deleted = 0${status}`;
    const order = query.tag !== undefined ? 'ORDER BY t.created_at DESC, t.post_id DESC' : 'ORDER BY p.created_at DESC, p.id DESC';
    statements = {
      page: this.db.prepare(`SELECT p.view ${from} ${order} LIMIT ? OFFSET ?`).pluck(),
      count: this.db.prepare(`SELECT COUNT(*) ${from}`).pluck(),
    };
    this.listStatements.set(key, statements);
    return statements;
  }

  /**
   * Commits by other connections change `data_version`; only then are the waited-on
   * revisions read again, so an idle wait costs one pragma per interval.
   */
  private startPolling(): void {
    if (this.poller) return;
    this.poller = setInterval(() => {
      if (this.closed || this.waiters.size === 0) {
        this.stopPolling();
        return;
      }
      const version = this.statements.dataVersion.get() as number;
      if (version === this.lastDataVersion) return;
      this.lastDataVersion = version;
      for (const postId of this.waiters.postIds()) this.waiters.reached(postId, this.storedRevision(postId));
    }, this.pollIntervalMs);
    this.poller.unref();
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('SqliteReadModel is closed');
  }
}

function sqliteFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

function toDocument(row: DocumentRow): PostDocument {
  const state = JSON.parse(row.state) as PostState;
  return {
    id: row.id,
    workspace_id: row.workspace_id,
    revision: Number(row.revision),
    position: row.position,
    deleted: row.deleted !== 0n,
    status: row.status as PostStatus,
    // The column holds the canonical instant for the due index; the document keeps the state's own.
    scheduled_for: row.status === 'scheduled' ? state.scheduled_for : null,
    created_at: state.created_at,
    tags: state.tags,
    state,
    view: JSON.parse(row.view) as PostView,
  };
}
