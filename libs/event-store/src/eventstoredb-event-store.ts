import {
  AccessDeniedError,
  ANY,
  InvalidArgumentError,
  MaxAppendSizeExceededError,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { assertAppendable } from './append-input';
import {
  AppendTooLarge,
  type AppendResult,
  type EventHandler,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadAllOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionFailure,
  WrongExpectedRevision,
} from './port';
import { normalizePrefixes, streamMatches } from './stream-filter';
import { CaughtUpSignal } from './caught-up';

export interface EventStoreDbEventStoreOptions {
  /** Events fetched per request when reading `$all` page by page. Default 500. */
  readPageSize?: number;
  /** First wait before resubscribing after the connection dropped. Default 100 ms. */
  reconnectInitialDelayMs?: number;
  /** Longest wait between resubscription attempts. Default 5000 ms. */
  reconnectMaxDelayMs?: number;
  /** Where subscription trouble is told: once per streak of healable errors, and every error that ends one. */
  logger?: SubscriptionLogger;
}

export interface SubscriptionLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const SILENT: SubscriptionLogger = { warn: () => undefined, error: () => undefined };

/**
 * Whether a subscription error can heal by itself (a dropped connection, a leader change,
 * a deadline) or not (the server refused the request as such: an invalid position, access
 * denied, an invalid argument), judged as client 6.2.1 reports them for servers 22.10-24.10.
 * The server answers an invalid `$all` position with gRPC INVALID_ARGUMENT, which the
 * client passes on unconverted (`convertToCommandError` has no case for it).
 */
export function isUnhealable(error: unknown): boolean {
  if (error instanceof AccessDeniedError || error instanceof InvalidArgumentError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  // gRPC INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED, FAILED_PRECONDITION, UNIMPLEMENTED
  if (code === 3 || code === 7 || code === 16 || code === 9 || code === 12) return true;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /invalid position|access denied|permission denied|invalid argument/i.test(message);
}

/** Metadata key carrying the event's schema version, which EventStoreDB has no field for. */
const VERSION_KEY = 'schema_version';
/** Keys EventStoreDB's system projections ($by_correlation_id) read; mirrored from ours. */
const ESDB_CORRELATION_KEY = '$correlationId';
const ESDB_CAUSATION_KEY = '$causationId';

/**
 * The event store on EventStoreDB (gRPC client v6). Our position is the commit
 * position in `$all`: appends made through `appendToStream` are implicit
 * transactions, in which every event has its own commit position (equal to its
 * prepare position), so it identifies one event and orders them.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly ownsClient: boolean;
  private readonly pageSize: number;
  private readonly reconnectInitialDelayMs: number;
  private readonly reconnectMaxDelayMs: number;
  private readonly subscriptions = new Set<EventStoreDbSubscription>();
  private readonly failures: SubscriptionFailure[] = [];
  private readonly logger: SubscriptionLogger;
  private closed = false;

  /** `connection`: a connection string (`esdb://host:2113?tls=false`) or a client whose lifetime the caller manages. */
  constructor(connection: string | EventStoreDBClient, options: EventStoreDbEventStoreOptions = {}) {
    if (typeof connection === 'string') {
      this.client = EventStoreDBClient.connectionString(connection);
      this.ownsClient = true;
    } else {
      this.client = connection;
      this.ownsClient = false;
    }
    this.pageSize = options.readPageSize ?? 500;
    this.reconnectInitialDelayMs = options.reconnectInitialDelayMs ?? 100;
    this.reconnectMaxDelayMs = options.reconnectMaxDelayMs ?? 5000;
    this.logger = options.logger ?? SILENT;
  }

  failedSubscriptions(): SubscriptionFailure[] {
    return [...this.failures];
  }

  async append(stream: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    this.assertOpen();
    assertAppendable(stream, events, expected);
    let result;
    try {
      result = await this.client.appendToStream(stream, events.map(toEventData), {
        expectedRevision: toExpectedRevision(expected),
      });
    } catch (error) {
      if (error instanceof MaxAppendSizeExceededError) throw new AppendTooLarge(stream, error.maxAppendSize);
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion;
        throw new WrongExpectedRevision(stream, expected, typeof actual === 'bigint' ? Number(actual) : 'no_stream');
      }
      throw error;
    }
    const nextRevision = Number(result.nextExpectedRevision);
    const commit = result.position?.commit;
    if (commit !== undefined && commit >= 0n) return { nextRevision, position: commit };
    // Some server versions leave the position out (e.g. for an idempotent
    // replay of an earlier append): read it from the event itself.
    const [last] = await this.readStream(stream, { fromRevision: nextRevision, maxCount: 1 });
    if (!last) throw new Error(`append to ${stream}: event at revision ${nextRevision} not found after append`);
    return { nextRevision, position: last.position };
  }

  async readStream(stream: string, options: { fromRevision?: number; maxCount?: number } = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(stream, {
        direction: FORWARDS,
        fromRevision: options.fromRevision === undefined ? START : BigInt(options.fromRevision),
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
      });
      for await (const resolved of read) {
        const event = toRecordedEvent(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /**
   * Client v6 has no server-side filter for reads of `$all` (only for
   * subscriptions), so the prefixes are applied here, page by page.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const prefixes = normalizePrefixes(options.streamPrefixes);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const events: RecordedEvent[] = [];
    if (limit <= 0) return events;
    // Forward reads of $all include the event at fromPosition: skip up to it.
    let after: Position | undefined = options.from !== undefined && options.from > 0n ? at(options.from) : undefined;
    for (;;) {
      let seen = 0;
      const read = this.client.readAll({
        direction: FORWARDS,
        fromPosition: after ?? START,
        maxCount: this.pageSize,
      });
      for await (const resolved of read) {
        seen += 1;
        const position = resolved.event?.position;
        if (!position) continue;
        if (after && comparePositions(position, after) <= 0) continue;
        after = position;
        const event = toRecordedEvent(resolved);
        if (event && streamMatches(event.stream, prefixes)) {
          events.push(event);
          if (events.length >= limit) {
            await read.cancel();
            return events;
          }
        }
      }
      if (seen < this.pageSize) return events;
    }
  }

  subscribe(handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    const subscription = new EventStoreDbSubscription({
      client: this.client,
      handler,
      from: options.from !== undefined && options.from > 0n ? options.from : undefined,
      prefixes: normalizePrefixes(options.streamPrefixes),
      headPosition: (prefixes) => this.headPosition(prefixes),
      reconnectInitialDelayMs: this.reconnectInitialDelayMs,
      reconnectMaxDelayMs: this.reconnectMaxDelayMs,
      name: options.name ?? 'subscription',
      logger: this.logger,
      onFailure: (failure) => this.failures.push(failure),
      onEnd: (ended) => this.subscriptions.delete(ended),
    });
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  /** Reads `$all` backwards to the newest event of ours that matches the prefixes. */
  async headPosition(streamPrefixes?: string[]): Promise<bigint> {
    this.assertOpen();
    const prefixes = normalizePrefixes(streamPrefixes);
    let before: Position | undefined;
    for (;;) {
      let seen = 0;
      const read = this.client.readAll({
        direction: BACKWARDS,
        fromPosition: before ?? END,
        maxCount: this.pageSize,
      });
      for await (const resolved of read) {
        seen += 1;
        const position = resolved.event?.position;
        if (!position) continue;
        if (before && comparePositions(position, before) >= 0) continue;
        before = position;
        const event = toRecordedEvent(resolved);
        if (event && streamMatches(event.stream, prefixes)) {
          await read.cancel();
          return event.position;
        }
      }
      if (seen < this.pageSize) return 0n;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    if (this.ownsClient) await this.client.dispose();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('EventStoreDbEventStore is closed');
  }
}

function toExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'any') return ANY;
  return BigInt(expected);
}

function toEventData(event: EventToAppend) {
  const metadata: Record<string, unknown> = { ...event.metadata, [VERSION_KEY]: event.version };
  if (event.metadata.correlation_id !== undefined) metadata[ESDB_CORRELATION_KEY] = event.metadata.correlation_id;
  if (event.metadata.causation_id !== undefined) metadata[ESDB_CAUSATION_KEY] = event.metadata.causation_id;
  return jsonEvent({ id: event.id, type: event.type, data: event.data, metadata });
}

/**
 * Our events only: system streams (`$...`), link events without their target,
 * and events that are not JSON objects or carry no schema version (written by
 * other tools) give `null`.
 */
function toRecordedEvent(resolved: ResolvedEvent): RecordedEvent | null {
  const event = resolved.event;
  if (!event || event.streamId.startsWith('$') || !event.isJson) return null;
  if (!isObject(event.data) || !isObject(event.metadata)) return null;
  const position = event.position?.commit ?? resolved.commitPosition;
  if (position === undefined) {
    throw new Error('EventStoreDB did not return event positions: server version 22.6 or later is required');
  }
  const { [VERSION_KEY]: version, ...metadata } = event.metadata;
  if (typeof version !== 'number') return null;
  if (metadata[ESDB_CORRELATION_KEY] === metadata.correlation_id) delete metadata[ESDB_CORRELATION_KEY];
  if (metadata[ESDB_CAUSATION_KEY] === metadata.causation_id) delete metadata[ESDB_CAUSATION_KEY];
  return {
    id: event.id,
    stream: event.streamId,
    revision: Number(event.revision),
    position,
    type: event.type,
    version,
    data: event.data,
    metadata: metadata as EventMetadata,
    recorded_at: event.created.toISOString(),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** The `$all` position of the event whose commit position is `commit` (implicit transactions: prepare = commit). */
function at(commit: bigint): Position {
  return { commit, prepare: commit };
}

function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

interface EventStoreDbSubscriptionParams {
  client: EventStoreDBClient;
  handler: EventHandler;
  /** Exclusive; undefined: from the start of `$all`. */
  from: bigint | undefined;
  prefixes: string[] | undefined;
  headPosition: (prefixes: string[] | undefined) => Promise<bigint>;
  reconnectInitialDelayMs: number;
  reconnectMaxDelayMs: number;
  name: string;
  logger: SubscriptionLogger;
  onFailure: (failure: SubscriptionFailure) => void;
  onEnd: (subscription: EventStoreDbSubscription) => void;
}

/** The server refused the subscription for a reason retrying cannot heal. */
class Unhealable {
  constructor(readonly error: unknown) {}
}

/** Thrown out of the delivery loop when the handler failed, to tell it from a dropped connection. */
class HandlerFailure {
  constructor(readonly error: unknown) {}
}

/**
 * `subscribeToAll` with the prefixes as a server-side filter, read through its
 * async iterator so the handler is awaited one event at a time. When the
 * connection drops it resubscribes from the last delivered position, waiting
 * longer after each failed attempt (capped). A handler that throws ends the
 * subscription: nothing after the failed event is delivered.
 *
 * `caughtUp` resolves when the last delivered position reaches the head read at
 * start, or earlier when the server (22.10+) says it is live and every event it
 * sent before saying so has been handled.
 */
class EventStoreDbSubscription implements Subscription {
  private readonly signal = new CaughtUpSignal();
  readonly caughtUp = this.signal.promise;
  private stopped = false;
  private last: bigint | undefined;
  private target: bigint | undefined;
  private current: AllStreamSubscription | undefined;
  private wakeFromBackoff: (() => void) | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly params: EventStoreDbSubscriptionParams) {
    this.last = params.from;
  }

  start(): void {
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeFromBackoff?.();
    const current = this.current;
    if (current) {
      await current.unsubscribe().catch(() => undefined);
      current.destroy();
    }
    await this.running;
  }

  private async run(): Promise<void> {
    // Failed attempts in a row; reset only when an event is delivered, not on the server's
    // confirmation, which arrives before a catch-up read that may fail the same way again.
    let attempt = 0;
    try {
      while (!this.stopped) {
        try {
          if (this.target === undefined) {
            this.target = await this.params.headPosition(this.params.prefixes);
            this.markCaughtUpIfReached();
          }
          if (await this.deliver(() => (attempt = 0))) break;
        } catch (error) {
          if (error instanceof HandlerFailure) throw error.error;
          if (this.stopped) break;
          if (isUnhealable(error)) throw new Unhealable(error);
          if (attempt === 0) {
            this.params.logger.warn({ err: error, subscription: this.params.name, from: this.last?.toString() ?? 'start' }, 'event store subscription lost; resubscribing with backoff');
          }
        }
        if (this.stopped) break;
        await this.backoff(attempt);
        attempt += 1;
      }
      this.fail(new Error('subscription stopped before it caught up'));
    } catch (thrown) {
      this.stopped = true;
      if (thrown instanceof Unhealable) {
        const reason = thrown.error instanceof Error ? thrown.error.message : String(thrown.error);
        this.params.logger.error({ err: thrown.error, subscription: this.params.name, from: this.last?.toString() ?? 'start' }, 'event store subscription refused for good; it is stopped');
        this.params.onFailure({ name: this.params.name, reason });
        this.fail(thrown.error);
      } else {
        this.fail(thrown);
      }
    } finally {
      this.params.onEnd(this);
    }
  }

  /** One subscription to the server, until it ends; true when stopped on purpose. */
  private async deliver(onProgress: () => void): Promise<boolean> {
    const fromPosition: ReadPosition = this.last === undefined ? START : at(this.last);
    const filter = this.params.prefixes
      ? streamNameFilter({ prefixes: this.params.prefixes })
      : excludeSystemEvents();
    const subscription = this.params.client.subscribeToAll({ fromPosition, filter });
    this.current = subscription;
    if (this.stopped) {
      await subscription.unsubscribe().catch(() => undefined);
      subscription.destroy();
      return true;
    }
    let handling = false;
    let serverLive = false;
    const drained = () => serverLive && !handling && subscription.readableLength === 0;
    subscription.on('caughtUp', () => {
      serverLive = true;
      if (drained()) this.markCaughtUp();
    });
    try {
      for await (const resolved of subscription) {
        if (this.stopped) return true;
        onProgress();
        const event = toRecordedEvent(resolved);
        if (!event || !streamMatches(event.stream, this.params.prefixes)) continue;
        // A resubscription may start at or before what was already delivered.
        if (this.last !== undefined && event.position <= this.last) continue;
        handling = true;
        try {
          await this.params.handler(event);
        } catch (error) {
          throw new HandlerFailure(error);
        } finally {
          handling = false;
        }
        this.last = event.position;
        this.markCaughtUpIfReached();
        if (drained()) this.markCaughtUp();
      }
    } finally {
      if (this.current === subscription) this.current = undefined;
      await subscription.unsubscribe().catch(() => undefined);
      subscription.destroy();
    }
    return this.stopped;
  }

  private backoff(attempt: number): Promise<void> {
    const delay = Math.min(this.params.reconnectInitialDelayMs * 2 ** attempt, this.params.reconnectMaxDelayMs);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, delay);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wakeFromBackoff = null;
        resolve();
      }
      this.wakeFromBackoff = done;
    });
  }

  private markCaughtUpIfReached(): void {
    if (this.target !== undefined && (this.last ?? 0n) >= this.target) this.markCaughtUp();
  }

  private fail(error: unknown): void {
    this.signal.failed(error);
  }

  private markCaughtUp(): void {
    this.signal.reached();
  }
}
