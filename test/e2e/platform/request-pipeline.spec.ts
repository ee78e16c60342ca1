import { startTestApp, type TestApp, type TestResponse } from '../../support/app';

function expectErrorShape(response: TestResponse, code: string): void {
  expect(response.body).toEqual({
    error: { code, message: expect.any(String), details: expect.any(Array) },
    request_id: response.headers['x-request-id'],
  });
}

function expectRateLimitHeaders(response: TestResponse): void {
  expect(response.headers['x-ratelimit-limit']).toMatch(/^\d+$/);
  expect(response.headers['x-ratelimit-remaining']).toMatch(/^\d+$/);
  const reset = Number(response.headers['x-ratelimit-reset']);
  const now = Date.now() / 1000;
  expect(reset).toBeGreaterThan(now - 1);
  expect(reset).toBeLessThanOrEqual(now + 61);
}

describe('request pipeline', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });

  afterAll(async () => {
    await app?.stop();
  });

  describe('authentication', () => {
    it('answers 401 without a key', async () => {
      const response = await app.request('GET', '/v1/accounts', { key: null });
      expect(response.status).toBe(401);
      expectErrorShape(response, 'unauthorized');
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });

    it('answers 401 with an unknown key', async () => {
      const response = await app.request('GET', '/v1/posts', { key: 'pl_live_not_a_real_key_at_all' });
      expect(response.status).toBe(401);
      expectErrorShape(response, 'unauthorized');
    });

    it.each([
      ['a Basic scheme', (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`],
      ['no scheme', (key: string) => key],
      ['an empty bearer', () => 'Bearer '],
      ['two tokens', (key: string) => `Bearer ${key} ${key}`],
    ])('answers 401 for %s', async (_name, header) => {
      const response = await app.request('GET', '/v1/accounts', { key: null, headers: { authorization: header(app.apiKey) } });
      expect(response.status).toBe(401);
      expectErrorShape(response, 'unauthorized');
    });

    it('accepts the bootstrap key, whatever the case of the scheme', async () => {
      const response = await app.request('GET', '/v1/accounts', { key: null, headers: { authorization: `bearer ${app.apiKey}` } });
      expect(response.status).toBe(200);
    });

    it('keeps /health and /docs public', async () => {
      expect((await app.request('GET', '/health', { key: null })).status).toBe(200);
      expect((await app.request('GET', '/docs/openapi.json', { key: null })).status).toBe(200);
    });
  });

  describe('X-Request-Id', () => {
    it('is on every response, errors and 401s included, and differs per request', async () => {
      const responses = await Promise.all([
        app.request('GET', '/v1/accounts'),
        app.request('GET', '/v1/accounts', { key: null }),
        app.request('GET', '/v1/accounts/acc_missing'),
        app.request('GET', '/no/such/route'),
        app.request('POST', '/v1/accounts', { body: {} }),
        app.request('POST', '/v1/accounts', { body: '{"platform":' }),
        app.request('GET', '/health', { key: null }),
      ]);
      expect(responses.map((r) => r.status)).toEqual([200, 401, 404, 404, 422, 400, 200]);
      const ids = responses.map((r) => r.headers['x-request-id']);
      for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{32}$/);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('echoes the id a client sends', async () => {
      const ok = await app.request('GET', '/v1/accounts', { headers: { 'x-request-id': 'client-abc.123' } });
      expect(ok.headers['x-request-id']).toBe('client-abc.123');
      const unauthorized = await app.request('GET', '/v1/accounts', { key: null, headers: { 'x-request-id': 'client-401' } });
      expect(unauthorized.headers['x-request-id']).toBe('client-401');
      expect(unauthorized.body.request_id).toBe('client-401');
    });

    it('replaces an id that is not fit for logs', async () => {
      const response = await app.request('GET', '/v1/accounts', { headers: { 'x-request-id': `bad id ${'x'.repeat(200)}` } });
      expect(response.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
    });
  });

  describe('rate limits', () => {
    it('puts X-RateLimit-* on every response, counting down per key', async () => {
      const first = await app.request('GET', '/v1/accounts');
      const second = await app.request('GET', '/v1/accounts');
      expectRateLimitHeaders(first);
      expectRateLimitHeaders(second);
      expect(first.headers['x-ratelimit-limit']).toBe('1000');
      expect(Number(second.headers['x-ratelimit-remaining'])).toBe(Number(first.headers['x-ratelimit-remaining']) - 1);
      for (const response of [
        await app.request('GET', '/v1/accounts', { key: null }),
        await app.request('GET', '/nowhere'),
        await app.request('POST', '/v1/webhooks', { body: { url: 42 } }),
        await app.request('GET', '/health', { key: null }),
      ]) {
        expectRateLimitHeaders(response);
      }
    });

    it('answers 429 rate_limited with Retry-After once a key is over its limit, and other keys are unaffected', async () => {
      const key = await app.createKey('small limit', { rate_limit_per_minute: 3 });
      // Requests until the first 429: a one-minute window boundary may reset the count once.
      let limited: TestResponse | null = null;
      let allowed = 0;
      for (let i = 0; i < 8 && !limited; i++) {
        const response = await app.request('GET', '/v1/accounts', { key });
        if (response.status === 429) limited = response;
        else allowed += 1;
      }
      expect(allowed).toBeGreaterThanOrEqual(3);
      if (!limited) throw new Error('no 429 after 8 requests with a limit of 3 per minute');
      expect(limited.status).toBe(429);
      expectErrorShape(limited, 'rate_limited');
      expect(limited.headers['x-ratelimit-limit']).toBe('3');
      expect(limited.headers['x-ratelimit-remaining']).toBe('0');
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await app.request('GET', '/v1/accounts')).status).toBe(200);
    });
  });

  describe('bodies', () => {
    it('answers 413 payload_too_large for a body over 1 MiB', async () => {
      const body = JSON.stringify({ platform: 'bluesky', name: 'x'.repeat(Math.ceil(1.1 * 1024 * 1024)), credentials: {} });
      const response = await app.request('POST', '/v1/accounts', { body });
      expect(response.status).toBe(413);
      expectErrorShape(response, 'payload_too_large');
      expectRateLimitHeaders(response);
    });

    it('answers 400 validation_error naming body for malformed JSON', async () => {
      const response = await app.request('POST', '/v1/webhooks', { body: '{"url": "http://x", events: [' });
      expect(response.status).toBe(400);
      expectErrorShape(response, 'validation_error');
      expect(response.body.error.details).toEqual([{ field: 'body', message: expect.stringContaining('malformed JSON') }]);
    });

    it('answers 422 for a JSON array where an object goes', async () => {
      const response = await app.request('POST', '/v1/webhooks', { body: [{ url: 'http://example.com', events: ['post.published'] }] });
      expect(response.status).toBe(422);
      expectErrorShape(response, 'validation_error');
      expect(response.body.error.details[0].field).toBe('body');
    });

    it('answers 422 for absurdly deep nesting instead of recursing into it', async () => {
      const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
      const response = await app.request('POST', '/v1/accounts', { body: deep });
      expect(response.status).toBe(422);
      expectErrorShape(response, 'validation_error');
    });

    it('answers 415 for a charset it cannot read', async () => {
      const response = await app.request('POST', '/v1/accounts', { body: '{}', headers: { 'content-type': 'application/json; charset=klingon' } });
      expect(response.status).toBe(415);
      expectErrorShape(response, 'unsupported_media_type');
    });

    it('ignores unknown fields instead of refusing them', async () => {
      const response = await app.request('POST', '/v1/webhooks', {
        body: { url: 'https://example.com/hook', events: ['post.published'], surprise: { nested: true } },
      });
      expect(response.status).toBe(201);
      expect(response.body).not.toHaveProperty('surprise');
    });
  });
});

describe('anonymous rate limit', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ env: { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '4' } });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('limits requests without a valid key per client address, and not the keyed ones', async () => {
    const responses: TestResponse[] = [];
    for (let i = 0; i < 6; i++) responses.push(await app.request('GET', '/v1/posts', { key: 'pl_live_wrong_key_guessing' }));
    for (const response of responses) {
      expect(response.headers['x-ratelimit-limit']).toBe('4');
      expect(response.headers['x-request-id']).toBeDefined();
    }
    expect(responses.map((r) => r.status)).toContain(429);
    const limited = responses[responses.length - 1];
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.body.error.code).toBe('rate_limited');
    expect((await app.request('GET', '/v1/accounts')).status).toBe(200);
  });
});
