import {
  assertPlatformName,
  assertPublishJob,
  copyJob,
  DEFAULT_ERROR_BACKOFF,
  ErrorBackoff,
  MessagingErrorReporter,
  reportToStderr,
  resolveConcurrency,
  runHandler,
} from './handler-run';
import { ConsumeOptions, JobConsumer, JobDelivery, JobHandler, JobOutcome, JobQueue, PublishJob } from './port';
import { RecentJobIds } from './recent-job-ids';

export interface InProcessJobQueueOptions {
  /** Deliveries of one job before a retry outcome gives up. Default 8. */
  maxAttempts?: number;
  /** How long an enqueued id is remembered to drop duplicates. Default 24 h. */
  deduplicationWindowMs?: number;
  /** At most this many ids are remembered; the oldest are forgotten first. Default 100 000. */
  maxRememberedIds?: number;
  /** Delay before retrying a job whose handler threw. Default 1 s doubling up to 60 s. */
  errorBackoff?: ErrorBackoff;
  onError?: MessagingErrorReporter;
  now?: () => number;
}

interface QueuedJob {
  job: PublishJob;
  attempt: number;
}

/**
 * The embedded mode's work queue: one FIFO per platform, held in memory.
 *
 * Nothing is persisted. After a crash the jobs that were queued, waiting for a retry or
 * being worked on are gone; the publishing side re-dispatches every publish request the
 * event store shows as unfinished when it starts, so no work is lost, only redone (job
 * ids are deterministic and publishing is idempotent per segment).
 *
 * There is no acknowledgement timeout either: a handler that never settles holds its
 * job, which is why `heartbeat()` does nothing here.
 */
export class InProcessJobQueue implements JobQueue {
  private readonly maxAttempts: number;
  private readonly errorBackoff: ErrorBackoff;
  private readonly report: MessagingErrorReporter;
  private readonly recentIds: RecentJobIds;
  private readonly lanes = new Map<string, PlatformLane>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(options: InProcessJobQueueOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 8;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be a positive integer, got ${String(options.maxAttempts)}`);
    }
    this.errorBackoff = options.errorBackoff ?? DEFAULT_ERROR_BACKOFF;
    this.report = options.onError ?? reportToStderr;
    this.recentIds = new RecentJobIds(
      options.deduplicationWindowMs ?? 24 * 60 * 60 * 1000,
      options.maxRememberedIds ?? 100_000,
      options.now ?? Date.now,
    );
  }

  async enqueue(job: PublishJob): Promise<void> {
    this.assertOpen();
    assertPublishJob(job);
    if (!this.recentIds.rememberIfNew(job.id)) return;
    const lane = this.lane(job.platform);
    lane.ready.push({ job: copyJob(job), attempt: 1 });
    lane.dispatch();
  }

  async consume(platform: string, handler: JobHandler, options: ConsumeOptions = {}): Promise<JobConsumer> {
    this.assertOpen();
    assertPlatformName(platform);
    const concurrency = resolveConcurrency(options.concurrency);
    const lane = this.lane(platform);
    const consumer = new InProcessConsumer(lane, handler, concurrency);
    lane.consumers.push(consumer);
    lane.dispatch();
    return consumer;
  }

  /** Stops every consumer (waiting for in-flight handlers) and drops the jobs still queued. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    const consumers = [...this.lanes.values()].flatMap((lane) => lane.consumers);
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    this.lanes.clear();
  }

  private settle(lane: PlatformLane, queued: QueuedJob, outcome: JobOutcome): void {
    if (this.closed || outcome.kind !== 'retry' || queued.attempt >= this.maxAttempts) return;
    const next: QueuedJob = { job: queued.job, attempt: queued.attempt + 1 };
    if (outcome.delayMs <= 0) {
      lane.ready.push(next);
      return;
    }
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      lane.ready.push(next);
      lane.dispatch();
    }, outcome.delayMs);
    // A waiting retry must not keep a process alive that is otherwise done.
    timer.unref();
    this.retryTimers.add(timer);
  }

  private run(handler: JobHandler, queued: QueuedJob): Promise<JobOutcome> {
    const delivery: JobDelivery = {
      job: copyJob(queued.job),
      attempt: queued.attempt,
      maxAttempts: this.maxAttempts,
      heartbeat: () => undefined,
    };
    return runHandler(handler, delivery, this.errorBackoff, this.report);
  }

  private lane(platform: string): PlatformLane {
    let lane = this.lanes.get(platform);
    if (lane === undefined) {
      lane = new PlatformLane({
        run: (handler, queued) => this.run(handler, queued),
        settle: (settled, queued, outcome) => this.settle(settled, queued, outcome),
      });
      this.lanes.set(platform, lane);
    }
    return lane;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the job queue is closed');
  }
}

/** What a lane needs from its queue to work a job and apply the outcome. */
interface JobWork {
  run(handler: JobHandler, queued: QueuedJob): Promise<JobOutcome>;
  settle(lane: PlatformLane, queued: QueuedJob, outcome: JobOutcome): void;
}

/** One platform's jobs and the consumers sharing them; each job goes to exactly one consumer. */
class PlatformLane {
  readonly ready = new Fifo<QueuedJob>();
  consumers: InProcessConsumer[] = [];
  /** Where the round-robin starts next, so that consumers with room all get some work. */
  private turn = 0;

  constructor(readonly work: JobWork) {}

  dispatch(): void {
    while (this.ready.length > 0) {
      const consumer = this.nextConsumerWithRoom();
      if (consumer === null) return;
      const queued = this.ready.shift();
      if (queued === undefined) return;
      consumer.work(queued);
    }
  }

  remove(consumer: InProcessConsumer): void {
    this.consumers = this.consumers.filter((c) => c !== consumer);
  }

  private nextConsumerWithRoom(): InProcessConsumer | null {
    const count = this.consumers.length;
    for (let i = 0; i < count; i++) {
      const consumer = this.consumers[(this.turn + i) % count];
      if (consumer.hasRoom()) {
        this.turn = (this.turn + i + 1) % count;
        return consumer;
      }
    }
    return null;
  }
}

class InProcessConsumer implements JobConsumer {
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly lane: PlatformLane,
    private readonly handler: JobHandler,
    private readonly concurrency: number,
  ) {}

  hasRoom(): boolean {
    return !this.stopped && this.inFlight.size < this.concurrency;
  }

  work(queued: QueuedJob): void {
    const running = this.lane.work
      .run(this.handler, queued)
      .then((outcome) => this.lane.work.settle(this.lane, queued, outcome))
      .finally(() => {
        this.inFlight.delete(running);
        this.lane.dispatch();
      });
    this.inFlight.add(running);
  }

  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.lane.remove(this);
    }
    // Handlers may finish while we wait, and never start new ones here (stopped), so the set only shrinks.
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}

/** A queue with O(1) shift: the backlog of a platform can be large while its publisher is down. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
