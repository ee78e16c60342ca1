import type { Readable } from 'node:stream';

/** What the bytes of a media item say it is; never taken from a name or a declared type. */
export interface MediaFacts {
  kind: 'image' | 'video';
  mime: string;
  width: number | null;
  height: number | null;
  /** Seconds, videos only. */
  duration_s: number | null;
  /** The video track's codec as ISO BMFF names it (`avc1.64001f`, `hvc1...`), videos only. */
  codec: string | null;
  /** Frames per second of the video track, videos only. */
  frame_rate: number | null;
  /** Whether the video carries an audio track; null for images. */
  has_audio: boolean | null;
}

/** How an item came into the library. Unreferenced URL imports are removed after a day. */
export type MediaOrigin = 'upload' | 'url' | 'tus';

export interface MediaRecord extends MediaFacts {
  id: string;
  workspace_id: string;
  bytes: number;
  sha256: string;
  alt_text: string | null;
  origin: MediaOrigin;
  /** Set once a post has named the item. */
  referenced: boolean;
  created_at: string;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive (as in HTTP `Range`). */
  end: number;
}

/**
 * The media storage port: blobs streamed in and out, and the records describing them.
 * Adapters: files under `DATA_DIR/media` with a SQLite index (embedded) and MongoDB GridFS
 * with a `media` collection (distributed). One contract suite runs against both.
 */
export interface MediaStore {
  readonly adapter: 'files' | 'gridfs';
  /** Streams `source` into a new blob named `key`; durable when it resolves. A failed write leaves nothing behind. */
  putBlob(key: string, source: Readable): Promise<{ bytes: number }>;
  /** The blob's bytes, or a range of them; rejects with `MediaBlobMissing` when there is no such blob. */
  openBlob(key: string, range?: ByteRange): Promise<Readable>;
  /** Idempotent. */
  removeBlob(key: string): Promise<void>;

  /**
   * Records a new item, unless the workspace already holds the same bytes (same sha256):
   * then the existing record is returned and nothing is written. Safe under races.
   */
  insertRecord(record: MediaRecord): Promise<{ record: MediaRecord; created: boolean }>;
  getRecord(id: string): Promise<MediaRecord | null>;
  /** Newest first. */
  listRecords(workspaceId: string, limit: number, offset: number): Promise<{ media: MediaRecord[]; total: number }>;
  /** Bytes the workspace's items take. */
  usedBytes(workspaceId: string): Promise<number>;
  markReferenced(ids: readonly string[]): Promise<void>;
  /** URL imports created before `before` that no post has named. */
  unreferencedImports(before: string, limit: number): Promise<MediaRecord[]>;
  /** True when it existed. */
  removeRecord(id: string): Promise<boolean>;
  close(): Promise<void>;
}

export class MediaBlobMissing extends Error {
  constructor(readonly key: string) {
    super(`media blob ${key} not found`);
    this.name = 'MediaBlobMissing';
  }
}
