/// <reference types="jest" />
import type { Platform, PostCommand, PostContent } from '../../../domain';
import type { RecordedEvent } from '../../../event-store';
import type { PostDocument, PostReadModel } from '../port';
import { projectPostEvent } from '../projection';
import { PostTimeline } from './post-scenario';

export interface ReadModelUnderTest {
  model: PostReadModel;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-05-01T08:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

function content(text: string, tags: string[], platforms: Platform[] = ['bluesky'], segments: PostContent['segments'] = null): PostContent {
  return { content: text, platforms, media: null, segments, tags, platform_overrides: {}, platform_settings: {}, timezone: 'UTC', accounts: null };
}

function create(postId: string, workspaceId: string, minute: number, tags: string[], scheduledFor: string | null = null): PostCommand {
  return { type: 'CreatePost', post_id: postId, workspace_id: workspaceId, content: content(`post ${postId}`, tags), scheduled_for: scheduledFor, now: at(minute) };
}

function requestPublish(publishId: string, minute: number, platforms: Platform[] = ['bluesky']): PostCommand {
  return { type: 'RequestPublish', publish_id: publishId, trigger: 'api', targets: platforms.map((platform) => ({ platform, account_id: `acct-${platform}` })), now: at(minute) };
}

function segment(publishId: string, platform: Platform, index: number, count = 1): PostCommand {
  return {
    type: 'RecordSegmentPublished',
    publish_id: publishId,
    platform,
    segment_index: index,
    segment_count: count,
    post_id: `${platform}-${publishId}-${index}`,
    post_url: `https://${platform}.example/${publishId}/${index}`,
    ref: null,
  };
}

/**
 * Workspace `ws-a`, newest first: a7 (scheduled, deleted), a6 failed, a5 deleted,
 * a4 publishing, a3 published, a2 scheduled, a1 draft. Workspace `ws-b`: b2 scheduled
 * (due later than a2), b1 draft. Made with the domain's `decide`.
 */
function fixture(): { timeline: PostTimeline; documents: Map<string, PostDocument> } {
  const t = new PostTimeline();
  t.run('a1', 'ws-a', create('a1', 'ws-a', 1, ['launch']));
  t.run('a2', 'ws-a', create('a2', 'ws-a', 2, ['launch', 'news'], at(60)));
  t.run('b1', 'ws-b', create('b1', 'ws-b', 2, ['launch']));
  t.run('a3', 'ws-a', create('a3', 'ws-a', 3, ['news']));
  t.run('a3', 'ws-a', { type: 'UpdatePost', changes: { content: 'post a3, edited' }, now: at(4) });
  t.run('a3', 'ws-a', requestPublish('a3-pub', 5));
  t.run('a3', 'ws-a', segment('a3-pub', 'bluesky', 0), at(6), 'publisher:bluesky');
  t.run('a3', 'ws-a', { type: 'RecordPlatformPublished', publish_id: 'a3-pub', platform: 'bluesky', attempts: 1 }, at(6), 'publisher:bluesky');
  t.run('b2', 'ws-b', create('b2', 'ws-b', 4, [], at(120)));
  t.run('a4', 'ws-a', create('a4', 'ws-a', 7, []));
  t.run('a4', 'ws-a', requestPublish('a4-pub', 8));
  t.run('a5', 'ws-a', create('a5', 'ws-a', 9, ['launch']));
  t.run('a5', 'ws-a', { type: 'DeletePost' }, at(10));
  t.run('a6', 'ws-a', create('a6', 'ws-a', 11, ['news']));
  t.run('a6', 'ws-a', requestPublish('a6-pub', 12));
  t.run(
    'a6',
    'ws-a',
    { type: 'RecordPlatformFailed', publish_id: 'a6-pub', platform: 'bluesky', error: 'HTTP 401', code: 'auth', retryable: false, attempts: 1 },
    at(13),
    'publisher:bluesky',
  );
  t.run('a7', 'ws-a', create('a7', 'ws-a', 14, ['launch'], at(30)));
  t.run('a7', 'ws-a', { type: 'DeletePost' }, at(15));
  return { timeline: t, documents: fold(t.events) };
}

function fold(events: readonly RecordedEvent[]): Map<string, PostDocument> {
  const documents = new Map<string, PostDocument>();
  for (const event of events) {
    const id = event.stream.slice('post-'.length);
    const next = projectPostEvent(documents.get(id) ?? null, event);
    if (next) documents.set(id, next);
  }
  return documents;
}

const ids = (views: { id: string }[]): string[] => views.map((v) => v.id);

/**
 * The behaviour every `PostReadModel` adapter owes the API, the scheduler, the
 * dispatcher and the projector. `setup` gives an empty model each test.
 */
export function describeReadModelContract(name: string, setup: () => Promise<ReadModelUnderTest>): void {
  describe(`PostReadModel contract: ${name}`, () => {
    let model: PostReadModel;
    let cleanup: () => Promise<void>;
    let documents: Map<string, PostDocument>;
    let timeline: PostTimeline;

    beforeEach(async () => {
      ({ model, cleanup } = await setup());
      ({ documents, timeline } = fixture());
    });

    afterEach(async () => {
      await cleanup();
    });

    const saveAll = () => model.save([...documents.values()], { projector: 'posts', position: timeline.events[timeline.events.length - 1].position });

    it('gets a post of its own workspace, not of another, not when deleted or unknown', async () => {
      await saveAll();
      expect(await model.get('ws-a', 'a3')).toEqual(documents.get('a3')!.view);
      expect((await model.get('ws-a', 'a3'))!.content).toBe('post a3, edited');
      expect((await model.get('ws-a', 'a3'))!.status).toBe('published');
      expect(await model.get('ws-b', 'a3')).toBeNull();
      expect(await model.get('ws-a', 'a5')).toBeNull();
      expect(await model.get('ws-a', 'nope')).toBeNull();
    });

    it('lists newest first with the total, deleted posts left out, one workspace only', async () => {
      await saveAll();
      const all = await model.list({ workspace_id: 'ws-a', limit: 50, offset: 0 });
      expect(ids(all.posts)).toEqual(['a6', 'a4', 'a3', 'a2', 'a1']);
      expect(all.total).toBe(5);
      expect(all.posts[0]).toEqual(documents.get('a6')!.view);
      const other = await model.list({ workspace_id: 'ws-b', limit: 50, offset: 0 });
      expect(ids(other.posts)).toEqual(['b2', 'b1']);
      expect(other.total).toBe(2);
      expect(await model.list({ workspace_id: 'ws-none', limit: 50, offset: 0 })).toEqual({ posts: [], total: 0 });
    });

    it('breaks ties on created_at by id, descending', async () => {
      const t = new PostTimeline();
      for (const id of ['t1', 't3', 't2']) t.run(id, 'ws-t', create(id, 'ws-t', 1, []));
      await model.save([...fold(t.events).values()], { projector: 'posts', position: 3n });
      expect(ids((await model.list({ workspace_id: 'ws-t', limit: 10, offset: 0 })).posts)).toEqual(['t3', 't2', 't1']);
    });

    it('filters by status, by tag, and by both', async () => {
      await saveAll();
      const list = (q: { status?: 'draft' | 'scheduled' | 'publishing' | 'published' | 'failed'; tag?: string }) =>
        model.list({ workspace_id: 'ws-a', limit: 50, offset: 0, ...q });
      expect(ids((await list({ status: 'published' })).posts)).toEqual(['a3']);
      expect(ids((await list({ status: 'scheduled' })).posts)).toEqual(['a2']);
      expect(ids((await list({ status: 'publishing' })).posts)).toEqual(['a4']);
      expect(ids((await list({ status: 'failed' })).posts)).toEqual(['a6']);
      expect((await list({ status: 'draft' })).total).toBe(1);
      const launch = await list({ tag: 'launch' });
      expect(ids(launch.posts)).toEqual(['a2', 'a1']);
      expect(launch.total).toBe(2);
      expect(ids((await list({ tag: 'news' })).posts)).toEqual(['a6', 'a3', 'a2']);
      expect(ids((await list({ tag: 'news', status: 'scheduled' })).posts)).toEqual(['a2']);
      expect(await list({ tag: 'news', status: 'draft' })).toEqual({ posts: [], total: 0 });
      expect(await list({ tag: 'unknown' })).toEqual({ posts: [], total: 0 });
      expect(ids((await model.list({ workspace_id: 'ws-b', tag: 'launch', limit: 50, offset: 0 })).posts)).toEqual(['b1']);
    });

    it('pages with limit and offset, the total counting every match', async () => {
      await saveAll();
      const page = await model.list({ workspace_id: 'ws-a', limit: 2, offset: 1 });
      expect(ids(page.posts)).toEqual(['a4', 'a3']);
      expect(page.total).toBe(5);
      const tagged = await model.list({ workspace_id: 'ws-a', tag: 'news', limit: 1, offset: 1 });
      expect(ids(tagged.posts)).toEqual(['a3']);
      expect(tagged.total).toBe(3);
      const past = await model.list({ workspace_id: 'ws-a', limit: 10, offset: 10 });
      expect(past).toEqual({ posts: [], total: 5 });
    });

    it('follows a tag change: the post is found by its new tags only', async () => {
      timeline.run('a1', 'ws-a', { type: 'UpdatePost', changes: { tags: ['weekly'] }, now: at(20) });
      documents = fold(timeline.events);
      await saveAll();
      const list = (tag: string) => model.list({ workspace_id: 'ws-a', tag, limit: 10, offset: 0 });
      expect(ids((await list('weekly')).posts)).toEqual(['a1']);
      expect(ids((await list('launch')).posts)).toEqual(['a2']);
    });

    it('lists a group oldest first, one workspace only, deleted and moved posts left out', async () => {
      const t = new PostTimeline();
      const inGroup = (id: string, ws: string, minute: number, group: string | null): PostCommand => {
        const command = create(id, ws, minute, []) as Extract<PostCommand, { type: 'CreatePost' }>;
        return { ...command, content: { ...command.content, group_id: group } };
      };
      t.run('g3', 'ws-g', inGroup('g3', 'ws-g', 3, 'campaign'));
      t.run('g1', 'ws-g', inGroup('g1', 'ws-g', 1, 'campaign'));
      t.run('g2', 'ws-g', inGroup('g2', 'ws-g', 2, 'campaign'));
      t.run('g4', 'ws-g', inGroup('g4', 'ws-g', 4, 'other'));
      t.run('g5', 'ws-g', inGroup('g5', 'ws-g', 5, 'campaign'));
      t.run('g5', 'ws-g', { type: 'DeletePost' }, at(6));
      t.run('g4', 'ws-g', { type: 'UpdatePost', changes: { group_id: 'campaign' }, now: at(7) });
      t.run('g2', 'ws-g', { type: 'UpdatePost', changes: { group_id: null }, now: at(8) });
      t.run('h1', 'ws-h', inGroup('h1', 'ws-h', 1, 'campaign'));
      await model.save([...fold(t.events).values()], { projector: 'posts', position: BigInt(t.events.length) });
      const group = await model.group({ workspace_id: 'ws-g', group_id: 'campaign', limit: 10, offset: 0 });
      expect(ids(group.posts)).toEqual(['g1', 'g3', 'g4']);
      expect(group.total).toBe(3);
      expect(group.posts[0].group_id).toBe('campaign');
      expect(ids((await model.group({ workspace_id: 'ws-g', group_id: 'campaign', limit: 1, offset: 1 })).posts)).toEqual(['g3']);
      expect(await model.group({ workspace_id: 'ws-g', group_id: 'nope', limit: 10, offset: 0 })).toEqual({ posts: [], total: 0 });
      expect(ids((await model.group({ workspace_id: 'ws-h', group_id: 'campaign', limit: 10, offset: 0 })).posts)).toEqual(['h1']);
    });

    it('loads stored documents exactly as saved', async () => {
      await saveAll();
      const loaded = await model.load(['a1', 'a3', 'a4', 'a5', 'missing']);
      expect([...loaded.keys()].sort()).toEqual(['a1', 'a3', 'a4', 'a5']);
      for (const id of ['a1', 'a3', 'a4', 'a5']) expect(loaded.get(id)).toEqual(documents.get(id));
      expect(loaded.get('a3')!.position).toBe(documents.get('a3')!.position);
      expect(typeof loaded.get('a3')!.position).toBe('bigint');
      expect((await model.load([])).size).toBe(0);
    });

    it('never lets an older or equal revision overwrite: every event applied twice, older ones redelivered', async () => {
      const current = new Map<string, PostDocument>();
      const intermediate: PostDocument[] = [];
      for (const event of timeline.events) {
        const id = event.stream.slice('post-'.length);
        const next = projectPostEvent(current.get(id) ?? null, event)!;
        current.set(id, next);
        intermediate.push(next);
        await model.save([next], { projector: 'posts', position: event.position });
        await model.save([next], { projector: 'posts', position: event.position });
      }
      const expected = await model.load([...documents.keys()]);
      expect(expected).toEqual(documents);
      // Out of order: every older state again, newest last and first.
      await model.save([...intermediate].reverse(), { projector: 'posts', position: 100n });
      await model.save(intermediate, { projector: 'posts', position: 101n });
      expect(await model.load([...documents.keys()])).toEqual(documents);
      // Same revision, other content: still the stored one.
      const a3 = documents.get('a3')!;
      await model.save([{ ...a3, view: { ...a3.view, content: 'forged' }, status: 'draft' }], { projector: 'posts', position: 102n });
      expect(await model.get('ws-a', 'a3')).toEqual(a3.view);
      expect(ids((await model.list({ workspace_id: 'ws-a', status: 'published', limit: 10, offset: 0 })).posts)).toEqual(['a3']);
      // A document older than the stored one, handed over in the same save as a newer one.
      const a1Events = timeline.run('a1', 'ws-a', { type: 'UpdatePost', changes: { content: 'a1 again' }, now: at(30) });
      const newer = projectPostEvent(documents.get('a1')!, a1Events[0])!;
      await model.save([newer, documents.get('a1')!], { projector: 'posts', position: a1Events[0].position });
      expect((await model.get('ws-a', 'a1'))!.content).toBe('a1 again');
    });

    it('stores checkpoints per projector, with the documents', async () => {
      expect(await model.checkpoint('posts')).toBeNull();
      await model.save([documents.get('a1')!], { projector: 'posts', position: 1n });
      expect(await model.checkpoint('posts')).toBe(1n);
      expect(await model.checkpoint('other')).toBeNull();
      await model.save([], { projector: 'posts', position: 7n });
      await model.save([], { projector: 'other', position: 3n });
      expect(await model.checkpoint('posts')).toBe(7n);
      expect(await model.checkpoint('other')).toBe(3n);
      const beyondDouble = 2n ** 53n + 1n;
      await model.save([], { projector: 'posts', position: beyondDouble });
      expect(await model.checkpoint('posts')).toBe(beyondDouble);
      expect(await model.get('ws-a', 'a1')).toEqual(documents.get('a1')!.view);
    });

    it('finds due scheduled posts, oldest due first, deleted and unscheduled ones left out', async () => {
      await saveAll();
      expect(await model.dueScheduled(at(59), 10)).toEqual([]);
      expect(await model.dueScheduled(at(60), 10)).toEqual([{ id: 'a2', workspace_id: 'ws-a', scheduled_for: at(60) }]);
      expect(await model.dueScheduled(at(600), 10)).toEqual([
        { id: 'a2', workspace_id: 'ws-a', scheduled_for: at(60) },
        { id: 'b2', workspace_id: 'ws-b', scheduled_for: at(120) },
      ]);
      expect(ids(await model.dueScheduled(at(600), 1))).toEqual(['a2']);
      timeline.run('a2', 'ws-a', { type: 'UpdatePost', changes: {}, scheduled_for: null, now: at(40) });
      documents = fold(timeline.events);
      await saveAll();
      expect(ids(await model.dueScheduled(at(600), 10))).toEqual(['b2']);
    });

    it('lists posts that are publishing, as documents', async () => {
      await saveAll();
      expect(await model.publishing(10)).toEqual([documents.get('a4')]);
      timeline.run('a4', 'ws-a', segment('a4-pub', 'bluesky', 0), at(20), 'publisher:bluesky');
      timeline.run('a4', 'ws-a', { type: 'RecordPlatformPublished', publish_id: 'a4-pub', platform: 'bluesky', attempts: 1 }, at(20), 'publisher:bluesky');
      documents = fold(timeline.events);
      await saveAll();
      expect(await model.publishing(10)).toEqual([]);
      expect((await model.get('ws-a', 'a4'))!.status).toBe('published');
    });

    it('waits for a revision: at once when stored, as soon as a save stores it, false on timeout', async () => {
      await saveAll();
      const a3 = documents.get('a3')!;
      expect(await model.waitForRevision('a3', a3.revision, 1000)).toBe(true);
      expect(await model.waitForRevision('a3', a3.revision - 1, 0)).toBe(true);
      expect(await model.waitForRevision('a3', a3.revision + 1, 50)).toBe(false);
      expect(await model.waitForRevision('unknown', 0, 50)).toBe(false);

      const [event] = timeline.run('a1', 'ws-a', { type: 'UpdatePost', changes: { content: 'later' }, now: at(30) });
      const waiting = model.waitForRevision('a1', event.revision, 5000);
      const started = Date.now();
      await model.save([projectPostEvent(documents.get('a1')!, event)!], { projector: 'posts', position: event.position });
      expect(await waiting).toBe(true);
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await model.get('ws-a', 'a1'))!.content).toBe('later');

      const [created] = timeline.run('n1', 'ws-a', create('n1', 'ws-a', 40, []));
      const waitingNew = model.waitForRevision('n1', 0, 5000);
      await model.save([projectPostEvent(null, created)!], { projector: 'posts', position: created.position });
      expect(await waitingNew).toBe(true);
    });

    it('does not end a wait with a lower revision', async () => {
      const a3Events = timeline.eventsOf('a3');
      let doc: PostDocument | null = null;
      doc = projectPostEvent(doc, a3Events[0]);
      const waiting = model.waitForRevision('a3', a3Events[a3Events.length - 1].revision, 300);
      await model.save([doc!], { projector: 'posts', position: a3Events[0].position });
      expect(await waiting).toBe(false);
    });

    it('resets to empty: no documents, no checkpoints', async () => {
      await saveAll();
      await model.reset();
      expect(await model.get('ws-a', 'a1')).toBeNull();
      expect(await model.list({ workspace_id: 'ws-a', limit: 10, offset: 0 })).toEqual({ posts: [], total: 0 });
      expect(await model.list({ workspace_id: 'ws-a', tag: 'launch', limit: 10, offset: 0 })).toEqual({ posts: [], total: 0 });
      expect(await model.checkpoint('posts')).toBeNull();
      expect(await model.dueScheduled(at(600), 10)).toEqual([]);
      expect(await model.publishing(10)).toEqual([]);
      expect((await model.load(['a1'])).size).toBe(0);
      await saveAll();
      expect(await model.get('ws-a', 'a1')).toEqual(documents.get('a1')!.view);
    });
  });
}
