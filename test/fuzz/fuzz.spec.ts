import { startTestApp, type TestApp } from '../support/app';

/**
 * Random malformed requests against every endpoint. A 5xx is a bug, never an answer to
 * bad input; every 4xx has the error shape; every 422 names at least one field. The
 * generator is seeded (FUZZ_SEED to reproduce a run) so a failure can be replayed.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_123);
const CASES = Number(process.env.FUZZ_CASES ?? 2400);
const CONCURRENCY = 16;

/** mulberry32: small, fast, good enough to spread inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const int = (max: number): number => Math.floor(random() * max);
const chance = (p: number): boolean => random() < p;
const pick = <T>(items: readonly T[]): T => items[int(items.length)];

const UNICODE = ['é', 'ß', '漢字', '🙂', '👩‍👩‍👧‍👦', '\u200b', '\u202e', '\ufeff', '\u0000', '\ud800', '\udfff', 'ﷺ', '𝕏', '\n', '\t', '"', '\\', '<script>', '%00', "' OR 1=1 --"];
const KEYS = ['content', 'platforms', 'media', 'images', 'video', 'url', 'segments', 'scheduled_for', 'timezone', 'tags', 'platform_overrides', 'platform_settings', 'accounts', 'platform', 'name', 'credentials', 'base_url', 'events', 'description', '__proto__', 'constructor', 'prototype', '$where', 'a.b', '', 'toString', 'hasOwnProperty'];
const PLATFORM_NAMES = ['twitter', 'bluesky', 'mastodon', 'linkedin', 'threads', 'instagram', 'facebook', 'tiktok', 'youtube', 'discord', 'slack', 'telegram', 'myspace', 'TWITTER', ''];

function randomString(): string {
  switch (int(7)) {
    case 0:
      return '';
    case 1:
      return 'x'.repeat(int(20_000));
    case 2:
      return Array.from({ length: 1 + int(30) }, () => pick(UNICODE)).join('');
    case 3:
      return pick(PLATFORM_NAMES);
    case 4:
      return pick(['2030-01-01T00:00:00Z', '1999-12-31', 'not a date', '2026-13-45T99:99:99', '+275760-09-13T00:00:00.000Z', 'http://127.0.0.1/a.png', 'ftp://x', 'javascript:alert(1)', 'Europe/Paris', 'Mars/Olympus']);
    case 5:
      return String(random() * 1e6);
    default:
      return random().toString(36).slice(2, 2 + int(40));
  }
}

function randomValue(depth = 0): unknown {
  const kind = depth > 4 ? int(5) : int(8);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return chance(0.5);
    case 2:
      return pick([0, -1, 1, 1.5, -0, 2 ** 53 + 1, 1e308, -1e308, 4.9e-324, int(1000)]);
    case 3:
    case 4:
      return randomString();
    case 5:
      return Array.from({ length: int(6) }, () => randomValue(depth + 1));
    case 6:
      return chance(0.1) ? Array.from({ length: 1000 + int(3000) }, () => int(10)) : [];
    default:
      return Object.fromEntries(Array.from({ length: int(6) }, () => [pick(KEYS), randomValue(depth + 1)]));
  }
}

function nested(depth: number): unknown {
  let value: unknown = randomValue(5);
  for (let i = 0; i < depth; i++) value = chance(0.5) ? [value] : { [pick(KEYS)]: value };
  return value;
}

const VALID_BODIES: Record<string, () => Record<string, unknown>> = {
  post: () => ({
    content: 'Hello fuzz',
    platforms: ['bluesky', 'mastodon'],
    media: { images: [{ url: 'https://example.com/a.png', alt_text: 'a' }] },
    segments: [{ content: 'reply' }],
    tags: ['t'],
    platform_overrides: { bluesky: 'hi' },
    platform_settings: { mastodon: { visibility: 'unlisted' } },
    timezone: 'UTC',
  }),
  account: () => ({ platform: 'bluesky', name: 'fuzz', credentials: { identifier: 'a', app_password: 'b' } }),
  webhook: () => ({ url: 'https://example.com/hook', events: ['post.published'], description: 'fuzz' }),
};

/** A valid body with one or more fields broken. */
function mutate(base: Record<string, unknown>): unknown {
  const body: Record<string, unknown> = { ...base };
  const mutations = 1 + int(3);
  for (let i = 0; i < mutations; i++) {
    const keys = Object.keys(body);
    const key = keys.length > 0 && chance(0.8) ? pick(keys) : pick(KEYS);
    switch (int(9)) {
      case 0:
        delete body[key];
        break;
      case 1:
        body[key] = null;
        break;
      case 2:
        body[key] = [body[key]];
        break;
      case 3:
        body[key] = nested(5 + int(40));
        break;
      case 4:
        body.media = pick([[], 'x', { images: 'x' }, { images: [null] }, { images: [{}] }, { images: Array(9).fill({ url: 'https://e.com/x.png' }) }, { video: [] }, { images: [{ url: 'https://e.com/a.png' }], video: { url: 'https://e.com/v.mp4' } }]);
        break;
      case 5:
        body.segments = pick([{}, 'x', [null], [{}], [{ content: 5 }], Array(30).fill({ content: 'x' }), [{ content: 'y'.repeat(6000) }], [{ content: 'ok', media_urls: 'x' }]]);
        break;
      case 6:
        body[key] = randomValue();
        break;
      case 7:
        body.platforms = pick([[], 'twitter', ['twitter', 'twitter'], [null], [1], Array(50).fill('bluesky'), ['TWITTER'], { twitter: true }]);
        break;
      default:
        for (let j = 0; j < int(200); j++) body[`extra_${j}`] = randomValue(3);
    }
  }
  return body;
}

function rawBody(): string {
  return pick([
    '',
    '{',
    '{"content": "x",}',
    "{'content': 'x'}",
    '{"content": NaN}',
    'undefined',
    'null',
    '"just a string"',
    '12',
    'true',
    '\ufeff{"content":"bom"}',
    '{"a":1}{"b":2}',
    '{"content": "\\uZZZZ"}',
    '[' + '1,'.repeat(1000) + '1]',
    '\u0000\u0001\u0002',
    '{"content": "' + 'x'.repeat(100) + '"',
    '{"a":' + '['.repeat(2000) + ']'.repeat(2000) + '}',
  ]);
}

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=nonsense',
  'application/vnd.api+json',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  '*/*',
  'application/json;;;',
  'garbage',
];

interface Endpoint {
  method: string;
  path: (id: string) => string;
  body?: keyof typeof VALID_BODIES | 'any';
}

const ENDPOINTS: Endpoint[] = [
  { method: 'POST', path: () => '/v1/posts', body: 'post' },
  { method: 'GET', path: () => '/v1/posts' },
  { method: 'GET', path: (id) => `/v1/posts/${id}` },
  { method: 'PUT', path: (id) => `/v1/posts/${id}`, body: 'post' },
  { method: 'DELETE', path: (id) => `/v1/posts/${id}` },
  { method: 'POST', path: (id) => `/v1/posts/${id}/publish`, body: 'any' },
  { method: 'POST', path: (id) => `/v1/posts/${id}/retry`, body: 'any' },
  { method: 'POST', path: (id) => `/v1/posts/${id}/duplicate`, body: 'any' },
  { method: 'GET', path: (id) => `/v1/posts/${id}/history` },
  { method: 'POST', path: () => '/v1/posts/validate', body: 'post' },
  { method: 'GET', path: () => '/v1/accounts' },
  { method: 'POST', path: () => '/v1/accounts', body: 'account' },
  { method: 'GET', path: (id) => `/v1/accounts/${id}` },
  { method: 'DELETE', path: (id) => `/v1/accounts/${id}` },
  { method: 'GET', path: () => '/v1/webhooks' },
  { method: 'POST', path: () => '/v1/webhooks', body: 'webhook' },
  { method: 'GET', path: (id) => `/v1/webhooks/${id}` },
  { method: 'DELETE', path: (id) => `/v1/webhooks/${id}` },
  { method: 'GET', path: (id) => `/v1/webhooks/${id}/deliveries` },
  { method: 'GET', path: () => '/health' },
  { method: 'GET', path: () => '/metrics' },
  { method: 'GET', path: () => '/docs' },
  { method: 'GET', path: () => '/docs/openapi.json' },
];

function randomQuery(): string {
  if (chance(0.5)) return '';
  const pairs = Array.from({ length: 1 + int(4) }, () => {
    const key = pick(['status', 'limit', 'offset', 'tag', 'as_of', 'limit', 'x', 'a[b]', '__proto__', '%zz', '']);
    const value = pick(['-1', '0', '1', '100', '101', '1e9', 'abc', '', 'published', 'PUBLISHED', 'draft', '2020-01-01T00:00:00Z', 'not-a-date', '%E0%A4%A', '%00', '9'.repeat(400), encode(pick(UNICODE))]);
    return `${key}=${value}`;
  });
  return `?${pairs.join('&')}`;
}

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  description: string;
}

/** Percent-encodes, lone surrogates included (as the invalid UTF-8 a hostile client would send). */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}

function printable(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?');
}

function makeCase(app: TestApp, ids: string[]): Case {
  const endpoint = pick(ENDPOINTS);
  // Deleting the real resources early would leave every later request a plain 404.
  const id = chance(endpoint.method === 'DELETE' ? 0.01 : 0.6)
    ? pick(ids)
    : pick([
        'post_doesnotexist000',
        'x',
        '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
        encode(pick(UNICODE)),
        'a'.repeat(int(5000)),
        '%00',
        '%',
        'null',
        '-1',
        encode('<>"\'`'),
      ]);
  const headers: Record<string, string> = {};
  // Authorization: mostly valid, so requests get past the door and reach validation.
  const auth = int(10);
  if (auth < 8) headers.authorization = `Bearer ${app.apiKey}`;
  else if (auth === 8) headers.authorization = pick(['Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', `bearer  ${app.apiKey}x`, `Token ${app.apiKey}`, `Bearer ${'k'.repeat(int(9000))}`, `Bearer ${printable(randomString()).slice(0, 200)}`, 'Bearer a b c']);
  else if (chance(0.5)) headers.authorization = `Bearer ${app.apiKey.slice(0, -1)}`;
  const contentType = pick(CONTENT_TYPES);
  if (contentType !== undefined) headers['content-type'] = contentType;
  if (chance(0.2)) headers['idempotency-key'] = pick(['k', 'same-key', '', ' ', 'x'.repeat(300), printable(randomString()).slice(0, 300) || 'z']);
  if (chance(0.1)) headers['x-request-id'] = pick(['', 'ok-id', 'bad id with spaces', 'x'.repeat(500), '../../etc']);
  if (chance(0.05)) headers['content-encoding'] = pick(['gzip', 'deflate', 'br', 'identity', 'x-unknown']);
  if (chance(0.05)) headers.accept = pick(['text/html', 'application/xml', '*/*', 'nonsense']);

  let body: string | undefined;
  let description = '';
  if (endpoint.body || chance(0.15)) {
    const shape = int(10);
    if (shape < 5 && endpoint.body && endpoint.body !== 'any') {
      body = JSON.stringify(mutate(VALID_BODIES[endpoint.body]()));
      description = 'mutated';
    } else if (shape < 7) {
      body = JSON.stringify(randomValue()) ?? 'null';
      description = 'random value';
    } else if (shape < 9) {
      body = rawBody();
      description = 'raw';
    } else {
      body = JSON.stringify(nested(20 + int(200)));
      description = 'deep';
    }
    if (endpoint.method === 'GET') body = undefined;
  }
  const path = endpoint.path(id) + (endpoint.method === 'GET' || chance(0.2) ? randomQuery() : '');
  return { method: endpoint.method, path, headers, body, description: `${description} body` };
}

interface Finding {
  request: string;
  status: number;
  problem: string;
  response: string;
}

describe('fuzz: malformed requests to every endpoint', () => {
  let app: TestApp;
  const ids: string[] = [];

  beforeAll(async () => {
    app = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000' } });
    // Real ids, so id endpoints get past "not found" too.
    for (let i = 0; i < 4; i++) {
      const post = await app.request('POST', '/v1/posts', { body: { content: `seed ${i}`, platforms: ['bluesky', 'mastodon'], segments: i % 2 ? [{ content: 'r' }] : undefined } });
      expect(post.status).toBe(201);
      ids.push(post.body.id);
    }
    const account = await app.request('POST', '/v1/accounts', { body: VALID_BODIES.account() });
    const webhook = await app.request('POST', '/v1/webhooks', { body: VALID_BODIES.webhook() });
    expect(account.status).toBe(201);
    expect(webhook.status).toBe(201);
    ids.push(account.body.id, webhook.body.id);
  });

  afterAll(async () => {
    await app?.stop();
  });

  it(`answers ${CASES} random malformed requests without a 5xx, always with the error shape (seed ${SEED})`, async () => {
    const cases = Array.from({ length: CASES }, () => makeCase(app, ids));
    const findings: Finding[] = [];
    const statuses = new Map<number, number>();
    let next = 0;

    const run = async (c: Case): Promise<void> => {
      const response = await fetch(`${app.url}${c.path}`, { method: c.method, headers: c.headers, body: c.body });
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const request = `${c.method} ${c.path.slice(0, 120)} [${c.description}; ${JSON.stringify(c.headers).slice(0, 200)}] ${String(c.body).slice(0, 200)}`;
      const report = (problem: string) => findings.push({ request, status: response.status, problem, response: text.slice(0, 300) });
      if (!response.headers.get('x-request-id')) report('no X-Request-Id');
      if (!response.headers.get('x-ratelimit-limit') || !response.headers.get('x-ratelimit-remaining') || !response.headers.get('x-ratelimit-reset')) report('no X-RateLimit-* headers');
      if (response.status >= 500) {
        report('5xx');
        return;
      }
      if (response.status < 400) return;
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        report('4xx body is not JSON');
        return;
      }
      const error = body?.error;
      if (typeof error?.code !== 'string' || typeof error?.message !== 'string' || !Array.isArray(error?.details) || typeof body.request_id !== 'string') {
        report('4xx without the error shape');
        return;
      }
      // A replayed Idempotency-Key answer is the first response, request id included.
      if (body.request_id !== response.headers.get('x-request-id') && response.headers.get('idempotent-replayed') !== 'true') {
        report('request_id differs from X-Request-Id');
      }
      if (response.status === 422) {
        const named = error.details.filter((d: any) => typeof d?.field === 'string' && d.field.length > 0 && typeof d?.message === 'string');
        if (named.length === 0) report('422 without details naming a field');
        if (error.code !== 'validation_error') report('422 with another code than validation_error');
      }
    };

    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const c = cases[next++];
        await run(c);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify(Object.fromEntries(statuses)));
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(CASES);
    // The requests must reach past authentication and parsing, or the fuzz proves little.
    expect((statuses.get(422) ?? 0) + (statuses.get(404) ?? 0) + (statuses.get(409) ?? 0)).toBeGreaterThan(CASES / 4);
    if (findings.length > 0) {
      const summary = findings.slice(0, 15).map((f) => `${f.status} ${f.problem}\n    ${f.request}\n    -> ${f.response}`).join('\n');
      throw new Error(`${findings.length} findings (seed ${SEED}); first ones:\n${summary}\nstatuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    }
  }, 90_000);
});
