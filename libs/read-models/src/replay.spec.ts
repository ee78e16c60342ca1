import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../event-store';
import { planPosts, writeScenario } from '../testing';
import type { PostDocument, PostReadModel } from './port';
import { Projector } from './projector';
import { ReplayProgress, replay, replayBesideLive } from './replay';
import { SqliteReadModel } from './sqlite-read-model';

async function allDocuments(model: PostReadModel, ids: string[]): Promise<Map<string, PostDocument>> {
  return model.load(ids);
}

describe('replay', () => {
  let dir: string;
  let store: SqliteEventStore;
  let live: SqliteReadModel;
  let projector: Projector;
  const plans = planPosts({ posts: 500, seed: 42 });
  const ids = plans.map((p) => p.postId);
  let written: { posts: number; events: number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'postloom-replay-'));
    store = new SqliteEventStore(join(dir, 'events.sqlite'), { pollIntervalMs: 20 });
    live = new SqliteReadModel(join(dir, 'read.sqlite'));
    projector = new Projector({ store, model: live });
    await projector.start();
    await projector.caughtUp;
    written = await writeScenario(store, plans);
    const head = await store.headPosition(['post-']);
    const deadline = Date.now() + 10_000;
    while ((await live.checkpoint('posts')) !== head) {
      if (Date.now() > deadline) throw new Error('live projection did not catch up');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  afterAll(async () => {
    await projector.stop();
    await store.close();
    await live.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses a history rich enough to mean something', async () => {
    expect(written.events).toBeGreaterThanOrEqual(3000);
    const statuses = new Set([...(await allDocuments(live, ids)).values()].map((d) => (d.deleted ? 'deleted' : d.status)));
    expect([...statuses].sort()).toEqual(['deleted', 'draft', 'failed', 'published', 'publishing', 'scheduled']);
    const types = new Set((await store.readAll({ streamPrefixes: ['post-'] })).map((e) => e.type));
    expect([...types].sort()).toEqual(
      ['PlatformFailed', 'PlatformPublished', 'PostCreated', 'PostDeleted', 'PostScheduled', 'PostUnscheduled', 'PostUpdated', 'PublishRequested', 'SegmentPublished'].sort(),
    );
  });

  it('rebuilds into an empty model exactly what live projection built', async () => {
    const fresh = new SqliteReadModel(join(dir, 'fresh.sqlite'));
    try {
      const progress: ReplayProgress[] = [];
      // Small pages and batches, so posts span several saves and the cache is exercised.
      const totals = await replay({ store, model: fresh, onProgress: (p) => progress.push(p), pageSize: 300, batchSize: 700, cacheSize: 50 });
      expect(totals.events).toBe(written.events);
      expect(totals.posts).toBe(500);
      expect(totals.position).toBe(await store.headPosition(['post-']));
      expect(await fresh.checkpoint('posts')).toBe(totals.position);
      const rebuilt = await allDocuments(fresh, ids);
      const projected = await allDocuments(live, ids);
      expect(rebuilt.size).toBe(500);
      expect(rebuilt).toEqual(projected);
      for (const id of ids.slice(0, 50)) {
        const doc = projected.get(id)!;
        expect(await fresh.get(doc.workspace_id, id)).toEqual(await live.get(doc.workspace_id, id));
      }
      for (const workspace_id of ['ws-a', 'ws-b']) {
        expect(await fresh.list({ workspace_id, limit: 1000, offset: 0 })).toEqual(await live.list({ workspace_id, limit: 1000, offset: 0 }));
      }
      expect(progress.length).toBeGreaterThan(1);
      expect(progress[progress.length - 1].events).toBe(written.events);
      expect(progress[progress.length - 1].etaSeconds).toBe(0);
      expect(progress.every((p, i) => i === 0 || p.events > progress[i - 1].events)).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it('starts over from nothing: whatever the model held before is gone', async () => {
    const fresh = new SqliteReadModel(join(dir, 'stale.sqlite'));
    try {
      const stale = (await live.load([ids[0]])).get(ids[0])!;
      await fresh.save([{ ...stale, id: 'ghost', state: { ...stale.state, id: 'ghost' } }], { projector: 'posts', position: 10n ** 12n });
      await replay({ store, model: fresh });
      expect((await fresh.load(['ghost'])).size).toBe(0);
      expect(await fresh.checkpoint('posts')).toBe(await store.headPosition(['post-']));
    } finally {
      await fresh.close();
    }
  });

  it('rebuilds beside the live model while it serves, switches, and the projector carries on', async () => {
    const before = await live.list({ workspace_id: 'ws-a', limit: 5, offset: 0 });
    const servedDuringRebuild: Promise<number>[] = [];
    const totals = await replayBesideLive({
      store,
      live,
      projector,
      onProgress: () => {
        // The live model answers while the rebuild runs.
        servedDuringRebuild.push(live.list({ workspace_id: 'ws-a', limit: 5, offset: 0 }).then((page) => page.total));
      },
      pageSize: 500,
      batchSize: 1000,
    });
    expect(totals.events).toBe(written.events);
    expect(servedDuringRebuild.length).toBeGreaterThan(1);
    expect(new Set(await Promise.all(servedDuringRebuild))).toEqual(new Set([before.total]));
    expect(projector.isRunning).toBe(true);
    expect(await live.list({ workspace_id: 'ws-a', limit: 5, offset: 0 })).toEqual(before);

    const more = planPosts({ posts: 3, seed: 99, idPrefix: 'after-switch-' });
    await writeScenario(store, more);
    const last = (await store.readStream(`post-${more[2].postId}`)).pop()!;
    expect(await live.waitForRevision(more[2].postId, last.revision, 5000)).toBe(true);
  });
});
