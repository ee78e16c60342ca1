import { Readable } from 'node:stream';
import {
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type AppendResult,
  type EventData,
  type EventStoreDBClient,
  type Filter,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
  MaxAppendSizeExceededError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';

interface StoredRecord {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  created: Date;
  position: Position;
}

interface LiveSubscription {
  stream: Readable;
  filter: Filter | undefined;
}

/**
 * The subset of the EventStoreDB gRPC client our adapter calls, over an
 * in-memory log, for the tests that cannot reach a real server. It follows the
 * server's documented behaviour: `$all` positions with gaps between them,
 * system (`$...`) events and other tools' non-JSON events mixed in, inclusive
 * starts for reads and exclusive starts for subscriptions, idempotent replays
 * of an append, `caughtUp` after the catch-up. It is no substitute for the
 * contract suite against a real server (EVENTSTORE_URL).
 */
/** EventStoreDB's default `MaxAppendSize` (server option, 1,048,576 bytes). */
export const DEFAULT_MAX_APPEND_SIZE = 1_048_576;

/**
 * What the server answers a read or subscription of `$all` from a position that is not an
 * event's: the transaction-file reader checks that a position starts a record and refuses
 * it otherwise; over gRPC that is status INVALID_ARGUMENT, which client 6.2.1 passes on
 * unconverted. (Checked against the server's documented `$all` position semantics and the
 * client's `convertToCommandError`; positions are byte offsets in the log, so "one less"
 * is never a record.)
 */
function invalidPosition(position: Position): Error {
  return Object.assign(new Error(`3 INVALID_ARGUMENT: Invalid position: C:${position.commit}/P:${position.prepare}`), { code: 3 });
}

export class InMemoryEventStoreDb {
  private readonly log: StoredRecord[] = [];
  /** Largest append (data + metadata bytes of all its events) the server takes. */
  maxAppendSize = DEFAULT_MAX_APPEND_SIZE;
  /** Positions refused as not being an event's, in the order asked. */
  refusedPositions: Position[] = [];
  private readonly live = new Set<LiveSubscription>();
  private nextPosition = 1000n;
  private appendsSinceStats = 0;
  private failingSubscribes = 0;
  subscribeCalls: Array<ReadPosition | undefined> = [];

  constructor() {
    this.write('$stats-127.0.0.1:2113', '$statsCollected', true, { cpu: 1 }, {});
    this.write('legacy-binary', 'Blob', false, new Uint8Array([1, 2, 3]), undefined);
  }

  /** Our adapter only needs these methods; the cast keeps the fake out of production types. */
  client(): EventStoreDBClient {
    const fake = {
      appendToStream: this.appendToStream.bind(this),
      readStream: this.readStream.bind(this),
      readAll: this.readAll.bind(this),
      subscribeToAll: this.subscribeToAll.bind(this),
      dispose: async () => undefined,
    };
    return fake as unknown as EventStoreDBClient;
  }

  /** What the server holds for a stream, as stored (metadata included). */
  stored(streamId: string): StoredRecord[] {
    return this.log.filter((record) => record.streamId === streamId);
  }

  /** Ends every live subscription with an error, as a lost connection does. */
  dropConnections(): void {
    for (const subscription of this.live) {
      subscription.stream.destroy(new Error('14 UNAVAILABLE: Connection dropped'));
    }
    this.live.clear();
  }

  /** Ends every live subscription without an error, as a server closing the call does. */
  endConnections(): void {
    for (const subscription of this.live) subscription.stream.push(null);
    this.live.clear();
  }

  /** The next `count` subscribe calls fail at once, as while the server is down. */
  failNextSubscribes(count: number): void {
    this.failingSubscribes = count;
  }

  private async appendToStream(
    streamName: string,
    events: EventData | EventData[],
    options: { expectedRevision?: AppendExpectedRevision } = {},
  ): Promise<AppendResult> {
    await Promise.resolve();
    const list = Array.isArray(events) ? events : [events];
    const serialized = list.map((event) => ({
      id: event.id,
      type: event.type,
      data: JSON.parse(JSON.stringify(event.data)) as unknown,
      metadata: event.metadata === undefined ? undefined : (JSON.parse(JSON.stringify(event.metadata)) as unknown),
    }));
    // The server sums the data and metadata bytes of the append's events (EventStore
    // `ClusterVNodeOptions.Database.MaxAppendSize`) and refuses the whole append above it.
    const size = list.reduce((total, event) => total + Buffer.byteLength(JSON.stringify(event.data ?? null)) + Buffer.byteLength(JSON.stringify(event.metadata ?? null)), 0);
    if (size > this.maxAppendSize) throw MaxAppendSizeExceededError.fromMaxAppendSize(this.maxAppendSize);
    const existing = this.stored(streamName);
    const current = existing.length === 0 ? -1n : existing[existing.length - 1].revision;
    const expected = options.expectedRevision ?? 'any';
    const wanted = expected === 'no_stream' ? -1n : typeof expected === 'bigint' ? expected : undefined;
    if (wanted !== undefined && wanted !== current) {
      const replay = existing.slice(Number(wanted) + 1, Number(wanted) + 1 + list.length);
      if (replay.length === list.length && replay.every((record, index) => record.id === list[index].id)) {
        // The server answers an idempotent replay without a position.
        return { success: true, nextExpectedRevision: wanted + BigInt(list.length) };
      }
      throw new WrongExpectedVersionError(undefined, {
        streamName,
        expected,
        current: current === -1n ? 'no_stream' : current,
      });
    }
    let revision = current;
    let last: StoredRecord | undefined;
    for (const event of serialized) {
      revision += 1n;
      last = this.write(streamName, event.type, true, event.data, event.metadata, event.id, revision);
    }
    this.appendsSinceStats += 1;
    if (this.appendsSinceStats % 3 === 0) this.write('$stats-127.0.0.1:2113', '$statsCollected', true, { cpu: 2 }, {});
    return { success: true, nextExpectedRevision: revision, position: last?.position };
  }

  private readStream(
    streamName: string,
    options: { fromRevision?: 'start' | 'end' | bigint; maxCount?: number | bigint; direction?: string } = {},
  ) {
    const records = this.stored(streamName);
    const from = typeof options.fromRevision === 'bigint' ? options.fromRevision : 0n;
    const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const selected = records.filter((record) => record.revision >= from).slice(0, max);
    async function* generate(): AsyncGenerator<ResolvedEvent> {
      await Promise.resolve();
      if (records.length === 0) throw new StreamNotFoundError(undefined, streamName);
      for (const record of selected) yield { event: toClientRecord(record) } as ResolvedEvent;
    }
    return withCancel(Readable.from(generate()));
  }

  private readAll(options: { fromPosition?: ReadPosition; maxCount?: number | bigint; direction?: string } = {}) {
    const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const from = options.fromPosition ?? (options.direction === 'backwards' ? 'end' : 'start');
    if (typeof from === 'object' && !this.isEventPosition(from)) {
      this.refusedPositions.push(from);
      const refused = new Readable({ objectMode: true, read: () => undefined });
      setImmediate(() => refused.destroy(invalidPosition(from)));
      return withCancel(refused);
    }
    let selected: StoredRecord[];
    if (options.direction === 'backwards') {
      const candidates = from === 'end' ? this.log : this.log.filter((r) => from !== 'start' && comparePositions(r.position, from) <= 0);
      selected = [...candidates].reverse().slice(0, max);
    } else {
      const candidates = from === 'start' ? this.log : this.log.filter((r) => from !== 'end' && comparePositions(r.position, from) >= 0);
      selected = candidates.slice(0, max);
    }
    const resolved = selected.map((record) => ({ event: toClientRecord(record), commitPosition: record.position.commit }));
    return withCancel(Readable.from(resolved));
  }

  private subscribeToAll(options: { fromPosition?: ReadPosition; filter?: Filter } = {}) {
    this.subscribeCalls.push(options.fromPosition);
    const stream = new Readable({ objectMode: true, read: () => undefined });
    const subscription = Object.assign(stream, {
      unsubscribe: async () => {
        this.live.delete(entry);
        stream.push(null);
      },
    });
    const entry: LiveSubscription = { stream, filter: options.filter };
    if (this.failingSubscribes > 0) {
      this.failingSubscribes -= 1;
      setImmediate(() => stream.destroy(new Error('14 UNAVAILABLE: No connection established')));
      return subscription;
    }
    const from = options.fromPosition ?? 'start';
    if (typeof from === 'object' && !this.isEventPosition(from)) {
      this.refusedPositions.push(from);
      setImmediate(() => stream.destroy(invalidPosition(from)));
      return subscription;
    }
    const backlog = this.log.filter(
      (record) =>
        from !== 'end' && (from === 'start' || comparePositions(record.position, from) > 0) && matches(record, options.filter),
    );
    // Catch-up and going live happen in one step, so no append falls between them.
    this.live.add(entry);
    setImmediate(() => {
      if (stream.destroyed) return;
      for (const record of backlog) stream.push(toAllResolved(record));
      stream.emit('caughtUp');
    });
    return subscription;
  }

  private isEventPosition(position: Position): boolean {
    return this.log.some((record) => record.position.commit === position.commit && record.position.prepare === position.prepare);
  }

  private write(
    streamId: string,
    type: string,
    isJson: boolean,
    data: unknown,
    metadata: unknown,
    id = `00000000-0000-4000-8000-${String(this.log.length).padStart(12, '0')}`,
    revision = BigInt(this.stored(streamId).length),
  ): StoredRecord {
    const position = { commit: this.nextPosition, prepare: this.nextPosition };
    this.nextPosition += 137n;
    const record: StoredRecord = { streamId, id, type, revision, isJson, data, metadata, created: new Date(), position };
    this.log.push(record);
    for (const subscription of this.live) {
      if (matches(record, subscription.filter)) {
        const { stream } = subscription;
        setImmediate(() => {
          if (!stream.destroyed) stream.push(toAllResolved(record));
        });
      }
    }
    return record;
  }
}

function matches(record: StoredRecord, filter: Filter | undefined): boolean {
  if (!filter) return true;
  const subject = filter.filterOn === 'streamName' ? record.streamId : record.type;
  if ('prefixes' in filter) return filter.prefixes.some((prefix) => subject.startsWith(prefix));
  return new RegExp(filter.regex).test(subject);
}

function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

function toClientRecord(record: StoredRecord) {
  return { ...record, position: { ...record.position } };
}

function toAllResolved(record: StoredRecord): AllStreamResolvedEvent {
  return { event: toClientRecord(record), commitPosition: record.position.commit } as AllStreamResolvedEvent;
}

function withCancel(stream: Readable): Readable & { cancel: () => Promise<void> } {
  return Object.assign(stream, {
    cancel: async () => {
      stream.destroy();
    },
  });
}
