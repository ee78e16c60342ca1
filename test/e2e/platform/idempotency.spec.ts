import { startTestApp, type TestApp } from '../../support/app';

const hook = (n: number) => ({ url: `https://example.com/hooks/${n}`, events: ['post.published', 'post.failed'], description: `hook ${n}` });

describe('Idempotency-Key', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });

  afterAll(async () => {
    await app?.stop();
  });

  const webhookCount = async (key?: string): Promise<number> => (await app.request('GET', '/v1/webhooks', { key })).body.webhooks.length;

  it('replays the first response for the same key and body, without doing it again', async () => {
    const before = await webhookCount();
    const first = await app.request('POST', '/v1/webhooks', { body: hook(1), headers: { 'idempotency-key': 'replay-1' } });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    const again = await app.request('POST', '/v1/webhooks', { body: hook(1), headers: { 'idempotency-key': 'replay-1' } });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.headers['idempotent-replayed']).toBe('true');
    // The new exchange has its own request id and rate-limit headers.
    expect(again.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    expect(again.headers['x-ratelimit-remaining']).toBeDefined();
    expect(await webhookCount()).toBe(before + 1);
  });

  it('treats the same fields in another order as the same body', async () => {
    const body = hook(2);
    const first = await app.request('POST', '/v1/webhooks', { body, headers: { 'idempotency-key': 'order-1' } });
    const reordered = { description: body.description, events: body.events, url: body.url };
    const again = await app.request('POST', '/v1/webhooks', { body: reordered, headers: { 'idempotency-key': 'order-1' } });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
  });

  it('answers 409 conflict for the same key with another body, and does nothing', async () => {
    const first = await app.request('POST', '/v1/accounts', {
      body: { platform: 'mastodon', name: 'one', credentials: { access_token: 't1' }, base_url: 'https://mastodon.example' },
      headers: { 'idempotency-key': 'mismatch-1' },
    });
    expect(first.status).toBe(201);
    const before = (await app.request('GET', '/v1/accounts')).body.accounts.length;
    const other = await app.request('POST', '/v1/accounts', {
      body: { platform: 'mastodon', name: 'two', credentials: { access_token: 't2' }, base_url: 'https://mastodon.example' },
      headers: { 'idempotency-key': 'mismatch-1' },
    });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('conflict');
    expect(other.body.request_id).toBe(other.headers['x-request-id']);
    expect((await app.request('GET', '/v1/accounts')).body.accounts.length).toBe(before);
  });

  it('answers 409 for the same key on another endpoint', async () => {
    await app.request('POST', '/v1/webhooks', { body: hook(3), headers: { 'idempotency-key': 'path-1' } });
    const elsewhere = await app.request('POST', '/v1/accounts', { body: hook(3), headers: { 'idempotency-key': 'path-1' } });
    expect(elsewhere.status).toBe(409);
  });

  it('replays a 4xx answer too', async () => {
    const bad = { url: 'not a url', events: ['post.published'] };
    const first = await app.request('POST', '/v1/webhooks', { body: bad, headers: { 'idempotency-key': 'invalid-1' } });
    expect(first.status).toBe(422);
    const again = await app.request('POST', '/v1/webhooks', { body: bad, headers: { 'idempotency-key': 'invalid-1' } });
    expect(again.status).toBe(422);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('keeps keys apart per workspace', async () => {
    const otherKey = await app.createKey('idempotency other');
    const mine = await app.request('POST', '/v1/webhooks', { body: hook(4), headers: { 'idempotency-key': 'shared-1' } });
    const theirs = await app.request('POST', '/v1/webhooks', { key: otherKey, body: hook(4), headers: { 'idempotency-key': 'shared-1' } });
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(await webhookCount(otherKey)).toBe(1);
  });

  it('runs concurrent requests with one key once', async () => {
    const before = await webhookCount();
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => app.request('POST', '/v1/webhooks', { body: hook(5), headers: { 'idempotency-key': 'race-1' } })),
    );
    const created = responses.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const response of responses.filter((r) => r.status !== 201)) {
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('conflict');
    }
    expect(await webhookCount()).toBe(before + 1);
  });

  it('refuses an unusable key with 422 naming the header', async () => {
    const response = await app.request('POST', '/v1/webhooks', { body: hook(6), headers: { 'idempotency-key': 'k'.repeat(300) } });
    expect(response.status).toBe(422);
    expect(response.body.error.details).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
  });

  it('ignores the header on methods other than POST', async () => {
    const first = await app.request('GET', '/v1/webhooks', { headers: { 'idempotency-key': 'get-1' } });
    const created = await app.request('POST', '/v1/webhooks', { body: hook(7) });
    const second = await app.request('GET', '/v1/webhooks', { headers: { 'idempotency-key': 'get-1' } });
    expect(created.status).toBe(201);
    expect(second.body.webhooks.length).toBe(first.body.webhooks.length + 1);
  });

  it('still replays after a restart', async () => {
    const first = await app.request('POST', '/v1/webhooks', { body: hook(8), headers: { 'idempotency-key': 'durable-1' } });
    await app.restart();
    const again = await app.request('POST', '/v1/webhooks', { body: hook(8), headers: { 'idempotency-key': 'durable-1' } });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
  });
});
