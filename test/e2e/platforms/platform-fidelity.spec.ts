import { startTestApp, type TestApp } from '../../support/app';

/** What the platforms' own rules ask that a client must hear before anything is published. */
describe('platform fidelity over HTTP', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    const account = await app.request('POST', '/v1/accounts', { body: { platform: 'tiktok', name: 'creator', credentials: { access_token: 'act.example-token' }, base_url: 'http://127.0.0.1:9' } });
    expect(account.status).toBe(201);
  });
  afterAll(() => app.stop());

  const tiktokPost = (settings?: Record<string, unknown>) => ({
    content: 'Launch day',
    platforms: ['tiktok'],
    media: { video: { url: 'https://cdn.example.com/launch.mp4' } },
    ...(settings ? { platform_settings: { tiktok: settings } } : {}),
  });

  it('TikTok without a chosen privacy level: validate names platform_settings.tiktok.privacy_level and the values', async () => {
    const res = await app.request('POST', '/v1/posts/validate', { body: tiktokPost() });
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    expect(res.body.problems).toContainEqual(
      expect.objectContaining({ platform: 'tiktok', field: 'platform_settings.tiktok.privacy_level', code: 'setting_required', message: expect.stringMatching(/PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY/) }),
    );
    const chosen = await app.request('POST', '/v1/posts/validate', { body: tiktokPost({ privacy_level: 'SELF_ONLY' }) });
    expect(chosen.body.problems.filter((p: { field: string }) => p.field.startsWith('platform_settings'))).toEqual([]);
  });

  it('TikTok without a chosen privacy level: publish answers 422 naming the field', async () => {
    const created = await app.request('POST', '/v1/posts', { body: tiktokPost() });
    expect(created.status).toBe(201);
    const published = await app.request('POST', `/v1/posts/${created.body.id}/publish`);
    expect(published.status).toBe(422);
    expect(published.body.error.details).toContainEqual(expect.objectContaining({ field: 'platform_settings.tiktok.privacy_level' }));
  });
});
