import { POST_STREAM_PREFIX } from '../../domain';
import type { EventStore, RecordedEvent } from '../../event-store';
import { DocumentCache } from './document-cache';
import type { PostReadModel } from './port';
import { PostProjection } from './projection';
import type { Projector } from './projector';

export interface ReplayProgress {
  /** Post events read and projected so far. */
  events: number;
  /** Position of the last of them. */
  position: bigint;
  /** Last post event in the store when the replay started. */
  headPosition: bigint;
  elapsedMs: number;
  eventsPerSecond: number;
  /** Estimated from the share of positions already read; null until something was read. */
  etaSeconds: number | null;
}

export interface ReplayTotals {
  events: number;
  /** Posts created (one `PostCreated` each). */
  posts: number;
  /** Document writes (a post spread over several batches counts once per batch). */
  documentsWritten: number;
  /** Checkpoint stored at the end: the projector resumes after it. */
  position: bigint;
  durationMs: number;
  eventsPerSecond: number;
}

export interface ReplayOptions {
  store: EventStore;
  model: PostReadModel;
  onProgress?: (progress: ReplayProgress) => void;
  /** Checkpoint name to store, that of the projector that takes over. Default `posts`. */
  projector?: string;
  /** Events per read. Default 5,000. */
  pageSize?: number;
  /** Events per save. Default 20,000. */
  batchSize?: number;
  /** Documents kept in memory between saves. Default 100,000. */
  cacheSize?: number;
}

/**
 * Rebuilds the model from the store: drops everything, then reads every post event
 * from the beginning and saves in large batches, each post's events folded in memory
 * and written once per batch. The last batch stores the checkpoint, so a projector
 * started afterwards continues exactly where the replay ended.
 */
export async function replay(options: ReplayOptions): Promise<ReplayTotals> {
  const { store, model, onProgress } = options;
  const projector = options.projector ?? 'posts';
  const pageSize = options.pageSize ?? 5000;
  const batchSize = options.batchSize ?? 20_000;
  const cache = new DocumentCache(options.cacheSize ?? 100_000);
  const started = performance.now();
  await model.reset();
  const headPosition = await store.headPosition([POST_STREAM_PREFIX]);
  let events = 0;
  let posts = 0;
  let documentsWritten = 0;
  let position = 0n;
  let batch: RecordedEvent[] = [];

  const progress = (): ReplayProgress => {
    const elapsedMs = performance.now() - started;
    const eventsPerSecond = elapsedMs > 0 ? (events * 1000) / elapsedMs : 0;
    const done = headPosition > 0n ? Math.min(1, Number(position) / Number(headPosition)) : 1;
    const etaSeconds = events === 0 ? null : done >= 1 ? 0 : ((elapsedMs / done) * (1 - done)) / 1000;
    return { events, position, headPosition, elapsedMs, eventsPerSecond, etaSeconds };
  };

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const known = await cache.lookup(batch, model);
    const projection = new PostProjection(known);
    for (const event of batch) projection.apply(event);
    const documents = projection.documents();
    await model.save(documents, { projector, position: batch[batch.length - 1].position });
    cache.remember(documents);
    documentsWritten += documents.length;
    batch = [];
    onProgress?.(progress());
  };

  for (;;) {
    const page = await store.readAll({ from: position, limit: pageSize, streamPrefixes: [POST_STREAM_PREFIX] });
    if (page.length === 0) break;
    for (const event of page) {
      batch.push(event);
      if (event.type === 'PostCreated') posts++;
    }
    events += page.length;
    position = page[page.length - 1].position;
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  const { elapsedMs, eventsPerSecond } = progress();
  return { events, posts, documentsWritten, position, durationMs: elapsedMs, eventsPerSecond };
}

/** A read model that can be rebuilt beside itself while it serves, then switched over. */
export interface BlueGreenReadModel<R extends PostReadModel> extends PostReadModel {
  /** An empty model next to the live one (SQLite: a sibling file; MongoDB: a new collection prefix). */
  prepareRebuild(): Promise<R>;
  /** Makes `rebuilt` the live model; this instance serves it from then on and `rebuilt` is closed. */
  switchTo(rebuilt: R): Promise<void>;
}

export interface ReplayBesideLiveOptions<R extends PostReadModel> {
  store: EventStore;
  live: BlueGreenReadModel<R>;
  /** The projector feeding `live`, if it runs in this process: paused around the switch. */
  projector?: Projector;
  onProgress?: (progress: ReplayProgress) => void;
  pageSize?: number;
  batchSize?: number;
}

/**
 * Blue/green replay: `live` keeps answering reads (and its projector keeps it current)
 * while the replay fills a fresh model beside it. Then the projector is stopped, the
 * fresh model becomes the live one, and the projector starts again from the fresh
 * model's checkpoint: events appended during the replay were not in it, and the
 * projector applies them now, as it would after any restart. Readers see the old
 * documents until the switch and the rebuilt ones after it, never a mix.
 */
export async function replayBesideLive<R extends PostReadModel>(options: ReplayBesideLiveOptions<R>): Promise<ReplayTotals> {
  const { store, live, projector } = options;
  const rebuilt = await live.prepareRebuild();
  let totals: ReplayTotals;
  try {
    totals = await replay({
      store,
      model: rebuilt,
      onProgress: options.onProgress,
      projector: projector?.name,
      pageSize: options.pageSize,
      batchSize: options.batchSize,
    });
  } catch (error) {
    await rebuilt.close();
    throw error;
  }
  const resume = projector?.isRunning ?? false;
  if (resume) await projector!.stop();
  try {
    await live.switchTo(rebuilt);
  } catch (error) {
    await rebuilt.close();
    throw error;
  } finally {
    if (resume) await projector!.start();
  }
  return totals;
}
