/**
 * The event store port. Streams are named `<category>-<id>` (posts: `post-<id>`).
 * Revisions are 0-based per stream; positions are global, strictly increasing
 * across all streams in commit order (SQLite: the row id; EventStoreDB: the
 * commit position). Adapters: `SqliteEventStore` (embedded), `EventStoreDbEventStore`.
 */

export interface EventMetadata {
  /** ISO 8601 UTC instant at which the command that caused the event was decided. */
  occurred_at: string;
  workspace_id: string;
  /** API key id, `scheduler`, `publisher:<platform>` or `system`. */
  actor: string;
  request_id?: string;
  correlation_id?: string;
  causation_id?: string;
  [key: string]: unknown;
}

/** An event as the domain decides it: a fact in past tense, versioned. */
export interface EventToAppend {
  /** Unique id of this event (uuid); appending the same id twice to a stream is harmless in EventStoreDB. */
  id: string;
  type: string;
  version: number;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export interface RecordedEvent {
  id: string;
  stream: string;
  /** 0-based revision of this event in its stream. */
  revision: number;
  /** Global position, strictly increasing in commit order. */
  position: bigint;
  type: string;
  version: number;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  /** ISO timestamp at which the store committed the event. */
  recorded_at: string;
}

/**
 * `'no_stream'`: the stream must not exist. `'any'`: no check.
 * A number: the stream's last revision must be exactly that.
 */
export type ExpectedRevision = 'no_stream' | 'any' | number;

export interface AppendResult {
  /** Revision of the last event appended (the stream's new last revision). */
  nextRevision: number;
  /** Global position of the last event appended. */
  position: bigint;
}

export class WrongExpectedRevision extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevision';
  }
}

/**
 * The store refused a well-formed append for its size (EventStoreDB's `MaxAppendSize`, 1 MiB
 * by default). The domain bounds what a post may hold well below it; this is the clean
 * answer if something still gets there.
 */
export class AppendTooLarge extends Error {
  constructor(
    readonly stream: string,
    readonly maxBytes: number | undefined,
  ) {
    super(`the events for ${stream} are larger than the event store takes in one append${maxBytes ? ` (${maxBytes} bytes)` : ''}`);
    this.name = 'AppendTooLarge';
  }
}

/**
 * A subscription that ended for good: the server refused it for a reason retrying cannot
 * heal (an invalid position, access denied, an invalid argument). Health reports it.
 */
export interface SubscriptionFailure {
  /** Who subscribed (`posts projector`, `dispatcher`, ...), when the subscriber said. */
  name: string;
  reason: string;
}

export interface ReadAllOptions {
  /** Exclusive: read events with position > from. Omit to start at the beginning. */
  from?: bigint;
  /** Maximum number of events to return. */
  limit?: number;
  /** Only streams whose name starts with one of these prefixes (e.g. `post-`). */
  streamPrefixes?: string[];
}

export interface SubscribeOptions {
  /** Exclusive start position; omit to start from the beginning of the store. */
  from?: bigint;
  streamPrefixes?: string[];
  /** Names the subscriber in logs and health. */
  name?: string;
}

/**
 * A catch-up-then-live subscription. The handler is awaited: the next event is
 * delivered only after the previous handler call resolved, so a projector that
 * stores its checkpoint in the handler never skips or reorders events.
 */
export interface Subscription {
  /** Resolves once the subscription has delivered everything committed before it started. */
  readonly caughtUp: Promise<void>;
  /** Stops delivery; resolves when no handler call is running any more. */
  stop(): Promise<void>;
}

export type EventHandler = (event: RecordedEvent) => Promise<void> | void;

export interface EventStore {
  append(stream: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult>;
  /** All events of a stream, oldest first; `[]` when the stream does not exist. */
  readStream(stream: string, options?: { fromRevision?: number; maxCount?: number }): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribe(handler: EventHandler, options?: SubscribeOptions): Subscription;
  /** Position of the last committed event matching the prefixes (0n when none). */
  headPosition(streamPrefixes?: string[]): Promise<bigint>;
  /** Subscriptions of this process that ended for good, with why (empty when all is well). */
  failedSubscriptions?(): SubscriptionFailure[];
  close(): Promise<void>;
}
