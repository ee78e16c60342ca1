import { startTestApp, type TestApp } from '../../support/app';
import { ISO_UTC, createPost, daysFromNow, expectError } from './posts-client';

describe('posts: history and as_of (HTTP)', () => {
  let app: TestApp;
  let keyId: string;

  beforeAll(async () => {
    app = await startTestApp();
    keyId = (await app.runtime.workspaces.authenticate(app.apiKey))!.key_id;
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** Waits for the clock to move past `instant`, so the next write is strictly later (no sleeping a guessed time). */
  async function after(instant: string): Promise<void> {
    const target = Date.parse(instant);
    const deadline = Date.now() + 1000;
    while (Date.now() <= target) {
      if (Date.now() > deadline) throw new Error('clock did not advance');
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('lists the post\'s events oldest first, with type, version, revision, time and actor', async () => {
    const started = Date.now();
    const post = await createPost(app, { content: 'v1', platforms: ['twitter'] });
    await after(post.updated_at);
    const updated = (await app.request('PUT', `/v1/posts/${post.id}`, { body: { content: 'v2', scheduled_for: daysFromNow(1) } })).body;
    await after(updated.updated_at);
    await app.request('PUT', `/v1/posts/${post.id}`, { body: { scheduled_for: null } });
    const finished = Date.now();

    const res = await app.request('GET', `/v1/posts/${post.id}/history`);
    expect(res.status).toBe(200);
    const events = res.body.events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['PostCreated', 'PostUpdated', 'PostScheduled', 'PostUnscheduled']);
    expect(events.map((e: { revision: number }) => e.revision)).toEqual([0, 1, 2, 3]);
    for (const event of events) {
      expect(event.version).toBe(1);
      expect(event.actor).toBe(keyId);
      expect(event.at).toMatch(ISO_UTC);
      expect(Date.parse(event.at)).toBeGreaterThanOrEqual(started - 1);
      expect(Date.parse(event.at)).toBeLessThanOrEqual(finished + 1);
    }
    expect(events[0].at).toBe(post.created_at);
    expect(events[0].data).toMatchObject({ post_id: post.id, content: 'v1', platforms: ['twitter'] });
    expect(events[1].data).toEqual({ changes: { content: 'v2' } });
    expect(events[1].at).toBe(updated.updated_at);
    expect(Date.parse(events[3].at)).toBeGreaterThan(Date.parse(events[1].at));
  });

  it('names the actor of each key', async () => {
    const other = await app.createKey('history-actor');
    const post = await createPost(app, { content: 'mine', platforms: ['twitter'] }, other);
    const [created] = (await app.request('GET', `/v1/posts/${post.id}/history`, { key: other })).body.events;
    const principal = await app.runtime.workspaces.authenticate(other);
    expect(created.actor).toBe(principal!.key_id);
    expect(created.actor).not.toBe(keyId);
  });

  it('keeps the audit log of a deleted post; 404 for unknown posts', async () => {
    const post = await createPost(app, { content: 'gone soon', platforms: ['twitter'] });
    await app.request('DELETE', `/v1/posts/${post.id}`);
    const res = await app.request('GET', `/v1/posts/${post.id}/history`);
    expect(res.status).toBe(200);
    expect(res.body.events.map((e: { type: string }) => e.type)).toEqual(['PostCreated', 'PostDeleted']);
    expectError(await app.request('GET', '/v1/posts/post_doesnotexist000000/history'), 404, 'not_found');
  });

  it('rebuilds the post as it stood at ?as_of from its events', async () => {
    const post = await createPost(app, { content: 'first words', platforms: ['bluesky'], tags: ['a'] });
    await after(post.updated_at);
    const second = (await app.request('PUT', `/v1/posts/${post.id}`, { body: { content: 'second words' } })).body;
    await after(second.updated_at);
    const third = (await app.request('PUT', `/v1/posts/${post.id}`, { body: { content: 'third words', scheduled_for: daysFromNow(2) } })).body;

    const at = async (asOf: string) => app.request('GET', `/v1/posts/${post.id}?as_of=${encodeURIComponent(asOf)}`);
    expect((await at(post.created_at)).body).toEqual(post);
    expect((await at(second.updated_at)).body).toEqual(second);
    const between = new Date(Date.parse(third.updated_at) - 1).toISOString();
    expect((await at(between)).body).toMatchObject({ content: 'second words', status: 'draft' });
    expect((await at(third.updated_at)).body).toEqual(third);
    expect((await at('2999-01-01T00:00:00Z')).body).toEqual((await app.request('GET', `/v1/posts/${post.id}`)).body);
    // Offsets are instants too.
    const plusTwo = new Date(Date.parse(second.updated_at) + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    expect((await at(plusTwo)).body.content).toBe('second words');
  });

  it('answers 404 before the post existed or after it was deleted, and 422 for an unparsable as_of', async () => {
    const post = await createPost(app, { content: 'brief', platforms: ['twitter'] });
    const before = new Date(Date.parse(post.created_at) - 1).toISOString();
    expectError(await app.request('GET', `/v1/posts/${post.id}?as_of=${before}`), 404, 'not_found');
    await after(post.updated_at);
    await app.request('DELETE', `/v1/posts/${post.id}`);
    expect((await app.request('GET', `/v1/posts/${post.id}?as_of=${post.created_at}`)).body.content).toBe('brief');
    expectError(await app.request('GET', `/v1/posts/${post.id}?as_of=2999-01-01T00:00:00Z`), 404, 'not_found');
    for (const bad of ['yesterday', '', '2024-13-01T00:00:00Z', '2024-01-01']) {
      expectError(await app.request('GET', `/v1/posts/${post.id}?as_of=${encodeURIComponent(bad)}`), 422, 'validation_error', ['as_of']);
    }
    expectError(await app.request('GET', `/v1/posts/${post.id}?as_of=a&as_of=b`), 422, 'validation_error', ['as_of']);
  });
});
