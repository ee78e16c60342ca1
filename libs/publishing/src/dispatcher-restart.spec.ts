import { randomUUID } from 'node:crypto';
import { decide, initialPostState, evolve, postStream, type PostCommand, type PostEvent, type PostState, type RecordedPostEvent } from '../../domain';
import { EventStoreDbEventStore } from '../../event-store';
import { InMemoryEventStoreDb } from '../../event-store/src/testing/in-memory-eventstoredb';
import type { JobQueue, PublishJob } from '../../messaging';
import type { SubscriberCheckpoint } from './checkpoint';
import { type Dispatcher, startDispatcher } from './dispatcher';

/**
 * The dispatcher's checkpoint against a stand-in that refuses, as EventStoreDB does, to
 * resume `$all` from a position that is not an event's: whatever the dispatcher saves, a
 * restart from it must resubscribe and find the work still to do.
 */
describe('dispatcher restart from its checkpoint (strict EventStoreDB stand-in)', () => {
  const NOW = '2026-12-01T12:00:00.000Z';
  let server: InMemoryEventStoreDb;
  let store: EventStoreDbEventStore;
  let saved: bigint | null;
  const checkpoint: SubscriberCheckpoint = { load: async () => saved, save: async (position) => void (saved = position) };
  const enqueued: PublishJob[] = [];
  const queue = { enqueue: async (job: PublishJob) => void enqueued.push(job) } as unknown as JobQueue;

  const appendPost = async (postId: string, commands: PostCommand[]): Promise<void> => {
    let state: PostState = initialPostState();
    const events: PostEvent[] = [];
    for (const command of commands) {
      const decided = decide(state, command);
      for (const event of decided) state = evolve(state, { ...event, metadata: { occurred_at: NOW, actor: 'test' } } as RecordedPostEvent);
      events.push(...decided);
    }
    await store.append(
      postStream(postId),
      events.map((event) => ({ id: randomUUID(), type: event.type, version: event.version, data: event.data as unknown as Record<string, unknown>, metadata: { occurred_at: NOW, workspace_id: 'ws_1', actor: 'test' } })),
      'no_stream',
    );
  };

  const create = (postId: string): PostCommand => ({
    type: 'CreatePost',
    post_id: postId,
    workspace_id: 'ws_1',
    now: NOW,
    scheduled_for: null,
    content: { content: 'hello', platforms: ['mastodon'], media: null, segments: null, tags: [], platform_overrides: {}, platform_settings: {}, timezone: 'UTC', accounts: null },
  });
  const publish = (): PostCommand => ({ type: 'RequestPublish', publish_id: `pub_${randomUUID().slice(0, 8)}`, trigger: 'api', targets: [{ platform: 'mastodon', account_id: 'acc_1' }], now: NOW });

  const start = (): Promise<Dispatcher> =>
    startDispatcher({ store, queue, commands: { execute: async () => undefined } as never, checkpoint, platforms: ['mastodon'], durableQueue: false, flushIntervalMs: 20 });

  beforeEach(() => {
    server = new InMemoryEventStoreDb();
    store = new EventStoreDbEventStore(server.client(), { reconnectInitialDelayMs: 5, reconnectMaxDelayMs: 40 });
    saved = null;
    enqueued.length = 0;
  });
  afterEach(() => store.close());

  it('saves only positions of real events and resumes from them, re-dispatching unfinished work', async () => {
    await appendPost('post_a', [create('post_a'), publish()]);
    await appendPost('post_b', [create('post_b')]);
    await appendPost('post_c', [create('post_c'), publish()]);

    const first = await start();
    await first.ready;
    await first.stop();
    expect(enqueued.map((job) => job.post_id).sort()).toEqual(['post_a', 'post_c']);
    const positions = (await store.readAll()).map((event) => event.position);
    // Nothing finished, so the checkpoint stays before post_a's request: the event just before it.
    expect(saved).not.toBeNull();
    expect(positions).toContain(saved);

    enqueued.length = 0;
    const second = await start();
    await second.ready;
    await second.stop();
    expect(server.refusedPositions).toEqual([]);
    expect(store.failedSubscriptions()).toEqual([]);
    expect(enqueued.map((job) => job.post_id).sort()).toEqual(['post_a', 'post_c']);
  });
});
