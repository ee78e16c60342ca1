import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { MediaBlobMissing, type MediaRecord, type MediaStore } from '../port';

export interface MediaStoreFixture {
  store: MediaStore;
  cleanup(): Promise<void>;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function record(overrides: Partial<MediaRecord> = {}): MediaRecord {
  const id = overrides.id ?? `med_${randomBytes(8).toString('hex')}`;
  return {
    id,
    workspace_id: 'ws_a',
    kind: 'image',
    mime: 'image/png',
    bytes: 10,
    width: 4,
    height: 3,
    duration_s: null,
    codec: null,
    frame_rate: null,
    has_audio: null,
    sha256: createHash('sha256').update(id).digest('hex'),
    alt_text: null,
    origin: 'upload',
    referenced: false,
    created_at: '2030-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Chunks generated on demand, so the suite itself never holds the whole blob. */
function generated(total: number, chunk = 64 * 1024): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const piece = Buffer.alloc(Math.min(chunk, total - sent), sent % 251);
      sent += piece.length;
      hash.update(piece);
      this.push(piece);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

/** One contract for every media storage adapter. */
export function describeMediaStoreContract(name: string, open: () => Promise<MediaStoreFixture>): void {
  describe(`${name}: media storage contract`, () => {
    let fixture: MediaStoreFixture;
    let store: MediaStore;

    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('streams a blob in and out, whole and by inclusive byte range', async () => {
      const bytes = randomBytes(300_000);
      const put = await store.putBlob('med_blob1', Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]));
      expect(put.bytes).toBe(bytes.length);
      expect((await readAll(await store.openBlob('med_blob1'))).equals(bytes)).toBe(true);
      expect((await readAll(await store.openBlob('med_blob1', { start: 10, end: 19 }))).equals(bytes.subarray(10, 20))).toBe(true);
      expect((await readAll(await store.openBlob('med_blob1', { start: 299_990, end: 299_999 }))).equals(bytes.subarray(299_990))).toBe(true);
    });

    it('takes a blob larger than any buffer it keeps, chunk by chunk', async () => {
      const source = generated(12 * 1024 * 1024);
      expect((await store.putBlob('med_big', source.stream)).bytes).toBe(12 * 1024 * 1024);
      const hash = createHash('sha256');
      for await (const chunk of await store.openBlob('med_big')) hash.update(chunk as Buffer);
      expect(hash.digest('hex')).toBe(source.sha256());
    });

    it('answers MediaBlobMissing for a blob it does not hold, and removing is idempotent', async () => {
      await expect(store.openBlob('med_nothing')).rejects.toBeInstanceOf(MediaBlobMissing);
      await store.putBlob('med_gone', Readable.from([Buffer.from('abc')]));
      await store.removeBlob('med_gone');
      await store.removeBlob('med_gone');
      await expect(store.openBlob('med_gone')).rejects.toBeInstanceOf(MediaBlobMissing);
    });

    it('leaves nothing behind when the source fails midway', async () => {
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(1000, 1));
          this.destroy(new Error('client went away'));
        },
      });
      await expect(store.putBlob('med_broken', failing)).rejects.toThrow(/client went away/);
      await expect(store.openBlob('med_broken')).rejects.toBeInstanceOf(MediaBlobMissing);
    });

    it('keeps one record per workspace and sha256, and says which one won', async () => {
      const first = record({ id: 'med_first', sha256: 'a'.repeat(64) });
      expect(await store.insertRecord(first)).toEqual({ record: first, created: true });
      const again = await store.insertRecord(record({ id: 'med_second', sha256: 'a'.repeat(64) }));
      expect(again.created).toBe(false);
      expect(again.record.id).toBe('med_first');
      const elsewhere = await store.insertRecord(record({ id: 'med_other_ws', workspace_id: 'ws_b', sha256: 'a'.repeat(64) }));
      expect(elsewhere.created).toBe(true);
      expect(await store.getRecord('med_first')).toEqual(first);
      expect(await store.getRecord('med_second')).toBeNull();
    });

    it('lists a workspace newest first with a total, and sums its bytes', async () => {
      await store.insertRecord(record({ id: 'med_old', created_at: '2030-01-01T00:00:00.000Z', bytes: 100 }));
      await store.insertRecord(record({ id: 'med_new', created_at: '2030-01-03T00:00:00.000Z', bytes: 50 }));
      await store.insertRecord(record({ id: 'med_mid', created_at: '2030-01-02T00:00:00.000Z', bytes: 25 }));
      await store.insertRecord(record({ id: 'med_b', workspace_id: 'ws_b', bytes: 7 }));
      const page = await store.listRecords('ws_a', 2, 0);
      expect(page.total).toBe(3);
      expect(page.media.map((m) => m.id)).toEqual(['med_new', 'med_mid']);
      expect((await store.listRecords('ws_a', 2, 2)).media.map((m) => m.id)).toEqual(['med_old']);
      expect(await store.usedBytes('ws_a')).toBe(175);
      expect(await store.usedBytes('ws_none')).toBe(0);
    });

    it('finds URL imports no post named before a time, and removes records', async () => {
      await store.insertRecord(record({ id: 'med_import_old', origin: 'url', created_at: '2030-01-01T00:00:00.000Z' }));
      await store.insertRecord(record({ id: 'med_import_used', origin: 'url', created_at: '2030-01-01T00:00:00.000Z' }));
      await store.insertRecord(record({ id: 'med_import_new', origin: 'url', created_at: '2030-01-05T00:00:00.000Z' }));
      await store.insertRecord(record({ id: 'med_upload_old', origin: 'upload', created_at: '2030-01-01T00:00:00.000Z' }));
      await store.markReferenced(['med_import_used']);
      expect((await store.getRecord('med_import_used'))?.referenced).toBe(true);
      const stale = await store.unreferencedImports('2030-01-02T00:00:00.000Z', 10);
      expect(stale.map((m) => m.id)).toEqual(['med_import_old']);
      expect(await store.removeRecord('med_import_old')).toBe(true);
      expect(await store.removeRecord('med_import_old')).toBe(false);
      expect(await store.getRecord('med_import_old')).toBeNull();
    });
  });
}
