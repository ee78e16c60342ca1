import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { newId } from '../../registry/src/ids';
import { kindOf, MediaUnreadable, readFacts, SNIFF_BYTES } from './facts';
import type { ByteRange, MediaFacts, MediaOrigin, MediaRecord, MediaStore } from './port';

export interface MediaLimits {
  maxImageBytes: number;
  maxVideoBytes: number;
  /** Bytes all of a workspace's items may take together. */
  quotaBytes: number;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  maxImageBytes: 20_000_000,
  maxVideoBytes: 1_073_741_824,
  quotaBytes: 10_737_418_240,
};

/** A file refused: 413 (over a cap or the quota) or 422 (empty, or not an image or video we take). */
export class MediaRefused extends Error {
  constructor(
    readonly status: 413 | 422,
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'MediaRefused';
  }
}

/** Bytes stored and understood, not yet an item of the library (see `commit`). */
export interface StagedMedia {
  key: string;
  workspace_id: string;
  bytes: number;
  sha256: string;
  facts: MediaFacts;
}

export interface MediaMeta {
  alt_text?: string | null;
  origin: MediaOrigin;
}

/** What the API shows of an item. */
export interface MediaView extends MediaFacts {
  id: string;
  bytes: number;
  sha256: string;
  alt_text: string | null;
  created_at: string;
}

export function mediaView(record: MediaRecord): MediaView {
  return {
    id: record.id,
    kind: record.kind,
    mime: record.mime,
    bytes: record.bytes,
    width: record.width,
    height: record.height,
    duration_s: record.duration_s,
    codec: record.codec,
    frame_rate: record.frame_rate,
    has_audio: record.has_audio,
    sha256: record.sha256,
    alt_text: record.alt_text,
    created_at: record.created_at,
  };
}

const MEDIA_ID = /^med_[A-Za-z0-9]{1,64}$/;

export function isMediaId(value: unknown): value is string {
  return typeof value === 'string' && MEDIA_ID.test(value);
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 100_000) / 10} MB`;
}

/**
 * Counts, hashes and caps the bytes as they pass, and refuses early what the first bytes say
 * is no image or video, so a wrong or oversized file is cut off without being stored whole.
 */
class Inspection extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  head = Buffer.alloc(0);
  kind: 'image' | 'video' | null = null;

  constructor(
    private readonly limits: MediaLimits,
    private readonly remainingQuota: number,
    private readonly field: string,
  ) {
    super();
  }

  private cap(): number {
    if (this.kind === 'image') return this.limits.maxImageBytes;
    if (this.kind === 'video') return this.limits.maxVideoBytes;
    return Math.max(this.limits.maxImageBytes, this.limits.maxVideoBytes);
  }

  private decideKind(final: boolean): MediaRefused | null {
    if (this.kind || (!final && this.head.length < SNIFF_BYTES)) return null;
    if (this.head.length === 0) return null;
    this.kind = kindOf(this.head);
    return this.kind ? null : new MediaRefused(422, 'the bytes are not an image or video we take (PNG, JPEG, GIF, WebP, MP4, MOV)', this.field);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.head.length < SNIFF_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, SNIFF_BYTES - this.head.length)]);
    const refused = this.decideKind(false) ?? this.overLimit();
    if (refused) return done(refused);
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.decideKind(true) ?? this.overLimit());
  }

  private overLimit(): MediaRefused | null {
    const cap = this.cap();
    if (this.bytes > cap) return new MediaRefused(413, `the ${this.kind ?? 'file'} is larger than the ${megabytes(cap)} allowed${this.kind ? ` for ${this.kind}s` : ''}`, this.field);
    if (this.bytes > this.remainingQuota) return new MediaRefused(413, `the workspace's media quota would be exceeded (${megabytes(this.remainingQuota)} left)`, this.field);
    return null;
  }
}

/**
 * The media library of every workspace: files streamed into the storage port, their facts
 * read from the bytes, one item per distinct content in a workspace.
 */
export class MediaLibrary {
  constructor(
    readonly store: MediaStore,
    readonly limits: MediaLimits = DEFAULT_MEDIA_LIMITS,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Bytes left in the workspace's quota. */
  async remainingQuota(workspaceId: string): Promise<number> {
    return Math.max(0, this.limits.quotaBytes - (await this.store.usedBytes(workspaceId)));
  }

  /**
   * Streams `source` into storage and reads its facts. Refused files (`MediaRefused`) leave
   * nothing stored; the caller drains or closes what is left of the source.
   */
  async stage(workspaceId: string, source: Readable, field = 'file'): Promise<StagedMedia> {
    const remaining = await this.remainingQuota(workspaceId);
    if (remaining <= 0) {
      source.resume();
      throw new MediaRefused(413, `the workspace's media quota of ${megabytes(this.limits.quotaBytes)} is used up; delete media to make room`, field);
    }
    const inspection = new Inspection(this.limits, remaining, field);
    const key = newId('med');
    source.on('error', (error) => inspection.destroy(error));
    source.pipe(inspection);
    let bytes: number;
    try {
      ({ bytes } = await this.store.putBlob(key, inspection));
    } catch (error) {
      source.unpipe(inspection);
      throw error;
    }
    try {
      if (bytes === 0) throw new MediaRefused(422, 'the file is empty', field);
      const facts = await readFacts((range?: ByteRange) => this.store.openBlob(key, range), bytes, inspection.head);
      return { key, workspace_id: workspaceId, bytes, sha256: inspection.hash.digest('hex'), facts };
    } catch (error) {
      await this.store.removeBlob(key);
      if (error instanceof MediaUnreadable) throw new MediaRefused(422, error.message, field);
      throw error;
    }
  }

  /** Makes staged bytes an item; the same bytes already in the workspace give the existing item. */
  async commit(staged: StagedMedia, meta: MediaMeta): Promise<{ record: MediaRecord; created: boolean }> {
    const record: MediaRecord = {
      id: staged.key,
      workspace_id: staged.workspace_id,
      ...staged.facts,
      bytes: staged.bytes,
      sha256: staged.sha256,
      alt_text: meta.alt_text ?? null,
      origin: meta.origin,
      referenced: false,
      created_at: this.clock().toISOString(),
    };
    const result = await this.store.insertRecord(record);
    if (!result.created) await this.store.removeBlob(staged.key);
    return result;
  }

  async discard(staged: StagedMedia): Promise<void> {
    await this.store.removeBlob(staged.key);
  }

  async add(workspaceId: string, source: Readable, meta: MediaMeta, field = 'file'): Promise<{ record: MediaRecord; created: boolean }> {
    return this.commit(await this.stage(workspaceId, source, field), meta);
  }

  /** The item, or null when unknown or of another workspace. */
  async get(workspaceId: string, id: string): Promise<MediaRecord | null> {
    if (!isMediaId(id)) return null;
    const record = await this.store.getRecord(id);
    return record && record.workspace_id === workspaceId ? record : null;
  }

  list(workspaceId: string, limit: number, offset: number): Promise<{ media: MediaRecord[]; total: number }> {
    return this.store.listRecords(workspaceId, limit, offset);
  }

  open(record: MediaRecord, range?: ByteRange): Promise<Readable> {
    return this.store.openBlob(record.id, range);
  }

  /** The record first: a reader never finds a record whose bytes are gone. */
  async remove(record: MediaRecord): Promise<void> {
    await this.store.removeRecord(record.id);
    await this.store.removeBlob(record.id);
  }

  markReferenced(ids: readonly string[]): Promise<void> {
    return this.store.markReferenced(ids);
  }

  /** Removes URL imports older than `maxAgeMs` that no post has named; returns how many. */
  async removeUnreferencedImports(maxAgeMs: number): Promise<number> {
    const before = new Date(this.clock().getTime() - maxAgeMs).toISOString();
    let removed = 0;
    for (;;) {
      const stale = await this.store.unreferencedImports(before, 100);
      for (const record of stale) await this.remove(record);
      removed += stale.length;
      if (stale.length < 100) return removed;
    }
  }
}
