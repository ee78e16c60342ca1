import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostConflict, PostInvalid, PostNotFound, type PostContent, type PostState } from '../../domain';
import { SqliteEventStore, WrongExpectedRevision } from '../../event-store';
import { PostCommands, type CommandMeta } from './post-commands';
import { newPostId } from './post-ids';

const content = (over: Partial<PostContent> = {}): PostContent => ({
  content: 'Excited to announce our Series A!',
  platforms: ['twitter', 'bluesky'],
  media: null,
  segments: null,
  tags: [],
  platform_overrides: {},
  platform_settings: {},
  timezone: 'UTC',
  accounts: null,
  ...over,
});

describe('PostCommands over the SQLite event store', () => {
  let dir: string;
  let store: SqliteEventStore;
  let now: Date;
  let posts: PostCommands;
  const meta: CommandMeta = { workspace_id: 'ws_a', actor: 'key_a', request_id: 'req_1' };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'posts-commands-'));
    store = SqliteEventStore.open(join(dir, 'events.sqlite'));
    now = new Date('2030-01-01T10:00:00.000Z');
    posts = new PostCommands(store, () => now);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = async (over: Partial<PostContent> = {}, scheduled_for: string | null = null, who: CommandMeta = meta) => {
    const id = newPostId();
    const outcome = await posts.execute(
      id,
      { type: 'CreatePost', post_id: id, workspace_id: who.workspace_id, content: content(over), scheduled_for, now: now.toISOString() },
      who,
    );
    return { id, outcome };
  };

  it('appends the decided events to post-<id> with the metadata of the request', async () => {
    const { id, outcome } = await create({}, '2030-01-02T09:00:00.000Z');
    expect(outcome.events.map((e) => e.type)).toEqual(['PostCreated', 'PostScheduled']);
    expect(outcome.revision).toBe(1);
    expect(outcome.state.scheduled_for).toBe('2030-01-02T09:00:00.000Z');

    const stored = await store.readStream(`post-${id}`);
    expect(stored.map((e) => [e.type, e.version, e.revision])).toEqual([
      ['PostCreated', 1, 0],
      ['PostScheduled', 1, 1],
    ]);
    expect(outcome.position).toBe(stored[1].position);
    expect(stored[0].metadata).toEqual({
      occurred_at: '2030-01-01T10:00:00.000Z',
      workspace_id: 'ws_a',
      actor: 'key_a',
      request_id: 'req_1',
      correlation_id: 'req_1',
    });
    expect(new Set(stored.map((e) => e.id)).size).toBe(2);
  });

  it('keeps given correlation and causation ids', async () => {
    const { id } = await create();
    await posts.execute(id, { type: 'DeletePost' }, { workspace_id: 'ws_a', actor: 'scheduler', correlation_id: 'corr', causation_id: 'cause' });
    const [, deleted] = await store.readStream(`post-${id}`);
    expect(deleted.metadata).toEqual({ occurred_at: now.toISOString(), workspace_id: 'ws_a', actor: 'scheduler', correlation_id: 'corr', causation_id: 'cause' });
  });

  it('loads the post back as the events left it', async () => {
    const { id } = await create({ tags: ['launch'] });
    now = new Date('2030-01-01T10:05:00.000Z');
    await posts.execute(id, { type: 'UpdatePost', changes: { content: 'changed' }, now: now.toISOString() }, meta);
    const loaded = await posts.load(id);
    expect(loaded.revision).toBe(1);
    expect(loaded.events.map((e) => e.type)).toEqual(['PostCreated', 'PostUpdated']);
    expect(loaded.state).toMatchObject({ exists: true, id, workspace_id: 'ws_a', content: 'changed', tags: ['launch'], created_at: '2030-01-01T10:00:00.000Z', updated_at: '2030-01-01T10:05:00.000Z' });
  });

  it('answers a missing post, a deleted one and another workspace\'s alike: PostNotFound', async () => {
    await expect(posts.execute(newPostId(), { type: 'DeletePost' }, meta)).rejects.toBeInstanceOf(PostNotFound);
    const { id } = await create();
    await expect(posts.execute(id, { type: 'DeletePost' }, { ...meta, workspace_id: 'ws_b' })).rejects.toBeInstanceOf(PostNotFound);
    await posts.execute(id, { type: 'DeletePost' }, meta);
    await expect(posts.execute(id, { type: 'UpdatePost', changes: { content: 'x' }, now: now.toISOString() }, meta)).rejects.toBeInstanceOf(PostNotFound);
    expect((await store.readStream(`post-${id}`)).length).toBe(2);
  });

  it('appends nothing when the command changes nothing', async () => {
    const { id, outcome: created } = await create();
    const outcome = await posts.execute(id, { type: 'UpdatePost', changes: { content: content().content }, now: now.toISOString() }, meta);
    expect(outcome.events).toEqual([]);
    expect(outcome.revision).toBe(0);
    expect(outcome.position).toBe(created.position);
    expect((await store.readStream(`post-${id}`)).length).toBe(1);
  });

  it('lets the domain refuse: nothing is appended', async () => {
    const { id } = await create();
    await expect(posts.execute(id, { type: 'UpdatePost', changes: { platforms: [] }, now: now.toISOString() }, meta)).rejects.toBeInstanceOf(PostInvalid);
    await expect(
      posts.execute(id, { type: 'RetryPublish', publish_id: 'pub_x', targets: [], now: now.toISOString() }, meta),
    ).rejects.toBeInstanceOf(PostConflict);
    expect((await store.readStream(`post-${id}`)).length).toBe(1);
  });

  it('lets one of two racing writers win; the other gets WrongExpectedRevision', async () => {
    const { id } = await create();
    const results = await Promise.allSettled([
      posts.execute(id, { type: 'UpdatePost', changes: { content: 'first' }, now: now.toISOString() }, meta),
      posts.execute(id, { type: 'UpdatePost', changes: { content: 'second' }, now: now.toISOString() }, meta),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toBeInstanceOf(WrongExpectedRevision);
    const { state } = await posts.load(id);
    expect(state.content).toBe((won[0] as PromiseFulfilledResult<{ state: PostState }>).value.state.content);
  });

  it('with retries, reloads and decides again so both racing writers apply', async () => {
    const { id } = await create();
    // Another process's command side: no queue in common with this one.
    const elsewhere = new PostCommands(store, () => now);
    await Promise.all([
      elsewhere.execute(id, { type: 'UpdatePost', changes: { content: 'new text' }, now: now.toISOString() }, meta, { retries: 3 }),
      posts.execute(id, { type: 'UpdatePost', changes: { tags: ['a'] }, now: now.toISOString() }, meta, { retries: 3 }),
    ]);
    const { state, revision } = await posts.load(id);
    expect(revision).toBe(2);
    expect(state.content).toBe('new text');
    expect(state.tags).toEqual(['a']);
  });

  it('builds a command from the current state, again on each retry', async () => {
    const { id } = await create();
    const seen: number[] = [];
    const elsewhere = new PostCommands(store, () => now);
    const append = (tag: string, commands: PostCommands) =>
      commands.execute(
        id,
        (state: PostState, at: string) => {
          seen.push(state.tags.length);
          return { type: 'UpdatePost', changes: { tags: [...state.tags, tag] }, now: at };
        },
        meta,
        { retries: 2 },
      );
    await Promise.all([append('a', posts), append('b', elsewhere)]);
    const { state } = await posts.load(id);
    expect([...state.tags].sort()).toEqual(['a', 'b']);
    expect(seen).toEqual([0, 0, 1]);
  });

  it('queues retrying commands on one post within a process, so a dozen at once all apply without conflicts', async () => {
    const { id } = await create();
    const seen: number[] = [];
    const tags = Array.from({ length: 12 }, (_, i) => `t${i}`);
    await Promise.all(
      tags.map((tag) =>
        posts.execute(
          id,
          (state: PostState, at: string) => {
            seen.push(state.tags.length);
            return { type: 'UpdatePost', changes: { tags: [...state.tags, tag] }, now: at };
          },
          meta,
          // One retry would not be enough for twelve racing writers: only taking turns is.
          { retries: 1 },
        ),
      ),
    );
    expect([...(await posts.load(id)).state.tags].sort()).toEqual([...tags].sort());
    expect(seen).toEqual(tags.map((_, i) => i));
  });

  it('does not run the builder for another workspace\'s post', async () => {
    const { id } = await create();
    const builder = jest.fn();
    await expect(posts.execute(id, builder, { ...meta, workspace_id: 'ws_b' })).rejects.toBeInstanceOf(PostNotFound);
    expect(builder).not.toHaveBeenCalled();
  });
});
