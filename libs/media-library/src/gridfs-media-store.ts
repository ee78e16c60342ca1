import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Collection, type Db, GridFSBucket, MongoClient, MongoServerError } from 'mongodb';
import { type ByteRange, MediaBlobMissing, type MediaRecord, type MediaStore } from './port';

type MediaDoc = Omit<MediaRecord, 'id'> & { _id: string };

export interface GridFsMediaStoreOptions {
  dbName?: string;
  /** Bucket and collection name prefix (tests isolate themselves with it). */
  prefix?: string;
}

const DUPLICATE_KEY = 11000;
/** GridFS chunks; 1 MiB keeps the number of documents per large video modest. */
const CHUNK_BYTES = 1024 * 1024;

function fromDoc(doc: MediaDoc): MediaRecord {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}

/**
 * Distributed media storage: blobs in a GridFS bucket (so a publisher on any host reads the
 * same bytes), records in a collection with a unique (workspace, sha256) index for dedup.
 */
export class GridFsMediaStore implements MediaStore {
  readonly adapter = 'gridfs' as const;
  private readonly bucket: GridFSBucket;
  private readonly records: Collection<MediaDoc>;

  private constructor(
    private readonly client: MongoClient,
    db: Db,
    prefix: string,
  ) {
    this.bucket = new GridFSBucket(db, { bucketName: `${prefix}media`, chunkSizeBytes: CHUNK_BYTES });
    this.records = db.collection<MediaDoc>(`${prefix}media_items`);
  }

  static async connect(url: string, options: GridFsMediaStoreOptions = {}): Promise<GridFsMediaStore> {
    const client = await new MongoClient(url).connect();
    try {
      const store = new GridFsMediaStore(client, client.db(options.dbName), options.prefix ?? '');
      await store.records.createIndexes([
        { key: { workspace_id: 1, sha256: 1 }, unique: true, name: 'workspace_sha256' },
        { key: { workspace_id: 1, created_at: -1, _id: -1 }, name: 'workspace_created' },
        { key: { origin: 1, referenced: 1, created_at: 1 }, name: 'imports' },
      ]);
      return store;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  async putBlob(key: string, source: Readable): Promise<{ bytes: number }> {
    const upload = this.bucket.openUploadStreamWithId(key as never, key);
    let bytes = 0;
    source.on('data', (chunk: Buffer) => (bytes += chunk.length));
    try {
      await pipeline(source, upload);
    } catch (error) {
      await upload.abort().catch(() => undefined);
      await this.removeBlob(key).catch(() => undefined);
      throw error;
    }
    return { bytes };
  }

  async openBlob(key: string, range?: ByteRange): Promise<Readable> {
    const found = await this.bucket.find({ _id: key as never }, { limit: 1 }).toArray();
    if (found.length === 0) throw new MediaBlobMissing(key);
    // GridFS `end` is exclusive.
    return this.bucket.openDownloadStream(key as never, range ? { start: range.start, end: range.end + 1 } : undefined);
  }

  async removeBlob(key: string): Promise<void> {
    try {
      await this.bucket.delete(key as never);
    } catch (error) {
      if (!/not found/i.test((error as Error).message)) throw error;
    }
  }

  async insertRecord(record: MediaRecord): Promise<{ record: MediaRecord; created: boolean }> {
    const { id, ...rest } = record;
    try {
      await this.records.insertOne({ _id: id, ...rest });
      return { record, created: true };
    } catch (error) {
      if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
      const existing = await this.records.findOne({ workspace_id: record.workspace_id, sha256: record.sha256 });
      if (!existing) throw error;
      return { record: fromDoc(existing), created: false };
    }
  }

  async getRecord(id: string): Promise<MediaRecord | null> {
    const doc = await this.records.findOne({ _id: id });
    return doc ? fromDoc(doc) : null;
  }

  async listRecords(workspaceId: string, limit: number, offset: number): Promise<{ media: MediaRecord[]; total: number }> {
    const [docs, total] = await Promise.all([
      this.records.find({ workspace_id: workspaceId }).sort({ created_at: -1, _id: -1 }).skip(offset).limit(limit).toArray(),
      this.records.countDocuments({ workspace_id: workspaceId }),
    ]);
    return { media: docs.map(fromDoc), total };
  }

  async usedBytes(workspaceId: string): Promise<number> {
    const [sum] = await this.records.aggregate<{ used: number }>([{ $match: { workspace_id: workspaceId } }, { $group: { _id: null, used: { $sum: '$bytes' } } }]).toArray();
    return sum?.used ?? 0;
  }

  async markReferenced(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.records.updateMany({ _id: { $in: [...ids] } }, { $set: { referenced: true } });
  }

  async unreferencedImports(before: string, limit: number): Promise<MediaRecord[]> {
    const docs = await this.records.find({ origin: 'url', referenced: false, created_at: { $lt: before } }).sort({ created_at: 1 }).limit(limit).toArray();
    return docs.map(fromDoc);
  }

  async removeRecord(id: string): Promise<boolean> {
    return (await this.records.deleteOne({ _id: id })).deletedCount === 1;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
