import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { IdempotencyKeys, openSqliteRegistry, type RegistryStorage } from '../../registry';
import { createLogger } from '../../runtime';
import { idempotency, jsonBody, requestFingerprint, requestId, sanitizeBody, scanJsonShape } from './pipeline';
import type { PlatformRequest } from './request-state';

describe('idempotency middleware', () => {
  let dir: string;
  let storage: RegistryStorage;
  let server: Server;
  let url: string;
  let runs = 0;
  /** Status the handler answers on each run, in order. */
  let outcomes: number[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'postloom-idempotency-'));
    storage = openSqliteRegistry(join(dir, 'registry.sqlite'));
    const app = express();
    app.use(requestId());
    app.use((req, _res, next) => {
      (req as PlatformRequest).context = { request_id: 'r', key_id: 'key_1', workspace_id: 'ws_1' };
      next();
    });
    app.use(jsonBody());
    app.use(idempotency({ idempotencyKeys: new IdempotencyKeys(storage), logger: createLogger('silent'), clock: () => new Date() }));
    app.post('/things', (_req, res) => {
      runs += 1;
      const status = outcomes.shift() ?? 201;
      res.status(status).json({ run: runs });
    });
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (key: string, body: unknown) =>
    fetch(`${url}/things`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) });

  it('gives the key up after a 5xx, so a retry runs again', async () => {
    runs = 0;
    outcomes = [503, 201];
    const failed = await post('five-hundred', { a: 1 });
    expect(failed.status).toBe(503);
    const retried = await post('five-hundred', { a: 1 });
    expect(retried.status).toBe(201);
    expect(await retried.json()).toEqual({ run: 2 });
    const replayed = await post('five-hundred', { a: 1 });
    expect(await replayed.json()).toEqual({ run: 2 });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toBe(2);
  });
});

describe('request fingerprint', () => {
  it('ignores key order but not values, paths or methods', () => {
    const base = requestFingerprint('POST', '/v1/posts', { a: 1, b: [1, { c: 2, d: 3 }] });
    expect(requestFingerprint('POST', '/v1/posts', { b: [1, { d: 3, c: 2 }], a: 1 })).toBe(base);
    expect(requestFingerprint('POST', '/v1/posts', { a: 2, b: [1, { c: 2, d: 3 }] })).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/posts', { a: 1, b: [{ c: 2, d: 3 }, 1] })).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/accounts', { a: 1, b: [1, { c: 2, d: 3 }] })).not.toBe(base);
    expect(requestFingerprint('PUT', '/v1/posts', { a: 1, b: [1, { c: 2, d: 3 }] })).not.toBe(base);
  });
});

describe('sanitizeBody', () => {
  it('accepts bodies up to the depth and names the field nested too deep, without recursing', () => {
    const nest = (depth: number): unknown => (depth === 1 ? { leaf: true } : { child: nest(depth - 1) });
    expect(sanitizeBody(nest(32), 32)).toBeNull();
    expect(sanitizeBody(nest(33), 32)).toEqual({ field: `child${'.child'.repeat(31)}`, message: expect.stringMatching(/nested deeper than 32/) });
    const deep = JSON.parse(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(sanitizeBody(deep, 32)?.field).toMatch(/^a\[0\]\[0\]/);
  });

  it('drops reserved keys at the top level and refuses them below it', () => {
    const top = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "content": "x"}');
    expect(sanitizeBody(top, 32)).toBeNull();
    expect(Object.keys(top)).toEqual(['content']);
    const nested = JSON.parse('{"media": {"images": [{"__proto__": {"x": 1}, "url": "u"}]}}');
    expect(sanitizeBody(nested, 32)).toEqual({ field: 'media.images[0].__proto__', message: expect.any(String) });
    expect(sanitizeBody({ credentials: { constructor: 'x' } }, 32)).toEqual({ field: 'credentials.constructor', message: expect.any(String) });
  });
});

describe('scanJsonShape (raw bytes, before JSON.parse)', () => {
  const scan = (value: unknown) => scanJsonShape(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), 32);

  it('names the bounded array and the path, before anything is parsed', () => {
    expect(scan({ content: 'x', segments: new Array(25).fill({}) })).toEqual({ field: 'segments', message: 'must have at most 24 items' });
    expect(scan({ segments: [{ content: 'a', media_urls: ['1', '2', '3', '4', '5'] }] })).toEqual({ field: 'segments[0].media_urls', message: 'must have at most 4 items' });
    expect(scan({ platform_settings: { mastodon: { list: new Array(101).fill(1) } } })?.field).toBe('platform_settings.mastodon.list');
  });

  it('refuses deep nesting and too many values, and lets ordinary bodies through', () => {
    expect(scan(`{"a":${'['.repeat(40)}${']'.repeat(40)}}`)?.message).toMatch(/nested deeper than 32/);
    expect(scan({ settings: Object.fromEntries(Array.from({ length: 20_001 }, (_, i) => [`k${i}`, i])) })).toEqual({ field: 'body', message: 'must hold at most 20000 values' });
    expect(scan({ content: 'brackets in text: [[[{{{ "quoted \\" [ ] , , ,', platforms: ['x', 'bluesky'], segments: new Array(24).fill({ content: 'a,b,c' }) })).toBeNull();
    expect(scan('{"unterminated": [1, 2')).toBeNull(); // malformed JSON is JSON.parse's to report
  });
});
