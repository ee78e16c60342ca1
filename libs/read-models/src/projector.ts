import { POST_STREAM_PREFIX } from '../../domain';
import type { EventStore, RecordedEvent, Subscription } from '../../event-store';
import { DocumentCache } from './document-cache';
import type { PostReadModel } from './port';
import { PostProjection } from './projection';

export interface ProjectorLogger {
  error(message: string, error: unknown): void;
}

/** What one save stored, for metrics. */
export interface ProjectorBatch {
  events: number;
  documents: number;
  position: bigint;
  durationMs: number;
}

export interface ProjectorOptions {
  store: EventStore;
  model: PostReadModel;
  /** Checkpoint name. Default `posts`. */
  name?: string;
  /** Most events per save; also how many may wait while a save runs. Default 500. */
  batchSize?: number;
  /** Documents kept in memory to evolve without reading them back. Default 10,000. */
  cacheSize?: number;
  /** First wait after a failed save; doubles up to `retryMaxMs`. Default 50 ms. */
  retryInitialMs?: number;
  /** Default 5,000 ms. */
  retryMaxMs?: number;
  logger?: ProjectorLogger;
  onBatch?: (batch: ProjectorBatch) => void;
}

const consoleLogger: ProjectorLogger = {
  error: (message, error) => console.error(message, error),
};

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody has to await caughtUp; a stop before catching up must not crash the process.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Keeps the post read model up to date: subscribes to the `post-` streams from the
 * stored checkpoint and saves documents with the checkpoint of the last event they
 * reflect. The subscription hands over one event at a time; the handler only queues
 * it, so everything delivered while a save runs goes into the next save together.
 * A failed save is retried with backoff and never skipped: until it succeeds, the
 * queue is full and the subscription waits.
 */
export class Projector {
  readonly name: string;
  private readonly store: EventStore;
  private readonly model: PostReadModel;
  private readonly batchSize: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly logger: ProjectorLogger;
  private readonly onBatch: ((batch: ProjectorBatch) => void) | undefined;
  private readonly cache: DocumentCache;
  private subscription: Subscription | null = null;
  private pending: RecordedEvent[] = [];
  /** The running drain; resolves false when it gave up on a batch (stopping while saves fail). */
  private draining: Promise<boolean> | null = null;
  private caught: Deferred = deferred();
  private active = false;
  private stopping = false;
  private wakeRetry: (() => void) | null = null;
  private saved: bigint | null = null;

  constructor(options: ProjectorOptions) {
    this.store = options.store;
    this.model = options.model;
    this.name = options.name ?? 'posts';
    this.batchSize = Math.max(1, options.batchSize ?? 500);
    this.retryInitialMs = options.retryInitialMs ?? 50;
    this.retryMaxMs = options.retryMaxMs ?? 5000;
    this.logger = options.logger ?? consoleLogger;
    this.onBatch = options.onBatch;
    this.cache = new DocumentCache(options.cacheSize ?? 10_000);
  }

  /** Resolves once every event committed before the last `start()` is in the read model. */
  get caughtUp(): Promise<void> {
    return this.caught.promise;
  }

  /** Position of the last event this projector saved since it started, null before its first save. */
  get position(): bigint | null {
    return this.saved;
  }

  get isRunning(): boolean {
    return this.active;
  }

  /** Subscribes from the stored checkpoint; resolves once subscribed (see `caughtUp`). */
  async start(): Promise<void> {
    if (this.active) throw new Error(`projector ${this.name} is already running`);
    this.active = true;
    this.stopping = false;
    this.pending = [];
    this.saved = null;
    // The model may have changed while stopped (replay, switch): nothing cached still holds.
    this.cache.clear();
    const caught = (this.caught = deferred());
    try {
      const from = await this.model.checkpoint(this.name);
      const subscription = this.store.subscribe((event) => this.receive(event), {
        from: from ?? undefined,
        streamPrefixes: [POST_STREAM_PREFIX],
        name: `${this.name} projector`,
      });
      this.subscription = subscription;
      subscription.caughtUp
        .then(() => this.draining ?? true)
        .then((saved) => (saved ? caught.resolve() : caught.reject(new Error(`projector ${this.name} stopped before saving what it caught up on`))), caught.reject);
    } catch (error) {
      this.active = false;
      caught.reject(error);
      throw error;
    }
  }

  /** Stops the subscription and saves what it already delivered (unless saving fails). */
  async stop(): Promise<void> {
    if (!this.active) return;
    this.stopping = true;
    this.wakeRetry?.();
    await this.subscription?.stop();
    await this.draining;
    this.subscription = null;
    this.active = false;
    this.caught.reject(new Error(`projector ${this.name} stopped`));
  }

  private receive(event: RecordedEvent): Promise<void> | void {
    this.pending.push(event);
    if (!this.draining) this.draining = this.drain();
    if (this.pending.length >= this.batchSize) return this.draining.then(() => undefined);
  }

  private async drain(): Promise<boolean> {
    try {
      // One macrotask turn: the subscription hands over what it already read first.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.batchSize);
        if (!(await this.saveWithRetry(batch))) {
          // Stopping while the model fails: nothing past the checkpoint is lost, the next start delivers it again.
          this.pending = [];
          return false;
        }
      }
      return true;
    } finally {
      this.draining = null;
    }
  }

  private async saveWithRetry(batch: RecordedEvent[]): Promise<boolean> {
    const position = batch[batch.length - 1].position;
    let delay = this.retryInitialMs;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const known = await this.cache.lookup(batch, this.model);
        const projection = new PostProjection(known);
        for (const event of batch) projection.apply(event);
        const documents = projection.documents();
        await this.model.save(documents, { projector: this.name, position });
        this.cache.remember(documents);
        this.saved = position;
        this.onBatch?.({ events: batch.length, documents: documents.length, position, durationMs: performance.now() - started });
        return true;
      } catch (error) {
        if (this.stopping) {
          this.logger.error(`projector ${this.name}: saving ${batch.length} events up to position ${position} failed while stopping`, error);
          return false;
        }
        this.logger.error(
          `projector ${this.name}: saving ${batch.length} events up to position ${position} failed (attempt ${attempt}); retrying in ${delay} ms`,
          error,
        );
        await this.pause(delay);
        if (this.stopping) return false;
        delay = Math.min(delay * 2, this.retryMaxMs);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeRetry = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeRetry = done;
    });
  }
}
