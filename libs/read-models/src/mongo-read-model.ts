import { type AnyBulkWriteOperation, type Collection, type Db, type Filter, MongoBulkWriteError, MongoClient } from 'mongodb';
import type { PostState, PostStatus, PostView } from '../../domain';
import { canonicalInstant } from './instants';
import type { ListPostsQuery, PostDocument, PostReadModel } from './port';
import { RevisionWaiters } from './revision-waiters';

export interface MongoReadModelOptions {
  /** Database name; default: the one named in the URL, else `postloom`. */
  dbName?: string;
  /** Prefix of every collection name, so several deployments can share a database. Default ''. */
  collectionPrefix?: string;
  /** How often the model looks for a blue/green switch made by another process. Default 2000 ms. */
  pointerRefreshMs?: number;
}

/**
 * One post. `state` and `view` are kept as JSON text: they hold client-chosen keys
 * (`platform_settings`) that MongoDB may refuse as field names (`$…`, dots), and
 * text round-trips them exactly as the SQLite model does.
 */
interface PostRecord {
  _id: string;
  workspace_id: string;
  revision: number;
  /** Global position as a decimal string: a bigint does not fit a double. */
  position: string;
  deleted: boolean;
  status: PostStatus;
  /** Canonical ISO instant (compared as a string), or null. */
  scheduled_for: string | null;
  created_at: string;
  tags: string[];
  state: string;
  view: string;
}

interface CheckpointRecord {
  _id: string;
  position: string;
}

/** Which generation of collections is live (see `switchTo`). */
interface PointerRecord {
  _id: string;
  prefix: string;
  switched_at: string;
}

const POINTER_ID = 'active';
const DUPLICATE_KEY = 11000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const URL_WITH_DATABASE = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?/]+)/;

/** The database named in the URL, else `postloom` (the driver would say `test`). */
function databaseInUrl(url: string): string {
  const named = URL_WITH_DATABASE.exec(url)?.[1];
  return named ? decodeURIComponent(named) : 'postloom';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The upsert of a document whose stored revision is not lower fails on `_id`: that is the guard, not a fault. */
function onlyDuplicateKeys(error: MongoBulkWriteError): boolean {
  if (error.err) return false;
  const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  return writeErrors.length > 0 && writeErrors.every((e) => e.code === DUPLICATE_KEY);
}

/** What `saveGuarded` writes: one post's record at a revision. */
export interface GuardedRecord<R> {
  id: string;
  revision: number;
  record: R;
}

const revisionBelow = (revision: number) => ({ $or: [{ revision: { $lt: revision } }, { revision: { $exists: false } }] });

/**
 * Writes each record unless the stored one has the same or a higher revision. The upsert's
 * filter misses a document whose revision is not lower, so its insert then fails on `_id`
 * (E11000): usually that is the guard at work. But two writers inserting the same NEW
 * post (a scaled projector, or a replay beside the projector) also collide, and with an
 * `$or` filter the server does not retry the losing upsert, so the higher revision could be
 * lost. Every collision is therefore written again as a plain guarded update: the document
 * exists by then, and the update applies only if the stored revision is still lower.
 */
export async function saveGuarded<R extends object>(posts: Pick<Collection<R & { _id: string; revision?: number }>, 'bulkWrite' | 'updateOne'>, records: GuardedRecord<R>[]): Promise<void> {
  const operations = records.map(({ id, revision, record }) => ({
    updateOne: { filter: { _id: id, ...revisionBelow(revision) }, update: { $set: record }, upsert: true },
  })) as unknown as AnyBulkWriteOperation<R & { _id: string; revision?: number }>[];
  try {
    await posts.bulkWrite(operations, { ordered: false });
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError && onlyDuplicateKeys(error))) throw error;
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    for (const { index } of writeErrors) {
      const { id, revision, record } = records[index];
      await posts.updateOne({ _id: id, ...revisionBelow(revision) } as never, { $set: record } as never);
    }
  }
}

/**
 * The distributed read model on MongoDB: one document per post (`_id` = post id) in
 * `<prefix>posts`, projector checkpoints in `<prefix>checkpoints`. MongoDB has no
 * multi-document transaction without a replica set, so documents are written before
 * the checkpoint: a crash in between makes the projector re-apply events that the
 * revision guard then ignores.
 */
export class MongoReadModel implements PostReadModel {
  static async connect(url: string, options: MongoReadModelOptions = {}): Promise<MongoReadModel> {
    const client = await new MongoClient(url).connect();
    const base = options.collectionPrefix ?? '';
    try {
      const db = client.db(options.dbName ?? databaseInUrl(url));
      const pointer = await db.collection<PointerRecord>(`${base}read_model_pointer`).findOne({ _id: POINTER_ID });
      const model = new MongoReadModel(client, true, db, base, pointer?.prefix ?? base, options.pointerRefreshMs ?? 2000);
      await model.ensureIndexes();
      model.followPointer();
      return model;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  private posts: Collection<PostRecord>;
  private checkpoints: Collection<CheckpointRecord>;
  private readonly pointer: Collection<PointerRecord>;
  private readonly waiters = new RevisionWaiters();
  private follower: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly client: MongoClient,
    private readonly ownsClient: boolean,
    private readonly db: Db,
    private readonly base: string,
    private active: string,
    private readonly pointerRefreshMs: number,
  ) {
    this.posts = db.collection<PostRecord>(`${active}posts`);
    this.checkpoints = db.collection<CheckpointRecord>(`${active}checkpoints`);
    this.pointer = db.collection<PointerRecord>(`${base}read_model_pointer`);
  }

  async get(workspaceId: string, postId: string): Promise<PostView | null> {
    this.assertOpen();
    const record = await this.posts.findOne({ _id: postId, workspace_id: workspaceId, deleted: false }, { projection: { view: 1 } });
    return record ? (JSON.parse(record.view) as PostView) : null;
  }

  async list(query: ListPostsQuery): Promise<{ posts: PostView[]; total: number }> {
    this.assertOpen();
    const filter: Filter<PostRecord> = { workspace_id: query.workspace_id, deleted: false };
    if (query.status !== undefined) filter.status = query.status;
    if (query.tag !== undefined) filter.tags = query.tag;
    // A limit of 0 means "no limit" to MongoDB.
    const page =
      query.limit > 0
        ? this.posts
            .find(filter, { projection: { view: 1 } })
            .sort({ created_at: -1, _id: -1 })
            .skip(query.offset)
            .limit(query.limit)
            .toArray()
        : Promise.resolve([]);
    const [records, total] = await Promise.all([page, this.posts.countDocuments(filter)]);
    return { posts: records.map((record) => JSON.parse(record.view) as PostView), total };
  }

  async dueScheduled(now: string, limit: number): Promise<{ id: string; workspace_id: string; scheduled_for: string }[]> {
    this.assertOpen();
    if (limit <= 0) return [];
    const records = await this.posts
      .find(
        { status: 'scheduled', deleted: false, scheduled_for: { $lte: canonicalInstant(now) } },
        { projection: { workspace_id: 1, scheduled_for: 1 } },
      )
      .sort({ scheduled_for: 1, _id: 1 })
      .limit(limit)
      .toArray();
    return records.map((r) => ({ id: r._id, workspace_id: r.workspace_id, scheduled_for: r.scheduled_for as string }));
  }

  async publishing(limit: number): Promise<PostDocument[]> {
    this.assertOpen();
    if (limit <= 0) return [];
    const records = await this.posts.find({ status: 'publishing', deleted: false }).sort({ _id: 1 }).limit(limit).toArray();
    return records.map(toDocument);
  }

  async waitForRevision(postId: string, revision: number, timeoutMs: number): Promise<boolean> {
    this.assertOpen();
    if ((await this.storedRevision(postId)) >= revision) return true;
    if (timeoutMs <= 0) return false;
    const waited = this.waiters.wait(postId, revision, timeoutMs);
    let settled = false;
    void waited.then(() => (settled = true));
    void (async () => {
      // A projector in another process is seen by polling, soon at first, then less often.
      let delay = 5;
      while (!settled && !this.closed) {
        await Promise.race([sleep(delay), waited]);
        if (settled || this.closed) return;
        try {
          this.waiters.reached(postId, await this.storedRevision(postId));
        } catch {
          // A failed poll is retried at the next interval; the timeout bounds the wait.
        }
        delay = Math.min(delay * 2, 100);
      }
    })();
    return waited;
  }

  async load(postIds: string[]): Promise<Map<string, PostDocument>> {
    this.assertOpen();
    const documents = new Map<string, PostDocument>();
    if (postIds.length === 0) return documents;
    for (const record of await this.posts.find({ _id: { $in: postIds } }).toArray()) documents.set(record._id, toDocument(record));
    return documents;
  }

  async save(documents: PostDocument[], checkpoint: { projector: string; position: bigint }): Promise<void> {
    this.assertOpen();
    if (documents.length > 0) await saveGuarded(this.posts, documents.map((doc) => ({ id: doc.id, revision: doc.revision, record: toRecord(doc) })));
    await this.checkpoints.updateOne({ _id: checkpoint.projector }, { $set: { position: checkpoint.position.toString() } }, { upsert: true });
    // Whether written or kept by the guard, the stored revision is now at least this one.
    if (this.waiters.size > 0) for (const doc of documents) this.waiters.reached(doc.id, doc.revision);
  }

  async checkpoint(projector: string): Promise<bigint | null> {
    this.assertOpen();
    const record = await this.checkpoints.findOne({ _id: projector });
    return record ? BigInt(record.position) : null;
  }

  async reset(): Promise<void> {
    this.assertOpen();
    await Promise.all([this.posts.deleteMany({}), this.checkpoints.deleteMany({})]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.follower) clearInterval(this.follower);
    this.follower = null;
    this.waiters.cancelAll();
    if (this.ownsClient) await this.client.close();
  }

  /**
   * Empty collections of a new generation (`<prefix>g<time>_posts`, `…_checkpoints`),
   * for a rebuild while this model keeps serving. Generations that are neither live
   * nor this new one are leftovers of earlier rebuilds and are dropped now: by then
   * every reader has long followed the pointer away from them.
   */
  async prepareRebuild(): Promise<MongoReadModel> {
    this.assertOpen();
    const prefix = `${this.base}g${Date.now().toString(36)}_`;
    const generation = new RegExp(`^${escapeRegExp(this.base)}(g[0-9a-z]+_)?(posts|checkpoints)$`);
    const collections = await this.db.listCollections({}, { nameOnly: true }).toArray();
    for (const { name } of collections) {
      const live = name === `${this.active}posts` || name === `${this.active}checkpoints`;
      if (generation.test(name) && !live) await this.db.dropCollection(name);
    }
    const rebuilt = new MongoReadModel(this.client, false, this.db, this.base, prefix, this.pointerRefreshMs);
    await rebuilt.ensureIndexes();
    return rebuilt;
  }

  /**
   * Makes the rebuilt generation live: the pointer document names it, this model reads
   * and writes it at once, and models in other processes follow within
   * `pointerRefreshMs`. The projector feeding this model must be stopped before and
   * started after, so that it resumes from the rebuilt checkpoint (see
   * `replayBesideLive`). The old generation stays until the next rebuild drops it.
   */
  async switchTo(rebuilt: MongoReadModel): Promise<void> {
    this.assertOpen();
    if (rebuilt.db !== this.db || rebuilt.base !== this.base) throw new Error('switchTo: the rebuilt model was not prepared by this one');
    await this.pointer.updateOne(
      { _id: POINTER_ID },
      { $set: { prefix: rebuilt.active, switched_at: new Date().toISOString() } },
      { upsert: true },
    );
    await rebuilt.close();
    this.use(rebuilt.active);
    for (const postId of this.waiters.postIds()) this.waiters.reached(postId, await this.storedRevision(postId));
  }

  private use(prefix: string): void {
    if (prefix === this.active) return;
    this.active = prefix;
    this.posts = this.db.collection<PostRecord>(`${prefix}posts`);
    this.checkpoints = this.db.collection<CheckpointRecord>(`${prefix}checkpoints`);
  }

  private followPointer(): void {
    this.follower = setInterval(() => {
      this.pointer
        .findOne({ _id: POINTER_ID })
        .then((pointer) => {
          if (pointer && !this.closed) this.use(pointer.prefix);
        })
        .catch(() => undefined);
    }, this.pointerRefreshMs);
    this.follower.unref();
  }

  private async ensureIndexes(): Promise<void> {
    await this.posts.createIndexes([
      { key: { workspace_id: 1, deleted: 1, created_at: -1, _id: -1 }, name: 'by_workspace' },
      { key: { workspace_id: 1, deleted: 1, status: 1, created_at: -1, _id: -1 }, name: 'by_workspace_status' },
      { key: { workspace_id: 1, tags: 1, deleted: 1, created_at: -1, _id: -1 }, name: 'by_workspace_tag' },
      // Due scheduled posts (status + scheduled_for) and publishing posts (status + _id).
      { key: { status: 1, scheduled_for: 1, _id: 1 }, name: 'by_status_due' },
    ]);
  }

  private async storedRevision(postId: string): Promise<number> {
    const record = await this.posts.findOne({ _id: postId }, { projection: { revision: 1 } });
    return record?.revision ?? -1;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('MongoReadModel is closed');
  }
}

function toRecord(doc: PostDocument): Omit<PostRecord, '_id'> {
  return {
    workspace_id: doc.workspace_id,
    revision: doc.revision,
    position: doc.position.toString(),
    deleted: doc.deleted,
    status: doc.status,
    scheduled_for: doc.scheduled_for === null ? null : canonicalInstant(doc.scheduled_for),
    created_at: canonicalInstant(doc.created_at),
    tags: doc.tags,
    state: JSON.stringify(doc.state),
    view: JSON.stringify(doc.view),
  };
}

function toDocument(record: PostRecord): PostDocument {
  const state = JSON.parse(record.state) as PostState;
  return {
    id: record._id,
    workspace_id: record.workspace_id,
    revision: record.revision,
    position: BigInt(record.position),
    deleted: record.deleted,
    status: record.status,
    scheduled_for: record.status === 'scheduled' ? state.scheduled_for : null,
    created_at: state.created_at,
    tags: state.tags,
    state,
    view: JSON.parse(record.view) as PostView,
  };
}
