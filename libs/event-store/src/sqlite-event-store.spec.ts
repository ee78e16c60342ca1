import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describeEventStoreContract } from '../testing';
import { type EventStore, type RecordedEvent, WrongExpectedRevision } from './port';
import { type GroupCommit, SqliteEventStore } from './sqlite-event-store';
import { newCategory, newEvent, newStream, waitFor } from './testing/event-store-contract';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'postloom-event-store-'));
}

describeEventStoreContract('SqliteEventStore', async () => {
  const dir = tempDir();
  const path = join(dir, 'data', 'events.db');
  const opened: EventStore[] = [new SqliteEventStore(path)];
  return {
    store: opened[0],
    reopen: async () => {
      const store = new SqliteEventStore(path);
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      await Promise.all(opened.map((store) => store.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteEventStore', () => {
  let dir: string;
  let path: string;
  let stores: SqliteEventStore[];

  function open(options?: ConstructorParameters<typeof SqliteEventStore>[1]): SqliteEventStore {
    const store = SqliteEventStore.open(path, options);
    stores.push(store);
    return store;
  }

  beforeEach(() => {
    dir = tempDir();
    path = join(dir, 'nested', 'deeper', 'events.db');
    stores = [];
  });

  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the directory and a WAL-mode database file', () => {
    open();
    expect(existsSync(path)).toBe(true);
    const peek = new Database(path, { readonly: true });
    try {
      expect(peek.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      peek.close();
    }
  });

  describe('group commit', () => {
    it('commits appends requested in the same tick in one transaction, failing only the conflicting ones', async () => {
      const commits: GroupCommit[] = [];
      const store = open({ onCommit: (commit) => commits.push(commit) });
      const category = newCategory();
      const streams = Array.from({ length: 7 }, () => newStream(category));
      const missing = newStream(category);

      const outcomes = await Promise.allSettled([
        ...streams.map((stream) => store.append(stream, [newEvent('Created')], 'no_stream')),
        // Checked in order within the batch: this one sees the append just above.
        store.append(streams[0], [newEvent('Updated')], 0),
        store.append(streams[0], [newEvent('Stale')], 0),
        store.append(missing, [newEvent('Orphan')], 3),
      ]);

      expect(commits).toHaveLength(1);
      expect(commits[0]).toMatchObject({ appends: 10, events: 8 });
      expect(outcomes.map((o) => o.status)).toEqual([...Array(8).fill('fulfilled'), 'rejected', 'rejected']);
      const [stale, orphan] = outcomes.slice(8).map((o) => (o.status === 'rejected' ? o.reason : undefined));
      expect(stale).toBeInstanceOf(WrongExpectedRevision);
      expect(stale).toMatchObject({ stream: streams[0], expected: 0, actual: 1 });
      expect(orphan).toBeInstanceOf(WrongExpectedRevision);
      expect(orphan).toMatchObject({ stream: missing, expected: 3, actual: 'no_stream' });

      expect((await store.readStream(streams[0])).map((e) => e.type)).toEqual(['Created', 'Updated']);
      expect(await store.readStream(missing)).toEqual([]);
      const all = await store.readAll({ streamPrefixes: [`${category}-`] });
      expect(all).toHaveLength(8);
    });

    it('isolates an append whose data cannot be stored', async () => {
      const commits: GroupCommit[] = [];
      const store = open({ onCommit: (commit) => commits.push(commit) });
      const good = newStream(newCategory());
      const bad = newStream(newCategory());

      const outcomes = await Promise.allSettled([
        store.append(good, [newEvent('Fine')], 'no_stream'),
        store.append(bad, [newEvent('Fine'), newEvent('Broken', { amount: 10n })], 'no_stream'),
      ]);

      expect(commits).toHaveLength(1);
      expect(outcomes[0].status).toBe('fulfilled');
      expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.any(TypeError) });
      expect(await store.readStream(good)).toHaveLength(1);
      // The savepoint rolled back the first event of the failed append too.
      expect(await store.readStream(bad)).toEqual([]);
    });

    it('resolves each append with its own revision and position', async () => {
      const store = open();
      const stream = newStream(newCategory());
      const [first, second] = await Promise.all([
        store.append(stream, [newEvent('A'), newEvent('B')], 'no_stream'),
        store.append(stream, [newEvent('C')], 1),
      ]);
      const read = await store.readStream(stream);
      expect(first).toEqual({ nextRevision: 1, position: read[1].position });
      expect(second).toEqual({ nextRevision: 2, position: read[2].position });
    });
  });

  describe('durability', () => {
    it('has a resolved append on disk: another connection and a reopened store read it', async () => {
      const writer = open();
      const stream = newStream(newCategory());
      const events = [newEvent('Created', { text: 'hello' }), newEvent('Scheduled')];
      const result = await writer.append(stream, events, 'no_stream');

      const other = open();
      expect((await other.readStream(stream)).map((e) => e.id)).toEqual(events.map((e) => e.id));

      await writer.close();
      await other.close();
      const reopened = open();
      const read = await reopened.readStream(stream);
      expect(read.map((e) => e.id)).toEqual(events.map((e) => e.id));
      expect(read[0].data).toEqual({ text: 'hello' });
      expect(await reopened.headPosition()).toBe(result.position);
      expect((await reopened.append(stream, [newEvent('Next')], 1)).position).toBeGreaterThan(result.position);
    });

    it('commits appends already accepted when closed, and rejects appends after that', async () => {
      const store = open();
      const stream = newStream(newCategory());
      const pending = store.append(stream, [newEvent('Created')], 'no_stream');

      await store.close();

      await expect(pending).resolves.toMatchObject({ nextRevision: 0 });
      await expect(store.append(stream, [newEvent('Late')], 0)).rejects.toThrow('closed');
      expect(await open().readStream(stream)).toHaveLength(1);
    });
  });

  it('delivers to a subscription the appends made by another store on the same file (another process)', async () => {
    const subscriber = open({ pollIntervalMs: 20 });
    const writer = open();
    const category = newCategory();
    const delivered: RecordedEvent[] = [];
    const subscription = subscriber.subscribe((event) => void delivered.push(event), { streamPrefixes: [`${category}-`] });
    await subscription.caughtUp;

    const event = newEvent('FromElsewhere');
    await writer.append(newStream(category), [event], 'no_stream');

    await waitFor(() => delivered.length > 0, 'the poll finds the other store\'s append');
    expect(delivered.map((e) => e.id)).toEqual([event.id]);
    await subscription.stop();
  });
});
