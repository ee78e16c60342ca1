import { connect, type Socket } from 'node:net';
import { startTestApp, type TestApp } from '../../support/app';

/**
 * What one workspace's key can try against the server itself: accounts pointing at the
 * operator's network, array bombs on every endpoint that takes an array, query
 * parameters in forms the API does not read, and clients that never finish a request.
 */
describe('tenant safety', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      env: { PLATFORM_ALLOW_PRIVATE_NETWORKS: 'false', RATE_LIMIT_PER_MINUTE: '100000', HTTP_HEADERS_TIMEOUT_MS: '400', HTTP_REQUEST_TIMEOUT_MS: '600', HTTP_KEEP_ALIVE_TIMEOUT_MS: '500' },
    });
  });
  afterAll(() => app.stop());

  describe('an account base_url on the operator network', () => {
    it.each([
      'http://169.254.169.254',
      'http://10.0.0.1',
      'http://100.64.0.1',
      'http://127.0.0.1:8080',
      'http://2130706433',
      'http://0x7f.1',
      'http://[::ffff:127.0.0.1]',
      'http://localhost.',
      'http://metadata.localhost',
    ])('refuses %s with a 422 naming base_url, and stores nothing', async (baseUrl) => {
      const res = await app.request('POST', '/v1/accounts', { body: { platform: 'mastodon', name: 'inside', credentials: { access_token: 'secret-token-1' }, base_url: baseUrl } });
      expect(res.status).toBe(422);
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'base_url', message: expect.stringMatching(/PLATFORM_ALLOW_PRIVATE_NETWORKS/) })]);
      const list = await app.request('GET', '/v1/accounts');
      expect(list.body.accounts).toEqual([]);
    });
  });

  describe('array bombs', () => {
    const many = (n: number, item: unknown = {}) => new Array(n).fill(item);
    const post = { content: 'hello', platforms: ['mastodon'] };
    let postId: string;

    beforeAll(async () => {
      const created = await app.request('POST', '/v1/posts', { body: post });
      expect(created.status).toBe(201);
      postId = created.body.id;
    });

    it.each<[string, string, () => unknown, string]>([
      ['POST', '/v1/posts', () => ({ ...post, segments: many(150_000) }), 'segments'],
      ['POST', '/v1/posts', () => ({ ...post, media: { images: many(150_000) } }), 'media.images'],
      ['POST', '/v1/posts', () => ({ ...post, platforms: many(50_000, 'mastodon') }), 'platforms'],
      ['POST', '/v1/posts', () => ({ ...post, tags: many(100_000, 'x') }), 'tags'],
      ['POST', '/v1/posts', () => ({ ...post, accounts: many(100_000, 'acc_x') }), 'accounts'],
      ['POST', '/v1/posts', () => ({ ...post, segments: [{ content: 'a', media_urls: many(30_000, 'https://x.example/a.png') }] }), 'segments[0].media_urls'],
      ['POST', '/v1/posts', () => ({ ...post, platform_settings: { mastodon: { anything: many(200_000, 1) } } }), 'platform_settings.mastodon.anything'],
      ['POST', '/v1/posts/validate', () => ({ ...post, segments: many(150_000) }), 'segments'],
      ['PUT', '/v1/posts/:id', () => ({ segments: many(150_000) }), 'segments'],
      ['POST', '/v1/webhooks', () => ({ url: 'https://hooks.example.com/x', events: many(40_000, 'post.published') }), 'events'],
    ])('%s %s with an oversized array answers 422 naming %p, with bounded details', async (method, path, body, field) => {
      const target = path.replace(':id', postId);
      const [res, health] = await Promise.all([app.request(method, target, { body: body() }), app.request('GET', '/health', { key: null })]);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('validation_error');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field })]);
      expect(res.text.length).toBeLessThan(2_000);
      expect(health.status).toBe(200);
    });

    it('answers a body of 50,000 values under 1 MiB with a 422, not a 5xx', async () => {
      const flat: Record<string, number> = {};
      for (let i = 0; i < 50_000; i++) flat[`k${i}`] = i;
      const res = await app.request('POST', '/v1/posts', { body: { ...post, platform_settings: { mastodon: flat } } });
      expect(res.status).toBe(422);
      expect(res.body.error.details[0]).toMatchObject({ field: 'body' });
    });

    it('lists at most 20 problems and counts the rest', async () => {
      const segments = many(24, { content: 42, media_urls: [1, 2, 3] });
      const res = await app.request('POST', '/v1/posts', { body: { ...post, segments } });
      expect(res.status).toBe(422);
      const details = res.body.error.details as { field: string; message: string }[];
      expect(details).toHaveLength(21);
      expect(details[20]).toEqual({ field: 'body', message: expect.stringMatching(/^\d+ more problems not listed$/) });
    });
  });

  describe('query parameters', () => {
    it.each([
      ['/v1/posts?limit[]=1', 'limit[]'],
      ['/v1/posts?status=draft&status=failed', 'status'],
      ['/v1/posts?status[$ne]=draft', 'status[$ne]'],
      ['/v1/posts?offset=1&offset=2', 'offset'],
    ])('%s answers 422 naming the parameter', async (path, field) => {
      const res = await app.request('GET', path);
      expect(res.status).toBe(422);
      expect(res.body.error.details).toEqual([expect.objectContaining({ field })]);
    });
  });

  describe('slow clients', () => {
    const closedWithin = (socket: Socket, ms: number) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });

    const open = async (): Promise<Socket> => {
      const { hostname, port } = new URL(app.url);
      const socket = connect(Number(port), hostname);
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      return socket;
    };

    it('closes a connection whose body never finishes', async () => {
      const socket = await open();
      socket.write(`POST /v1/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${app.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"content":`);
      expect(await closedWithin(socket, 10_000)).toBe(true);
    });

    it('closes a connection whose headers never finish', async () => {
      const socket = await open();
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      expect(await closedWithin(socket, 10_000)).toBe(true);
    });

    it('closes an idle keep-alive connection', async () => {
      const socket = await open();
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(await closedWithin(socket, 10_000)).toBe(true);
    });
  });
});
