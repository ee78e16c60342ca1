import { randomUUID } from 'node:crypto';
import {
  type EventHandler,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
  WrongExpectedRevision,
} from '../port';

export interface EventStoreContractFixture {
  store: EventStore;
  /**
   * Opens another store over the same storage, as a process restart would.
   * The suite closes `store` before calling it when it simulates a restart.
   */
  reopen: () => Promise<EventStore>;
  /** Closes `store` and every store `reopen` returned, then removes the storage if it is private to the test. */
  cleanup: () => Promise<void>;
}

const WAIT_TIMEOUT_MS = 10_000;

/**
 * The behaviour every `EventStore` adapter must show. Each test uses streams of
 * its own random category, so the suite also runs against a shared server that
 * holds other data.
 */
export function describeEventStoreContract(name: string, setup: () => Promise<EventStoreContractFixture>): void {
  describe(`EventStore contract: ${name}`, () => {
    let fixture: EventStoreContractFixture;
    let store: EventStore;
    let subscriptions: Subscription[];

    beforeEach(async () => {
      fixture = await setup();
      store = fixture.store;
      subscriptions = [];
    });

    afterEach(async () => {
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
      await fixture.cleanup();
    });

    function subscribe(target: EventStore, handler: EventHandler, options?: SubscribeOptions): Subscription {
      const subscription = target.subscribe(handler, options);
      subscriptions.push(subscription);
      return subscription;
    }

    describe('append', () => {
      it("appends to a new stream with 'no_stream' and numbers revisions from 0", async () => {
        const stream = newStream(newCategory());
        const events = [newEvent('First'), newEvent('Second'), newEvent('Third')];

        const result = await store.append(stream, events, 'no_stream');

        expect(result.nextRevision).toBe(2);
        const read = await store.readStream(stream);
        expect(read.map((e) => [e.id, e.revision, e.stream])).toEqual(events.map((e, i) => [e.id, i, stream]));
        expect(read[2].position).toBe(result.position);
        expect(read[0].position).toBeLessThan(read[1].position);
        expect(read[1].position).toBeLessThan(read[2].position);
      });

      it("rejects a second 'no_stream' append with WrongExpectedRevision and keeps the stream as it was", async () => {
        const stream = newStream(newCategory());
        const first = newEvent('Created');
        await store.append(stream, [first], 'no_stream');

        const error = await store.append(stream, [newEvent('Created')], 'no_stream').catch((e: unknown) => e);

        expect(error).toBeInstanceOf(WrongExpectedRevision);
        expect(error).toMatchObject({ stream, expected: 'no_stream', actual: 0 });
        expect((await store.readStream(stream)).map((e) => e.id)).toEqual([first.id]);
      });

      it('appends when the expected revision matches and rejects when it does not', async () => {
        const stream = newStream(newCategory());
        await store.append(stream, [newEvent('A')], 'no_stream');

        const matched = await store.append(stream, [newEvent('B'), newEvent('C')], 0);
        expect(matched.nextRevision).toBe(2);

        const stale = await store.append(stream, [newEvent('D')], 0).catch((e: unknown) => e);
        expect(stale).toBeInstanceOf(WrongExpectedRevision);
        expect(stale).toMatchObject({ stream, expected: 0, actual: 2 });

        const ahead = await store.append(stream, [newEvent('D')], 7).catch((e: unknown) => e);
        expect(ahead).toMatchObject({ expected: 7, actual: 2 });
        expect(ahead).toBeInstanceOf(WrongExpectedRevision);

        const missing = await store.append(newStream(newCategory()), [newEvent('X')], 0).catch((e: unknown) => e);
        expect(missing).toBeInstanceOf(WrongExpectedRevision);
        expect(missing).toMatchObject({ expected: 0, actual: 'no_stream' });

        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      });

      it("appends with 'any' to new and existing streams without a check", async () => {
        const stream = newStream(newCategory());
        expect((await store.append(stream, [newEvent('A')], 'any')).nextRevision).toBe(0);
        expect((await store.append(stream, [newEvent('B')], 'any')).nextRevision).toBe(1);
        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B']);
      });

      it('lets exactly one of 20 racing appends with the same expected revision win, losing nothing', async () => {
        const stream = newStream(newCategory());
        const created = newEvent('Created');
        await store.append(stream, [created], 'no_stream');
        const racers = Array.from({ length: 20 }, (_, racer) => newEvent('Raced', { racer }));

        const outcomes = await Promise.allSettled(racers.map((event) => store.append(stream, [event], 0)));

        const won = outcomes.flatMap((outcome, racer) => (outcome.status === 'fulfilled' ? [racer] : []));
        expect(won).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(WrongExpectedRevision);
        }
        const read = await store.readStream(stream);
        expect(read.map((e) => e.id)).toEqual([created.id, racers[won[0]].id]);
        expect(read[1].data).toEqual({ racer: won[0] });
      });

      it("lets exactly one of 20 racing 'no_stream' appends create the stream", async () => {
        const stream = newStream(newCategory());
        const racers = Array.from({ length: 20 }, (_, racer) => newEvent('Created', { racer }));

        const outcomes = await Promise.allSettled(racers.map((event) => store.append(stream, [event], 'no_stream')));

        const won = outcomes.flatMap((outcome, racer) => (outcome.status === 'fulfilled' ? [racer] : []));
        expect(won).toHaveLength(1);
        expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof WrongExpectedRevision)).toHaveLength(19);
        expect((await store.readStream(stream)).map((e) => e.id)).toEqual([racers[won[0]].id]);
      });

      it('treats a retry of a committed append (same ids, same expected revision) as done, without duplicates', async () => {
        const stream = newStream(newCategory());
        const events = [newEvent('A'), newEvent('B')];
        const first = await store.append(stream, events, 'no_stream');

        const retried = await store.append(stream, events, 'no_stream');

        expect(retried).toEqual(first);
        expect((await store.readStream(stream)).map((e) => e.id)).toEqual(events.map((e) => e.id));
      });

      it('rejects an append without events', async () => {
        const stream = newStream(newCategory());
        await expect(store.append(stream, [], 'no_stream')).rejects.toThrow(TypeError);
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('round-trips id, type, version, data and metadata', async () => {
        const stream = newStream(newCategory());
        const data = {
          text: 'Grüße 👋 — "quoted" \\ back\nslash',
          count: 42,
          ratio: 0.25,
          flag: false,
          nothing: null,
          list: [1, 'two', { three: 3 }],
          nested: { deep: { deeper: ['x'] } },
        };
        const metadata: EventMetadata = {
          occurred_at: '2025-01-02T03:04:05.678Z',
          workspace_id: 'ws_1',
          actor: 'key_1',
          request_id: 'req_1',
          correlation_id: 'corr_1',
          causation_id: 'cause_1',
          client: { name: 'contract' },
        };
        const event: EventToAppend = { id: randomUUID(), type: 'PostCreated', version: 3, data, metadata };
        const before = await store.headPosition();

        const result = await store.append(stream, [event], 'no_stream');

        const [fromStream] = await store.readStream(stream);
        const expected = { id: event.id, stream, revision: 0, position: result.position, type: 'PostCreated', version: 3, data, metadata };
        expect(fromStream).toMatchObject(expected);
        expect(fromStream.data).toEqual(data);
        expect(fromStream.metadata).toEqual(metadata);
        expect(new Date(fromStream.recorded_at).toISOString()).toBe(fromStream.recorded_at);

        const [fromAll] = await store.readAll({ from: before, streamPrefixes: [stream] });
        expect(fromAll).toEqual(fromStream);

        const delivered: RecordedEvent[] = [];
        subscribe(store, (e) => void delivered.push(e), { from: before, streamPrefixes: [stream] });
        await waitFor(() => delivered.length === 1, 'the subscription delivers the event');
        expect(delivered[0]).toEqual(fromStream);
      });
    });

    describe('readStream', () => {
      it('returns [] for a stream that does not exist', async () => {
        expect(await store.readStream(newStream(newCategory()))).toEqual([]);
      });

      it('reads in revision order from a revision, at most maxCount events', async () => {
        const stream = newStream(newCategory());
        const events = Array.from({ length: 6 }, (_, i) => newEvent(`E${i}`));
        await store.append(stream, events.slice(0, 2), 'no_stream');
        await store.append(stream, events.slice(2, 3), 1);
        await store.append(stream, events.slice(3), 2);

        expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5]);
        const page = await store.readStream(stream, { fromRevision: 2, maxCount: 3 });
        expect(page.map((e) => [e.revision, e.id])).toEqual([2, 3, 4].map((r) => [r, events[r].id]));
        expect(await store.readStream(stream, { fromRevision: 6 })).toEqual([]);
      });
    });

    describe('readAll', () => {
      it('returns events across streams in commit order with strictly increasing positions', async () => {
        const category = newCategory();
        const a = newStream(category);
        const b = newStream(category);
        const before = await store.headPosition();

        const order: string[] = [];
        const append = async (stream: string, events: EventToAppend[], expected: 'no_stream' | number) => {
          await store.append(stream, events, expected);
          order.push(...events.map((e) => e.id));
        };
        await append(a, [newEvent('A0')], 'no_stream');
        await append(b, [newEvent('B0'), newEvent('B1')], 'no_stream');
        await append(a, [newEvent('A1')], 0);
        await append(b, [newEvent('B2')], 1);

        const all = await store.readAll({ from: before, streamPrefixes: [`${category}-`] });
        expect(all.map((e) => e.id)).toEqual(order);
        for (let i = 1; i < all.length; i++) expect(all[i].position).toBeGreaterThan(all[i - 1].position);
        expect(all.map((e) => `${e.stream === a ? 'a' : 'b'}${e.revision}`)).toEqual(['a0', 'b0', 'b1', 'a1', 'b2']);
      });

      it('reads after a position (exclusive), at most limit events, of the given prefixes only', async () => {
        const mine = newCategory();
        const other = newCategory();
        const before = await store.headPosition();
        const positions: bigint[] = [];
        for (let i = 0; i < 5; i++) {
          positions.push((await store.append(newStream(mine), [newEvent('Mine', { i })], 'no_stream')).position);
          await store.append(newStream(other), [newEvent('Other', { i })], 'no_stream');
        }

        const page = await store.readAll({ from: positions[1], limit: 2, streamPrefixes: [`${mine}-`] });
        expect(page.map((e) => e.data)).toEqual([{ i: 2 }, { i: 3 }]);
        expect(page.map((e) => e.position)).toEqual([positions[2], positions[3]]);

        const rest = await store.readAll({ from: positions[3], streamPrefixes: [`${mine}-`] });
        expect(rest.map((e) => e.data)).toEqual([{ i: 4 }]);

        const mineOnly = await store.readAll({ from: before, streamPrefixes: [`${mine}-`] });
        expect(mineOnly.map((e) => e.type)).toEqual(['Mine', 'Mine', 'Mine', 'Mine', 'Mine']);

        const both = await store.readAll({ from: before, streamPrefixes: [`${mine}-`, `${other}-`] });
        expect(both).toHaveLength(10);
        expect(both.map((e) => e.type)).toEqual(['Mine', 'Other', 'Mine', 'Other', 'Mine', 'Other', 'Mine', 'Other', 'Mine', 'Other']);

        const unfiltered = await store.readAll({ from: before });
        expect(unfiltered.filter((e) => e.stream.startsWith(`${mine}-`) || e.stream.startsWith(`${other}-`))).toEqual(both);

        expect(await store.readAll({ from: positions[4], streamPrefixes: [`${mine}-`] })).toEqual([]);
      });
    });

    describe('headPosition', () => {
      it('is the position of the last event matching the prefixes, 0n when none matches', async () => {
        const mine = newCategory();
        const other = newCategory();
        expect(await store.headPosition([`${mine}-`])).toBe(0n);

        const first = await store.append(newStream(mine), [newEvent('A'), newEvent('B')], 'no_stream');
        expect(await store.headPosition([`${mine}-`])).toBe(first.position);

        const foreign = await store.append(newStream(other), [newEvent('C')], 'no_stream');
        expect(await store.headPosition([`${mine}-`])).toBe(first.position);
        expect(await store.headPosition([`${mine}-`, `${other}-`])).toBe(foreign.position);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(foreign.position);
      });
    });

    describe('subscribe', () => {
      it('catches up from the start, resolves caughtUp after delivering it all, then delivers live events in order', async () => {
        const category = newCategory();
        const prefix = `${category}-`;
        const a = newStream(category);
        const early = [newEvent('E0'), newEvent('E1'), newEvent('E2')];
        await store.append(a, early.slice(0, 2), 'no_stream');
        await store.append(newStream(newCategory()), [newEvent('Elsewhere')], 'no_stream');
        await store.append(a, early.slice(2), 1);

        const delivered: RecordedEvent[] = [];
        // A slow handler, so a caughtUp resolved before the delivery ended shows.
        const subscription = subscribe(
          store,
          async (e) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            delivered.push(e);
          },
          { streamPrefixes: [prefix] },
        );
        await withTimeout(subscription.caughtUp, 'caughtUp');
        expect(delivered.map((e) => e.id)).toEqual(early.map((e) => e.id));

        const live = [newEvent('L0'), newEvent('L1'), newEvent('L2')];
        await store.append(a, [live[0]], 2);
        await store.append(newStream(category), [live[1], live[2]], 'no_stream');
        await waitFor(() => delivered.length >= 6, 'live events are delivered');

        expect(delivered.map((e) => e.id)).toEqual([...early, ...live].map((e) => e.id));
        expect(delivered.every((e) => e.stream.startsWith(prefix))).toBe(true);
        for (let i = 1; i < delivered.length; i++) expect(delivered[i].position).toBeGreaterThan(delivered[i - 1].position);
      });

      it('resolves caughtUp at once when nothing matches yet, and still delivers later events', async () => {
        const category = newCategory();
        const delivered: RecordedEvent[] = [];
        const subscription = subscribe(store, (e) => void delivered.push(e), { streamPrefixes: [`${category}-`] });
        await withTimeout(subscription.caughtUp, 'caughtUp');
        expect(delivered).toEqual([]);

        const event = newEvent('Late');
        await store.append(newStream(category), [event], 'no_stream');
        await waitFor(() => delivered.length === 1, 'the late event is delivered');
        expect(delivered[0].id).toBe(event.id);
      });

      it('starts after the given position (exclusive)', async () => {
        const category = newCategory();
        const stream = newStream(category);
        const events = Array.from({ length: 5 }, (_, i) => newEvent(`E${i}`));
        await store.append(stream, events, 'no_stream');
        const read = await store.readStream(stream);

        const delivered: RecordedEvent[] = [];
        const subscription = subscribe(store, (e) => void delivered.push(e), {
          from: read[1].position,
          streamPrefixes: [`${category}-`],
        });
        await withTimeout(subscription.caughtUp, 'caughtUp');

        expect(delivered.map((e) => e.id)).toEqual(events.slice(2).map((e) => e.id));
      });

      it('awaits the handler: one event at a time, in position order', async () => {
        const category = newCategory();
        let running = 0;
        let mostAtOnce = 0;
        const delivered: RecordedEvent[] = [];
        subscribe(
          store,
          async (event) => {
            running += 1;
            mostAtOnce = Math.max(mostAtOnce, running);
            await new Promise((resolve) => setTimeout(resolve, 3));
            delivered.push(event);
            running -= 1;
          },
          { streamPrefixes: [`${category}-`] },
        );

        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => store.append(newStream(category), [newEvent('Concurrent', { i })], 'no_stream')),
        );
        await waitFor(() => delivered.length === 12, 'all 12 events are delivered');

        expect(mostAtOnce).toBe(1);
        const positions = results.map((r) => r.position).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
        expect(delivered.map((e) => e.position)).toEqual(positions);
      });

      it('stop() waits for the running handler and ends delivery', async () => {
        const category = newCategory();
        const stream = newStream(category);
        let releaseHandler!: () => void;
        const handlerBlocked = new Promise<void>((resolve) => (releaseHandler = resolve));
        let handlerStarted = false;
        let handlerFinished = false;
        const delivered: RecordedEvent[] = [];
        const subscription = subscribe(
          store,
          async (event) => {
            delivered.push(event);
            if (delivered.length === 1) {
              handlerStarted = true;
              await handlerBlocked;
              handlerFinished = true;
            }
          },
          { streamPrefixes: [`${category}-`] },
        );
        await store.append(stream, [newEvent('First'), newEvent('Second')], 'no_stream');
        await waitFor(() => handlerStarted, 'the handler runs for the first event');

        let stopped = false;
        const stopping = subscription.stop().then(() => (stopped = true));
        await new Promise((resolve) => setImmediate(resolve));
        expect(stopped).toBe(false);
        releaseHandler();
        await withTimeout(stopping, 'stop()');
        expect(handlerFinished).toBe(true);

        await store.append(stream, [newEvent('Third')], 1);
        // A second subscription seeing "Third" shows it was there to be delivered.
        const witness: RecordedEvent[] = [];
        subscribe(store, (e) => void witness.push(e), { streamPrefixes: [`${category}-`] });
        await waitFor(() => witness.length === 3, 'a new subscription sees all three events');
        expect(delivered.map((e) => e.type)).toEqual(['First']);
      });

      it('ends delivery when the handler throws and rejects a pending caughtUp with its error', async () => {
        const category = newCategory();
        const stream = newStream(category);
        await store.append(stream, [newEvent('A'), newEvent('B'), newEvent('C')], 'no_stream');
        const seen: string[] = [];
        const subscription = subscribe(
          store,
          (event) => {
            seen.push(event.type);
            if (event.type === 'B') throw new Error('projection failed');
          },
          { streamPrefixes: [`${category}-`] },
        );

        await expect(withTimeout(subscription.caughtUp, 'caughtUp')).rejects.toThrow('projection failed');
        await withTimeout(subscription.stop(), 'stop()');
        expect(seen).toEqual(['A', 'B']);
      });

      it('loses and doubles nothing across a restart when resubscribing from the last position seen', async () => {
        const category = newCategory();
        const prefix = `${category}-`;
        const stream = newStream(category);
        await store.append(stream, [newEvent('E0'), newEvent('E1')], 'no_stream');
        await store.append(newStream(category), [newEvent('E2')], 'no_stream');

        const beforeRestart: RecordedEvent[] = [];
        const first = subscribe(store, (e) => void beforeRestart.push(e), { streamPrefixes: [prefix] });
        await withTimeout(first.caughtUp, 'caughtUp');
        await store.append(stream, [newEvent('E3')], 1);
        await waitFor(() => beforeRestart.length === 4, 'the live event before the restart');
        const checkpoint = beforeRestart[beforeRestart.length - 1].position;

        await store.close();
        const reopened = await fixture.reopen();
        await reopened.append(stream, [newEvent('E4')], 2);
        await reopened.append(newStream(category), [newEvent('E5')], 'no_stream');

        const afterRestart: RecordedEvent[] = [];
        const second = subscribe(reopened, (e) => void afterRestart.push(e), { from: checkpoint, streamPrefixes: [prefix] });
        await withTimeout(second.caughtUp, 'caughtUp after restart');
        await reopened.append(stream, [newEvent('E6')], 3);
        await waitFor(() => afterRestart.length === 3, 'events after the restart');

        const seen = [...beforeRestart, ...afterRestart];
        expect(seen.map((e) => e.type)).toEqual(['E0', 'E1', 'E2', 'E3', 'E4', 'E5', 'E6']);
        expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
        const stored = await reopened.readAll({ streamPrefixes: [prefix] });
        expect(seen.map((e) => e.id)).toEqual(stored.map((e) => e.id));
      });
    });
  });
}

/** A stream category of its own, so a test never sees another test's events. */
export function newCategory(): string {
  return `ct${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

export function newStream(category: string): string {
  return `${category}-${randomUUID()}`;
}

export function newEvent(type: string, data: Record<string, unknown> = {}): EventToAppend {
  return {
    id: randomUUID(),
    type,
    version: 1,
    data,
    metadata: { occurred_at: new Date().toISOString(), workspace_id: 'ws_contract', actor: 'contract' },
  };
}

/** Polls until the condition holds; fails with the description after the timeout. */
export async function waitFor(condition: () => boolean, description: string, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function withTimeout<T>(promise: Promise<T>, description: string, timeoutMs = WAIT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
