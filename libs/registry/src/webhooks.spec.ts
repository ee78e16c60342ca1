import { RegistryInvalid } from './errors';
import { openTempRegistry, type TempRegistry } from './testing/temp-registry';
import { WEBHOOK_EVENTS, Webhooks } from './webhooks';

describe('Webhooks', () => {
  let registry: TempRegistry;
  let webhooks: Webhooks;
  let clock: number;

  beforeEach(() => {
    registry = openTempRegistry();
    clock = Date.parse('2026-03-01T00:00:00.000Z');
    webhooks = new Webhooks(registry.storage, registry.cipher, { now: () => (clock += 1000) });
  });

  afterEach(async () => {
    await registry.cleanup();
  });

  async function invalidFields(promise: Promise<unknown>): Promise<string[]> {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RegistryInvalid);
    return (error as RegistryInvalid).details.map((d) => d.field);
  }

  it('returns the signing secret once and keeps it sealed', async () => {
    const created = await webhooks.create('ws_1', { url: 'https://hooks.example/in/', events: ['post.published', 'post.failed'], description: 'ops' });
    expect(created).toEqual({
      id: expect.stringMatching(/^wh_[0-9A-Za-z]{16,}$/),
      url: 'https://hooks.example/in/',
      events: ['post.published', 'post.failed'],
      description: 'ops',
      created_at: '2026-03-01T00:00:01.000Z',
      secret: expect.stringMatching(/^whsec_[0-9A-Za-z]{32}$/),
    });
    const { secret, ...view } = created;
    expect(await webhooks.get('ws_1', created.id)).toEqual(view);
    expect(await webhooks.list('ws_1')).toEqual([view]);
    const bytes = registry.bytesOnDisk();
    expect(bytes.includes(Buffer.from('https://hooks.example/in/'))).toBe(true);
    expect(bytes.includes(Buffer.from(secret))).toBe(false);
  });

  it('validates url and events, naming the field', async () => {
    expect(await invalidFields(webhooks.create('ws_1', { url: 'ftp://x.example', events: ['post.published'] }))).toEqual(['url']);
    expect(await invalidFields(webhooks.create('ws_1', { url: 'nope', events: ['post.published'] }))).toEqual(['url']);
    expect(await invalidFields(webhooks.create('ws_1', { url: 'https://x.example', events: [] }))).toEqual(['events']);
    expect(await invalidFields(webhooks.create('ws_1', { url: 'https://x.example', events: 'post.published' as never }))).toEqual(['events']);
    expect(await invalidFields(webhooks.create('ws_1', { url: 'https://x.example', events: ['post.published', 'post.exploded' as never] }))).toEqual([
      'events[1]',
    ]);
    expect(await invalidFields(webhooks.create('ws_1', { url: 'https://x.example', events: ['post.published'], description: 'd'.repeat(501) }))).toEqual([
      'description',
    ]);
    const all = await webhooks.create('ws_1', { url: 'http://127.0.0.1:9/x', events: [...WEBHOOK_EVENTS, 'post.created'] });
    expect(all.events).toEqual(WEBHOOK_EVENTS);
  });

  it('gives the subscribers of an event in a workspace, with their secrets', async () => {
    const a = await webhooks.create('ws_1', { url: 'https://a.example', events: ['post.published'] });
    const b = await webhooks.create('ws_1', { url: 'https://b.example', events: ['post.published', 'post.failed'] });
    await webhooks.create('ws_2', { url: 'https://c.example', events: ['post.published'] });
    expect(await webhooks.subscribersOf('ws_1', 'post.published')).toEqual([a, b]);
    expect(await webhooks.subscribersOf('ws_1', 'post.failed')).toEqual([b]);
    expect(await webhooks.subscribersOf('ws_1', 'post.deleted')).toEqual([]);
  });

  it("keeps each workspace's webhooks to itself", async () => {
    const mine = await webhooks.create('ws_1', { url: 'https://a.example', events: ['post.published'] });
    expect(await webhooks.get('ws_2', mine.id)).toBeNull();
    expect(await webhooks.list('ws_2')).toEqual([]);
    expect(await webhooks.remove('ws_2', mine.id)).toBe(false);
    expect(await webhooks.recordDelivery('ws_2', mine.id, { event: 'post.published', status_code: 200, attempt: 1 })).toBeNull();
    expect(await webhooks.remove('ws_1', mine.id)).toBe(true);
    expect(await webhooks.get('ws_1', mine.id)).toBeNull();
  });

  it('logs delivery attempts, newest first', async () => {
    const hook = await webhooks.create('ws_1', { url: 'https://a.example', events: ['post.published'] });
    const failed = await webhooks.recordDelivery('ws_1', hook.id, { event: 'post.published', event_id: 'evt_1', status_code: null, attempt: 1, error: 'ECONNREFUSED' });
    const ok = await webhooks.recordDelivery('ws_1', hook.id, { event: 'post.published', event_id: 'evt_1', status_code: 204, attempt: 2 });
    expect(failed).toMatchObject({ webhook_id: hook.id, status_code: null, attempt: 1, succeeded: false, error: 'ECONNREFUSED' });
    expect(ok).toMatchObject({ id: expect.stringMatching(/^whd_/), status_code: 204, attempt: 2, succeeded: true, error: null, event_id: 'evt_1' });
    expect(await webhooks.listDeliveries('ws_1', hook.id)).toEqual([ok, failed]);
    expect(await webhooks.listDeliveries('ws_1', hook.id, 1)).toEqual([ok]);
    expect(await webhooks.listDeliveries('ws_2', hook.id)).toEqual([]);
    await webhooks.remove('ws_1', hook.id);
    expect(await webhooks.listDeliveries('ws_1', hook.id)).toEqual([]);
  });
});
