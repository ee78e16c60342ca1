import { startTestApp, type TestApp } from '../../support/app';

/** Every endpoint of CONTRACT.md, as OpenAPI paths. */
const CONTRACT: [string, string][] = [
  ['/v1/posts', 'post'],
  ['/v1/posts', 'get'],
  ['/v1/posts/{id}', 'get'],
  ['/v1/posts/{id}', 'put'],
  ['/v1/posts/{id}', 'delete'],
  ['/v1/posts/{id}/publish', 'post'],
  ['/v1/posts/{id}/retry', 'post'],
  ['/v1/posts/{id}/duplicate', 'post'],
  ['/v1/posts/{id}/history', 'get'],
  ['/v1/posts/validate', 'post'],
  ['/v1/accounts', 'get'],
  ['/v1/accounts', 'post'],
  ['/v1/accounts/{id}', 'get'],
  ['/v1/accounts/{id}', 'delete'],
  ['/v1/webhooks', 'get'],
  ['/v1/webhooks', 'post'],
  ['/v1/webhooks/{id}', 'get'],
  ['/v1/webhooks/{id}', 'delete'],
  ['/v1/webhooks/{id}/deliveries', 'get'],
  ['/health', 'get'],
];

describe('operations endpoints', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('GET /health reports liveness, readiness per dependency and projection lag, without a key', async () => {
    const response = await app.request('GET', '/health', { key: null });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      live: true,
      ready: true,
      mode: 'embedded',
      checks: {
        event_store: { status: 'up', adapter: 'sqlite' },
        read_model: { status: 'up', adapter: 'sqlite', projection: { running_here: true, lag: expect.any(Number) } },
        registry: { status: 'up', adapter: 'sqlite' },
      },
    });
    expect((await app.request('GET', '/health/live', { key: null })).body).toEqual({ status: 'ok' });
    expect((await app.request('GET', '/health/ready', { key: null })).status).toBe(200);
  });

  it('projection lag comes back to 0 after a write', async () => {
    const created = await app.request('POST', '/v1/posts', { body: { content: 'lag check', platforms: ['mastodon'] } });
    expect(created.status).toBe(201);
    const deadline = Date.now() + 5000;
    let lag = -1;
    while (Date.now() < deadline) {
      lag = (await app.request('GET', '/health', { key: null })).body.checks.read_model.projection.lag;
      if (lag === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(lag).toBe(0);
    const health = (await app.request('GET', '/health', { key: null })).body;
    expect(BigInt(health.checks.read_model.projection.head)).toBeGreaterThan(0n);
  });

  it('GET /metrics exposes request durations by route, appended events and projection lag', async () => {
    await app.request('GET', '/v1/accounts/acc_nope');
    await app.request('POST', '/v1/posts', { body: { content: 'metrics', platforms: ['bluesky'] } });
    const response = await app.request('GET', '/metrics', { key: null });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toMatch(/postloom_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/accounts\/:id"[^}]*status="404"/);
    expect(response.text).toMatch(/postloom_http_request_duration_seconds_count\{method="POST",route="\/v1\/posts",status="201"\} \d+/);
    expect(response.text).toMatch(/postloom_events_appended_total\{stream_category="post"\} [1-9]\d*/);
    expect(response.text).toMatch(/^postloom_projection_lag \d+$/m);
    // Raw ids never become label values.
    expect(response.text).not.toContain('acc_nope');
  });

  it('GET /docs serves the viewer with assets from this server, no CDN', async () => {
    const page = await app.request('GET', '/docs', { key: null });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThanOrEqual(3);
    for (const source of sources) {
      expect(source.startsWith('/')).toBe(true);
      const asset = await app.request('GET', source, { key: null });
      expect(asset.status).toBe(200);
      expect(asset.text.length).toBeGreaterThan(0);
    }
    const bundle = await app.request('GET', '/docs/assets/swagger-ui-bundle.js', { key: null });
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    expect(bundle.text).toContain('SwaggerUIBundle');
  });

  it('GET /docs/openapi.json describes every endpoint of the contract, the Post object, errors and auth', async () => {
    const response = await app.request('GET', '/docs/openapi.json', { key: null });
    expect(response.status).toBe(200);
    const doc = response.body;
    expect(doc.openapi).toBe('3.1.0');
    for (const [path, method] of CONTRACT) {
      expect({ path, method, operation: doc.paths[path]?.[method] !== undefined }).toEqual({ path, method, operation: true });
    }
    const post = doc.components.schemas.Post;
    for (const field of ['id', 'content', 'platforms', 'status', 'scheduled_for', 'media', 'segments', 'platform_results', 'created_at', 'updated_at', 'published_at', 'tags', 'platform_overrides', 'platform_settings', 'timezone']) {
      expect(post.properties).toHaveProperty(field);
    }
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message', 'details']);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/health'].get.security).toEqual([]);
    // Every $ref points at something defined.
    const refs = [...response.text.matchAll(/"\$ref":"#\/components\/([^/]+)\/([^"]+)"/g)];
    for (const [, kind, name] of refs) expect({ kind, name, defined: doc.components[kind]?.[name] !== undefined }).toEqual({ kind, name, defined: true });
  });
});
