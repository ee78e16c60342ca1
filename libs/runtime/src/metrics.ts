import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type {
  AppendResult,
  EventHandler,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  SubscriptionFailure,
} from '../../event-store';

/**
 * The process's Prometheus metrics, in a registry of its own (not prom-client's global
 * one) so that several runtimes in one process, as in tests, do not collide.
 */
export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly eventsAppended: Counter<'stream_category'>;
  readonly projectionLag: Gauge;
  readonly publishJobs: Counter<'platform' | 'outcome'>;

  constructor(projectionLag: () => Promise<number | null>) {
    collectDefaultMetrics({ register: this.registry });
    this.eventsAppended = new Counter({
      name: 'postloom_events_appended_total',
      help: 'Events durably appended to the event store by this process',
      labelNames: ['stream_category'],
      registers: [this.registry],
    });
    this.projectionLag = new Gauge({
      name: 'postloom_projection_lag',
      help: 'How far the post read model is behind the event store, in store positions (0 when caught up)',
      registers: [this.registry],
      async collect() {
        const lag = await projectionLag().catch(() => null);
        if (lag !== null) this.set(lag);
      },
    });
    this.publishJobs = new Counter({
      name: 'postloom_publish_jobs_total',
      help: 'Publish job deliveries worked by this process, by platform and outcome (published, failed, retry, skipped, error)',
      labelNames: ['platform', 'outcome'],
      registers: [this.registry],
    });
  }
}

/** Counts appended events for `postloom_events_appended_total`; everything else passes through. */
export class CountedEventStore implements EventStore {
  private readonly byCategory = new Map<string, Counter.Internal>();

  constructor(
    readonly inner: EventStore,
    private readonly counter: Counter<'stream_category'>,
  ) {}

  async append(stream: string, events: EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    const result = await this.inner.append(stream, events, expected);
    const dash = stream.indexOf('-');
    const category = dash > 0 ? stream.slice(0, dash) : stream;
    let child = this.byCategory.get(category);
    if (!child) {
      child = this.counter.labels(category);
      this.byCategory.set(category, child);
    }
    child.inc(events.length);
    return result;
  }

  readStream(stream: string, options?: { fromRevision?: number; maxCount?: number }): Promise<RecordedEvent[]> {
    return this.inner.readStream(stream, options);
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  subscribe(handler: EventHandler, options?: SubscribeOptions): Subscription {
    return this.inner.subscribe(handler, options);
  }

  headPosition(streamPrefixes?: string[]): Promise<bigint> {
    return this.inner.headPosition(streamPrefixes);
  }

  failedSubscriptions(): SubscriptionFailure[] {
    return this.inner.failedSubscriptions?.() ?? [];
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
