import { describeEventStoreContract } from '../testing';
import { EventStoreDbEventStore } from './eventstoredb-event-store';
import { AppendTooLarge, type EventStore, type RecordedEvent, WrongExpectedRevision } from './port';
import { newCategory, newEvent, newStream, waitFor, withTimeout } from './testing/event-store-contract';
import { InMemoryEventStoreDb } from './testing/in-memory-eventstoredb';

/*
 * No EventStoreDB server can run here, so these tests drive the adapter through
 * an in-memory stand-in for the client: they check our mapping (revisions,
 * positions, metadata, filters, paging, resubscription), not the server. The
 * same contract runs against a real server in
 * eventstoredb-event-store.distributed.spec.ts when EVENTSTORE_URL is set.
 */

const fastRetries = { readPageSize: 4, reconnectInitialDelayMs: 5, reconnectMaxDelayMs: 40 };

describeEventStoreContract('EventStoreDbEventStore over an in-memory client', async () => {
  const server = new InMemoryEventStoreDb();
  const opened: EventStore[] = [new EventStoreDbEventStore(server.client(), fastRetries)];
  return {
    store: opened[0],
    reopen: async () => {
      const store = new EventStoreDbEventStore(server.client(), fastRetries);
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      await Promise.all(opened.map((store) => store.close()));
    },
  };
});

describe('EventStoreDbEventStore', () => {
  let server: InMemoryEventStoreDb;
  let store: EventStoreDbEventStore;

  beforeEach(() => {
    server = new InMemoryEventStoreDb();
    store = new EventStoreDbEventStore(server.client(), fastRetries);
  });

  afterEach(async () => {
    await store.close();
  });

  it('keeps the schema version and the correlation ids EventStoreDB projections read in the event metadata', async () => {
    const stream = newStream(newCategory());
    const event = newEvent('PostCreated');
    event.version = 2;
    event.metadata.correlation_id = 'corr';
    event.metadata.causation_id = 'cause';

    await store.append(stream, [event], 'no_stream');

    expect(server.stored(stream)[0].metadata).toEqual({
      ...event.metadata,
      schema_version: 2,
      $correlationId: 'corr',
      $causationId: 'cause',
    });
    const [read] = await store.readStream(stream);
    expect(read.version).toBe(2);
    expect(read.metadata).toEqual(event.metadata);
  });

  it('maps the client WrongExpectedVersionError to WrongExpectedRevision', async () => {
    const stream = newStream(newCategory());
    await store.append(stream, [newEvent('A'), newEvent('B')], 'no_stream');

    const error = await store.append(stream, [newEvent('C')], 0).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(WrongExpectedRevision);
    expect(error).toMatchObject({ stream, expected: 0, actual: 1 });
  });

  it('leaves system events and events of other tools out of readAll and headPosition', async () => {
    const stream = newStream(newCategory());
    const result = await store.append(stream, [newEvent('A')], 'no_stream');

    const all = await store.readAll();
    expect(all.map((e) => e.stream)).toEqual([stream]);
    expect(await store.headPosition()).toBe(result.position);
  });

  it('resubscribes after the connection drops or the server ends the call, from the last delivered event, delivering each event once', async () => {
    const category = newCategory();
    const stream = newStream(category);
    const delivered: RecordedEvent[] = [];
    const subscription = store.subscribe((e) => void delivered.push(e), { streamPrefixes: [`${category}-`] });
    await store.append(stream, [newEvent('E0'), newEvent('E1')], 'no_stream');
    await waitFor(() => delivered.length === 2, 'the first two events');

    server.dropConnections();
    server.failNextSubscribes(3);
    await store.append(stream, [newEvent('E2')], 1);
    await store.append(stream, [newEvent('E3')], 2);
    await waitFor(() => delivered.length === 4, 'the events appended while disconnected');

    expect(delivered.map((e) => e.type)).toEqual(['E0', 'E1', 'E2', 'E3']);
    const resumedFrom = server.subscribeCalls[server.subscribeCalls.length - 1];
    expect(resumedFrom).toEqual({ commit: delivered[1].position, prepare: delivered[1].position });

    server.endConnections();
    await store.append(stream, [newEvent('E4')], 3);
    await waitFor(() => delivered.length === 5, 'the event appended after the server ended the call');
    expect(delivered.map((e) => e.type)).toEqual(['E0', 'E1', 'E2', 'E3', 'E4']);
    await withTimeout(subscription.stop(), 'stop()');
  });

  it('stops promptly while waiting to resubscribe', async () => {
    await store.append(newStream(newCategory()), [newEvent('Undelivered')], 'no_stream');
    server.failNextSubscribes(1_000);
    const slow = new EventStoreDbEventStore(server.client(), { reconnectInitialDelayMs: 60_000 });
    const subscription = slow.subscribe(() => undefined);
    await waitFor(() => server.subscribeCalls.length === 1, 'the first subscribe attempt');

    await withTimeout(subscription.stop(), 'stop()', 1_000);
    await expect(subscription.caughtUp).rejects.toThrow('stopped before it caught up');
    await slow.close();
  });
});

describe('EventStoreDbEventStore against what a real server refuses', () => {
  let server: InMemoryEventStoreDb;
  const opened: EventStoreDbEventStore[] = [];
  const logged: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const logger = {
    warn: (fields: Record<string, unknown>, message: string) => logged.push({ level: 'warn', message, fields }),
    error: (fields: Record<string, unknown>, message: string) => logged.push({ level: 'error', message, fields }),
  };
  const open = () => {
    const store = new EventStoreDbEventStore(server.client(), { ...fastRetries, logger });
    opened.push(store);
    return store;
  };

  beforeEach(() => {
    server = new InMemoryEventStoreDb();
    logged.length = 0;
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('a subscription from a position that is no event is refused for good: stopped, logged, reported, not retried', async () => {
    const store = open();
    const stream = newStream(newCategory());
    const { position } = await store.append(stream, [newEvent('A')], 'no_stream');
    const subscription = store.subscribe(() => undefined, { from: position - 1n, name: 'dispatcher' });
    await expect(withTimeout(subscription.caughtUp, 'the refusal', 2_000)).rejects.toThrow(/Invalid position/);
    const calls = server.subscribeCalls.length;
    await new Promise((resolve) => setTimeout(resolve, 100)); // a retrying subscription would subscribe again within 5-40 ms
    expect(server.subscribeCalls.length).toBe(calls);
    expect(store.failedSubscriptions()).toEqual([{ name: 'dispatcher', reason: expect.stringMatching(/Invalid position/) }]);
    expect(logged.filter((entry) => entry.level === 'error')).toHaveLength(1);
  });

  it('resumes from every position an event has, as checkpoints are saved', async () => {
    const store = open();
    const stream = newStream(newCategory());
    await store.append(stream, [newEvent('A'), newEvent('B'), newEvent('C')], 'no_stream');
    const events = await store.readStream(stream);
    for (const [i, event] of events.entries()) {
      const seen: string[] = [];
      const subscription = store.subscribe((e) => void seen.push(e.type), { from: event.position, streamPrefixes: [stream] });
      await withTimeout(subscription.caughtUp, 'catch-up', 2_000);
      await subscription.stop();
      expect(seen).toEqual(['A', 'B', 'C'].slice(i + 1));
    }
    expect(server.refusedPositions).toEqual([]);
    expect(store.failedSubscriptions()).toEqual([]);
  });

  it('backs off on healable errors, logging once per streak, and catches up when the server is back', async () => {
    const store = open();
    const stream = newStream(newCategory());
    await store.append(stream, [newEvent('A')], 'no_stream');
    server.failNextSubscribes(4);
    const seen: string[] = [];
    const subscription = store.subscribe((e) => void seen.push(e.type), { streamPrefixes: [stream], name: 'projector' });
    await withTimeout(subscription.caughtUp, 'catch-up after the outage', 5_000);
    expect(seen).toEqual(['A']);
    expect(logged.filter((entry) => entry.level === 'warn')).toHaveLength(1);
    expect(store.failedSubscriptions()).toEqual([]);
  });

  it('an append over MaxAppendSize is refused with AppendTooLarge, not a raw client error', async () => {
    const store = open();
    server.maxAppendSize = 10_000;
    const big = newEvent('Big');
    big.data = { text: 'x'.repeat(20_000) };
    await expect(store.append(newStream(newCategory()), [big], 'no_stream')).rejects.toBeInstanceOf(AppendTooLarge);
  });
});
