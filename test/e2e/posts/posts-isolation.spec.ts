import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POST_STREAM_PREFIX } from '../../../libs/domain';
import { PostCommands } from '../../../libs/posts';
import { SqliteReadModel, replay } from '../../../libs/read-models';
import { startTestApp, type TestApp } from '../../support/app';
import { connectAccounts, createPost, daysFromNow, expectError } from './posts-client';

describe('posts: workspaces, concurrency, restart, replay (HTTP)', () => {
  let app: TestApp;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'posts-e2e-'));
    app = await startTestApp({ dataDir });
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps each workspace\'s posts to itself: another key gets 404 for everything', async () => {
    const keyA = await app.createKey('workspace-a');
    const keyB = await app.createKey('workspace-b');
    await connectAccounts(app, ['twitter'], keyB);
    const post = await createPost(app, { content: 'A only', platforms: ['twitter'] }, keyA);
    const postB = await createPost(app, { content: 'B only', platforms: ['twitter'] }, keyB);

    const id = post.id;
    for (const [method, path, body] of [
      ['GET', `/v1/posts/${id}`],
      ['GET', `/v1/posts/${id}?as_of=2999-01-01T00:00:00Z`],
      ['GET', `/v1/posts/${id}/history`],
      ['PUT', `/v1/posts/${id}`, { content: 'taken over' }],
      ['POST', `/v1/posts/${id}/publish`],
      ['POST', `/v1/posts/${id}/retry`],
      ['POST', `/v1/posts/${id}/duplicate`],
      ['DELETE', `/v1/posts/${id}`],
    ] as [string, string, object?][]) {
      expectError(await app.request(method, path, { key: keyB, body }), 404, 'not_found');
    }
    const listB = await app.request('GET', '/v1/posts?limit=100', { key: keyB });
    expect(listB.body).toEqual({ posts: [postB], total: 1 });
    const listA = await app.request('GET', '/v1/posts?limit=100', { key: keyA });
    expect(listA.body.posts.map((p: { id: string }) => p.id)).toEqual([id]);
    // Untouched by all of the above.
    expect((await app.request('GET', `/v1/posts/${id}`, { key: keyA })).body).toEqual(post);
    expect((await app.request('GET', `/v1/posts/${id}/history`, { key: keyA })).body.events).toHaveLength(1);
  });

  it('never loses an update to two concurrent PUTs: each is applied or answered 409 conflict', async () => {
    for (let round = 0; round < 8; round++) {
      const post = await createPost(app, { content: 'start', platforms: ['twitter'] });
      const writes = [`left ${round}`, `right ${round}`];
      const answers = await Promise.all(writes.map((content) => app.request('PUT', `/v1/posts/${post.id}`, { body: { content } })));
      const applied: string[] = [];
      answers.forEach((res, i) => {
        if (res.status === 200) {
          expect(res.body.content).toBe(writes[i]);
          applied.push(writes[i]);
        } else {
          expectError(res, 409, 'conflict');
        }
      });
      expect(applied.length).toBeGreaterThanOrEqual(1);
      const final = (await app.request('GET', `/v1/posts/${post.id}`)).body;
      expect(applied).toContain(final.content);
      // Every acknowledged write is in the log, in the order it was applied.
      const updates = (await app.request('GET', `/v1/posts/${post.id}/history`)).body.events.filter((e: { type: string }) => e.type === 'PostUpdated');
      expect(updates.map((e: { data: { changes: { content: string } } }) => e.data.changes.content).sort()).toEqual([...applied].sort());
      expect(updates.at(-1).data.changes.content).toBe(final.content);
    }
  });

  it('answers concurrent publishes of one post with exactly one 202', async () => {
    await connectAccounts(app, ['bluesky']);
    const post = await createPost(app, { content: 'once', platforms: ['bluesky'] });
    const answers = await Promise.all([0, 1, 2].map(() => app.request('POST', `/v1/posts/${post.id}/publish`)));
    expect(answers.map((r) => r.status).sort()).toEqual([202, 409, 409]);
    const requests = (await app.request('GET', `/v1/posts/${post.id}/history`)).body.events.filter((e: { type: string }) => e.type === 'PublishRequested');
    expect(requests).toHaveLength(1);
  });

  it('finds the same posts after a restart', async () => {
    const drafted = await createPost(app, { content: 'survives', platforms: ['mastodon'], tags: ['durable'] });
    const scheduled = await createPost(app, { content: 'survives too', platforms: ['mastodon'], scheduled_for: daysFromNow(1) });
    const before = await app.request('GET', '/v1/posts?limit=100');
    await app.restart();
    const after = await app.request('GET', '/v1/posts?limit=100');
    expect(after.body).toEqual(before.body);
    expect((await app.request('GET', `/v1/posts/${drafted.id}`)).body).toEqual(drafted);
    expect((await app.request('GET', `/v1/posts/${scheduled.id}`)).body).toEqual(scheduled);
    // And the command side carries on from the stored revisions.
    const edited = await app.request('PUT', `/v1/posts/${drafted.id}`, { body: { content: 'edited after restart' } });
    expect(edited.status).toBe(200);
    expect((await app.request('GET', `/v1/posts/${drafted.id}/history`)).body.events.map((e: { revision: number }) => e.revision)).toEqual([0, 1]);
  });

  it('holds documents equal to what a replay of the events rebuilds', async () => {
    const { eventStore, readModel } = app.runtime;
    // Everything written above is in the store; add the kinds of events not written yet.
    const doomed = await createPost(app, { content: 'deleted', platforms: ['twitter'] });
    await app.request('DELETE', `/v1/posts/${doomed.id}`);
    const original = await createPost(app, { content: 'copied', platforms: ['bluesky'], segments: [{ content: 'reply' }] });
    await app.request('POST', `/v1/posts/${original.id}/duplicate`);
    await app.request('POST', `/v1/posts/${original.id}/publish`);
    const posts = new PostCommands(eventStore, app.runtime.clock);
    const { state } = await posts.load(original.id);
    const meta = { workspace_id: state.workspace_id, actor: 'publisher:bluesky' };
    const publish_id = state.round!.publish_id;
    await posts.execute(original.id, { type: 'RecordSegmentPublished', publish_id, platform: 'bluesky', segment_index: 0, segment_count: 2, post_id: 'at://1', post_url: 'https://bsky.app/1', ref: { uri: 'at://1', cid: 'c1' } }, meta);
    await posts.execute(original.id, { type: 'RecordPlatformFailed', publish_id, platform: 'bluesky', error: 'reply refused', code: 'rejected', retryable: false, attempts: 2 }, meta);
    const events = await eventStore.readAll({ streamPrefixes: [POST_STREAM_PREFIX] });
    const lastRevision = new Map<string, number>();
    for (const e of events) lastRevision.set(e.stream.slice(POST_STREAM_PREFIX.length), e.revision);
    for (const [id, revision] of lastRevision) expect(await readModel.waitForRevision(id, revision, 5000)).toBe(true);

    const rebuiltDir = mkdtempSync(join(tmpdir(), 'posts-replay-'));
    const rebuilt = new SqliteReadModel(join(rebuiltDir, 'read.sqlite'));
    try {
      const totals = await replay({ store: eventStore, model: rebuilt });
      expect(totals.events).toBe(events.length);
      const ids = [...lastRevision.keys()];
      expect(ids.length).toBeGreaterThan(15);
      const live = await readModel.load(ids);
      const replayed = await rebuilt.load(ids);
      expect(replayed.size).toBe(ids.length);
      for (const id of ids) expect(replayed.get(id)).toEqual(live.get(id));
    } finally {
      await rebuilt.close();
      rmSync(rebuiltDir, { recursive: true, force: true });
    }
  });
});
