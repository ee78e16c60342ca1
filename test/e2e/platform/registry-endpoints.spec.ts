import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../../support/app';

/** Every file SQLite may hold registry data in (the WAL included), as one text. */
function registryBytes(dataDir: string): string {
  return ['registry.sqlite', 'registry.sqlite-wal']
    .map((name) => join(dataDir, name))
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path).toString('latin1'))
    .join('\n');
}

describe('accounts and webhooks', () => {
  let app: TestApp;
  let otherKey: string;

  beforeAll(async () => {
    app = await startTestApp();
    otherKey = await app.createKey('another workspace');
  });

  afterAll(async () => {
    await app?.stop();
  });

  describe('accounts', () => {
    const appPassword = 'app-pass-7f3a9c2e-very-secret';

    it('connects an account, answering 201 without credentials, and never shows them again', async () => {
      const created = await app.request('POST', '/v1/accounts', {
        body: { platform: 'bluesky', name: 'main', credentials: { identifier: 'me.example.com', app_password: appPassword } },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.stringMatching(/^acc_[A-Za-z0-9]{16,}$/),
        platform: 'bluesky',
        name: 'main',
        base_url: null,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
        status: 'active',
        status_reason: null,
        expires_at: null,
        platform_user: null,
        connected_via: 'credentials',
      });
      expect(created.text).not.toContain(appPassword);

      const listed = await app.request('GET', '/v1/accounts');
      expect(listed.status).toBe(200);
      expect(listed.body.accounts).toContainEqual(created.body);
      expect(listed.text).not.toContain(appPassword);
      expect(listed.text).not.toContain('"credentials":');

      const fetched = await app.request('GET', `/v1/accounts/${created.body.id}`);
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(created.body);
      expect(fetched.text).not.toContain(appPassword);
    });

    it('stores credentials encrypted: not in clear in registry.sqlite', async () => {
      const marker = 'clear-text-canary-0d9f8e7a';
      const created = await app.request('POST', '/v1/accounts', {
        body: { platform: 'telegram', name: 'canary', credentials: { bot_token: marker, chat_id: '-100123' } },
      });
      expect(created.status).toBe(201);
      const stored = registryBytes(app.dataDir);
      expect(stored).toContain(created.body.id);
      expect(stored).not.toContain(marker);
      expect(stored).not.toContain(appPassword);
    });

    it('keeps base_url', async () => {
      const created = await app.request('POST', '/v1/accounts', {
        body: { platform: 'mastodon', name: 'self-hosted', credentials: { access_token: 'tok' }, base_url: 'https://social.example.org' },
      });
      expect(created.status).toBe(201);
      expect(created.body.base_url).toBe('https://social.example.org');
    });

    it.each([
      ['an unknown platform', { platform: 'myspace', name: 'x', credentials: {} }, ['platform']],
      ['a missing name and credentials', { platform: 'bluesky' }, ['name', 'credentials']],
      ['credentials that are not an object', { platform: 'bluesky', name: 'x', credentials: ['a'] }, ['credentials']],
      ['credential values that are not strings', { platform: 'mastodon', name: 'x', credentials: { access_token: 42 } }, ['credentials']],
      ['a missing credential field', { platform: 'bluesky', name: 'x', credentials: { identifier: 'me' } }, ['credentials.app_password']],
      ['a base_url that is not http(s)', { platform: 'mastodon', name: 'x', credentials: { access_token: 't' }, base_url: 'ftp://nope' }, ['base_url']],
    ])('answers 422 naming the fields for %s', async (_name, body, fields) => {
      const response = await app.request('POST', '/v1/accounts', { body });
      expect(response.status).toBe(422);
      expect(response.body.error.code).toBe('validation_error');
      const named = response.body.error.details.map((d: { field: string }) => d.field);
      for (const field of fields) expect(named).toContain(field);
    });

    it("answers 404 for another workspace's account, and lists only the caller's", async () => {
      const created = await app.request('POST', '/v1/accounts', {
        body: { platform: 'discord', name: 'mine', credentials: { webhook_url: 'https://discord.example/api/webhooks/1/abc' } },
      });
      expect((await app.request('GET', `/v1/accounts/${created.body.id}`, { key: otherKey })).status).toBe(404);
      const deleted = await app.request('DELETE', `/v1/accounts/${created.body.id}`, { key: otherKey });
      expect(deleted.status).toBe(404);
      expect(deleted.body.error.code).toBe('not_found');
      expect((await app.request('GET', '/v1/accounts', { key: otherKey })).body.accounts).toEqual([]);
      expect((await app.request('GET', `/v1/accounts/${created.body.id}`)).status).toBe(200);
    });

    it('deletes with 204, then answers 404', async () => {
      const created = await app.request('POST', '/v1/accounts', { body: { platform: 'tiktok', name: 'gone', credentials: { access_token: 't' } } });
      const deleted = await app.request('DELETE', `/v1/accounts/${created.body.id}`);
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expect((await app.request('GET', `/v1/accounts/${created.body.id}`)).status).toBe(404);
      expect((await app.request('DELETE', `/v1/accounts/${created.body.id}`)).status).toBe(404);
    });
  });

  describe('webhooks', () => {
    it('returns the signing secret once, at creation', async () => {
      const created = await app.request('POST', '/v1/webhooks', {
        body: { url: 'https://example.com/hook', events: ['post.published', 'post.failed'], description: 'ops' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.stringMatching(/^wh_/),
        url: 'https://example.com/hook',
        events: ['post.published', 'post.failed'],
        description: 'ops',
        created_at: expect.any(String),
        secret: expect.stringMatching(/^whsec_/),
      });
      const { secret, ...view } = created.body;
      const fetched = await app.request('GET', `/v1/webhooks/${created.body.id}`);
      expect(fetched.body).toEqual(view);
      const listed = await app.request('GET', '/v1/webhooks');
      expect(listed.body.webhooks).toContainEqual(view);
      expect(listed.text).not.toContain(secret);
      expect(registryBytes(app.dataDir)).not.toContain(secret);
    });

    it('lists deliveries (none yet), honouring limit', async () => {
      const created = await app.request('POST', '/v1/webhooks', { body: { url: 'https://example.com/d', events: ['post.created'] } });
      const deliveries = await app.request('GET', `/v1/webhooks/${created.body.id}/deliveries?limit=5`);
      expect(deliveries.status).toBe(200);
      expect(deliveries.body).toEqual({ deliveries: [] });
      const bad = await app.request('GET', `/v1/webhooks/${created.body.id}/deliveries?limit=zero`);
      expect(bad.status).toBe(422);
      expect(bad.body.error.details.map((d: { field: string }) => d.field)).toContain('limit');
    });

    it.each([
      ['a URL that is not http(s)', { url: 'javascript:alert(1)', events: ['post.published'] }, 'url'],
      ['no events', { url: 'https://example.com', events: [] }, 'events'],
      ['an unknown event', { url: 'https://example.com', events: ['post.exploded'] }, 'events'],
      ['events that are not a list', { url: 'https://example.com', events: 'post.published' }, 'events'],
      ['a description that is not text', { url: 'https://example.com', events: ['post.failed'], description: { a: 1 } }, 'description'],
    ])('answers 422 naming the field for %s', async (_name, body, field) => {
      const response = await app.request('POST', '/v1/webhooks', { body });
      expect(response.status).toBe(422);
      expect(response.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it("answers 404 for another workspace's webhook", async () => {
      const created = await app.request('POST', '/v1/webhooks', { body: { url: 'https://example.com/x', events: ['post.deleted'] } });
      for (const [method, path] of [
        ['GET', `/v1/webhooks/${created.body.id}`],
        ['GET', `/v1/webhooks/${created.body.id}/deliveries`],
        ['DELETE', `/v1/webhooks/${created.body.id}`],
      ]) {
        const response = await app.request(method, path, { key: otherKey });
        expect(response.status).toBe(404);
        expect(response.body.error.code).toBe('not_found');
      }
      expect((await app.request('GET', '/v1/webhooks', { key: otherKey })).body.webhooks).toEqual([]);
      expect((await app.request('DELETE', `/v1/webhooks/${created.body.id}`)).status).toBe(204);
      expect((await app.request('GET', `/v1/webhooks/${created.body.id}`)).status).toBe(404);
    });
  });

  it('keeps accounts, webhooks and keys across a restart', async () => {
    const account = await app.request('POST', '/v1/accounts', {
      body: { platform: 'slack', name: 'durable', credentials: { bot_token: 'xoxb-1', channel: 'C1' } },
    });
    const webhook = await app.request('POST', '/v1/webhooks', { body: { url: 'https://example.com/durable', events: ['post.published'] } });
    const before = (await app.request('GET', '/v1/accounts')).body.accounts;
    const oldUrl = app.url;

    await app.restart();

    expect(app.url).not.toBe(oldUrl);
    expect((await app.request('GET', '/v1/accounts')).body.accounts).toEqual(before);
    expect((await app.request('GET', `/v1/accounts/${account.body.id}`)).body).toEqual(account.body);
    expect((await app.request('GET', `/v1/webhooks/${webhook.body.id}`)).status).toBe(200);
    expect((await app.request('GET', '/v1/accounts', { key: otherKey })).status).toBe(200);
    // Credentials still open with the key kept in the data dir.
    const credentials = await app.runtime.accounts.credentialsOf('default', account.body.id);
    expect(credentials?.credentials).toEqual({ bot_token: 'xoxb-1', channel: 'C1' });
  });
});
