import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDbEventStore, SqliteEventStore } from '../../event-store';
import { InMemoryEventStoreDb } from '../../event-store/src/testing/in-memory-eventstoredb';
import type { EventStore } from '../../event-store';
import { planPosts, writeScenario } from '../testing';
import type { PostDocument, PostReadModel } from './port';
import { projectPostEvent, postIdOfStream } from './projection';
import { Projector, ProjectorBatch, ProjectorLogger } from './projector';
import { SqliteReadModel } from './sqlite-read-model';

/** What projecting every post event of the store one by one gives. */
async function expectedDocuments(store: EventStore): Promise<Map<string, PostDocument>> {
  const documents = new Map<string, PostDocument>();
  for (const event of await store.readAll({ streamPrefixes: ['post-'] })) {
    const id = postIdOfStream(event.stream)!;
    const next = projectPostEvent(documents.get(id) ?? null, event);
    if (next) documents.set(id, next);
  }
  return documents;
}

async function expectModelToHold(model: PostReadModel, expected: Map<string, PostDocument>): Promise<void> {
  const stored = await model.load([...expected.keys()]);
  expect(stored.size).toBe(expected.size);
  expect(stored).toEqual(expected);
}

const quietLogger = (): ProjectorLogger & { errors: string[] } => {
  const errors: string[] = [];
  return { errors, error: (message) => errors.push(message) };
};

describe('Projector', () => {
  let dir: string;
  let store: SqliteEventStore;
  let model: SqliteReadModel;
  const projectors: Projector[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'postloom-projector-'));
    store = new SqliteEventStore(join(dir, 'events.sqlite'), { pollIntervalMs: 20 });
    model = new SqliteReadModel(join(dir, 'read.sqlite'));
  });

  afterEach(async () => {
    await Promise.all(projectors.splice(0).map((p) => p.stop()));
    await store.close();
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function projector(options: { model?: PostReadModel; batchSize?: number; logger?: ProjectorLogger; onBatch?: (b: ProjectorBatch) => void } = {}): Projector {
    const p = new Projector({ store, model: options.model ?? model, batchSize: options.batchSize, logger: options.logger, onBatch: options.onBatch, retryInitialMs: 5 });
    projectors.push(p);
    return p;
  }

  it('projects live events as they are appended', async () => {
    const p = projector();
    await p.start();
    await p.caughtUp;
    const plans = planPosts({ posts: 40, seed: 7 });
    const written = await writeScenario(store, plans);
    const head = await store.headPosition(['post-']);
    const expected = await expectedDocuments(store);
    const last = [...expected.values()].sort((a, b) => Number(b.position - a.position))[0];
    expect(await model.waitForRevision(last.id, last.revision, 5000)).toBe(true);
    await waitFor(async () => (await model.checkpoint('posts')) === head);
    await expectModelToHold(model, expected);
    expect(written.events).toBeGreaterThan(100);
    const someView = await model.get(last.workspace_id, last.id);
    expect(someView).toEqual(last.deleted ? null : last.view);
  });

  it('catches up on what was appended before it started, in batches', async () => {
    await writeScenario(store, planPosts({ posts: 60, seed: 3 }));
    const batches: ProjectorBatch[] = [];
    const p = projector({ batchSize: 100, onBatch: (b) => batches.push(b) });
    await p.start();
    await p.caughtUp;
    await expectModelToHold(model, await expectedDocuments(store));
    const total = (await store.readAll({ streamPrefixes: ['post-'] })).length;
    expect(batches.reduce((n, b) => n + b.events, 0)).toBe(total);
    expect(Math.max(...batches.map((b) => b.events))).toBeLessThanOrEqual(100);
    expect(batches.length).toBeLessThan(total / 10);
    expect(await model.checkpoint('posts')).toBe(await store.headPosition(['post-']));
  });

  it('continues from its checkpoint after a restart, without applying anything twice', async () => {
    const plans = planPosts({ posts: 80, seed: 11 });
    await writeScenario(store, plans.slice(0, 40));
    const first = projector();
    await first.start();
    await first.caughtUp;
    await first.stop();
    const before = await store.headPosition(['post-']);
    expect(await model.checkpoint('posts')).toBe(before);

    await writeScenario(store, plans.slice(40));
    const added = (await store.readAll({ from: before, streamPrefixes: ['post-'] })).length;
    const batches: ProjectorBatch[] = [];
    const second = projector({ onBatch: (b) => batches.push(b) });
    await second.start();
    await second.caughtUp;
    expect(batches.reduce((n, b) => n + b.events, 0)).toBe(added);
    await expectModelToHold(model, await expectedDocuments(store));
  });

  it('re-applies harmlessly what a crash between documents and checkpoint left behind', async () => {
    await writeScenario(store, planPosts({ posts: 50, seed: 5 }));
    const first = projector();
    await first.start();
    await first.caughtUp;
    await first.stop();
    const expected = await expectedDocuments(store);
    // Documents are ahead of the checkpoint, as after a crash between the two writes (MongoDB).
    const events = await store.readAll({ streamPrefixes: ['post-'] });
    await model.save([], { projector: 'posts', position: events[Math.floor(events.length / 3)].position });

    const batches: ProjectorBatch[] = [];
    const second = projector({ onBatch: (b) => batches.push(b) });
    await second.start();
    await second.caughtUp;
    expect(batches.reduce((n, b) => n + b.events, 0)).toBe(events.length - Math.floor(events.length / 3) - 1);
    await expectModelToHold(model, expected);
  });

  it('retries a failing save with backoff and skips nothing', async () => {
    const logger = quietLogger();
    const flaky = new FailingSaves(model, 3);
    const p = projector({ model: flaky, logger });
    await p.start();
    await writeScenario(store, planPosts({ posts: 30, seed: 9 }));
    const head = await store.headPosition(['post-']);
    await waitFor(async () => (await model.checkpoint('posts')) === head);
    expect(logger.errors.length).toBe(3);
    expect(logger.errors[0]).toMatch(/retrying/);
    await expectModelToHold(model, await expectedDocuments(store));
  });

  it('stops promptly while the model keeps failing, leaving the checkpoint where it was', async () => {
    await writeScenario(store, planPosts({ posts: 5, seed: 2 }));
    const broken = new FailingSaves(model, Infinity);
    const logger = quietLogger();
    const p = projector({ model: broken, logger });
    await p.start();
    await waitFor(async () => logger.errors.length >= 2);
    await p.stop();
    expect(await model.checkpoint('posts')).toBeNull();
    await expect(p.caughtUp).rejects.toThrow();
  });
});

/** The model, but its next `failures` saves throw. */
class FailingSaves implements PostReadModel {
  constructor(
    private readonly model: PostReadModel,
    private failures: number,
  ) {}
  get: PostReadModel['get'] = (...args) => this.model.get(...args);
  list: PostReadModel['list'] = (...args) => this.model.list(...args);
  dueScheduled: PostReadModel['dueScheduled'] = (...args) => this.model.dueScheduled(...args);
  publishing: PostReadModel['publishing'] = (...args) => this.model.publishing(...args);
  waitForRevision: PostReadModel['waitForRevision'] = (...args) => this.model.waitForRevision(...args);
  load: PostReadModel['load'] = (...args) => this.model.load(...args);
  checkpoint: PostReadModel['checkpoint'] = (...args) => this.model.checkpoint(...args);
  reset: PostReadModel['reset'] = () => this.model.reset();
  close: PostReadModel['close'] = async () => undefined;
  save: PostReadModel['save'] = async (...args) => {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('disk full');
    }
    return this.model.save(...args);
  };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Projector restart from its checkpoint (strict EventStoreDB stand-in)', () => {
  it('saves positions of real events only, so a restart resumes where it stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postloom-projector-esdb-'));
    const server = new InMemoryEventStoreDb();
    const store = new EventStoreDbEventStore(server.client(), { reconnectInitialDelayMs: 5, reconnectMaxDelayMs: 40 });
    const model = new SqliteReadModel(join(dir, 'read.sqlite'));
    try {
      await writeScenario(store, planPosts({ posts: 12, seed: 5 }));
      const first = new Projector({ store, model, batchSize: 7, retryInitialMs: 5 });
      await first.start();
      await first.caughtUp;
      await first.stop();
      const positions = new Set((await store.readAll()).map((event) => event.position));
      expect(positions.has((await model.checkpoint('posts'))!)).toBe(true);

      await writeScenario(store, planPosts({ posts: 12, seed: 6, idPrefix: 'q' }));
      const second = new Projector({ store, model, batchSize: 7, retryInitialMs: 5 });
      await second.start();
      await second.caughtUp;
      await second.stop();
      expect(server.refusedPositions).toEqual([]);
      expect(store.failedSubscriptions()).toEqual([]);
      expect(await model.checkpoint('posts')).toBe(await store.headPosition(['post-']));
      await expectModelToHold(model, await expectedDocuments(store));
    } finally {
      await store.close();
      await model.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
