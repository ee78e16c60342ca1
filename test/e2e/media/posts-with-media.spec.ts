import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { sampleMp4 } from '../../../libs/media-library/src/testing/sample-mp4';
import { FakeInstagram, FakeMastodon } from '../../../libs/platforms/testing';
import { waitFor } from '../../../libs/publishing/testing';
import { startTestApp, type TestApp } from '../../support/app';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('posts naming media library items by id', () => {
  let app: TestApp;
  let mastodon: FakeMastodon;
  let instagram: FakeInstagram;

  beforeAll(async () => {
    [mastodon, instagram] = await Promise.all([FakeMastodon.start({ processingPolls: 0 }), FakeInstagram.start({ processingPolls: 0 })]);
    app = await startTestApp({ env: { MEDIA_ALLOW_PRIVATE_NETWORKS: 'true' } });
    const connect = (platform: string, credentials: Record<string, string>, base_url: string) =>
      app.request('POST', '/v1/accounts', { body: { platform, name: `${platform}-main`, credentials, base_url } });
    expect((await connect('mastodon', { access_token: mastodon.accessToken }, mastodon.url)).status).toBe(201);
    expect((await connect('instagram', { access_token: instagram.accessToken, ig_user_id: instagram.igUserId }, instagram.url)).status).toBe(201);
  });
  afterAll(async () => {
    await app.stop();
    await Promise.all([mastodon.close(), instagram.close()]);
  });

  async function upload(bytes: Buffer, key = app.apiKey): Promise<any> {
    const form = new FormData();
    form.append('file', new Blob([bytes]), 'file');
    const response = await fetch(`${app.url}/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    expect(response.status).toBe(201);
    return response.json();
  }

  async function finished(postId: string): Promise<any> {
    return waitFor(
      async () => {
        const got = await app.request('GET', `/v1/posts/${postId}`);
        return got.body.status === 'published' || got.body.status === 'failed' ? got.body : null;
      },
      `post ${postId} finished publishing`,
      20_000,
      50,
    );
  }

  it('uploads the item\'s bytes intact to a platform that takes uploads, and gives a platform that fetches a signed link', async () => {
    const jpeg = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#c04000' } }).jpeg().toBuffer();
    const item = await upload(jpeg);
    const text = `Made with the media library ${Date.now()}`;
    const created = await app.request('POST', '/v1/posts', {
      body: { content: text, platforms: ['mastodon', 'instagram'], media: { images: [{ media_id: item.id, alt_text: 'an orange card' }] } },
    });
    expect(created.status).toBe(201);
    expect(created.body.media.images[0]).toMatchObject({ media_id: item.id, alt_text: 'an orange card', file: { sha256: sha256(jpeg), kind: 'image', mime: 'image/jpeg', width: 120, height: 80 } });
    expect((await app.request('POST', `/v1/posts/${created.body.id}/publish`)).status).toBe(202);
    const post = await finished(created.body.id);
    expect(post.platform_results.mastodon).toMatchObject({ success: true });
    expect(post.platform_results.instagram).toMatchObject({ success: true });

    const status = mastodon.statuses.find((s) => s.text === text);
    expect(status?.media).toHaveLength(1);
    const uploaded = [...mastodon.media.values()].find((m) => m.statusId === status?.id) ?? [...mastodon.media.values()].at(-1);
    expect(uploaded).toMatchObject({ mime: 'image/jpeg', size: jpeg.length, sha256: sha256(jpeg), description: 'an orange card' });

    const published = instagram.media.find((m) => m.caption === text);
    expect(published?.container.params.image_url).toMatch(new RegExp(`^${app.url}/v1/public/media/${item.id}\\?expires=\\d+&signature=`));
    expect(published?.container.sha256).toBe(sha256(jpeg));

    // History keeps which bytes the post had.
    const history = await app.request('GET', `/v1/posts/${created.body.id}/history`);
    expect(history.body.events[0].data.media.images[0]).toMatchObject({ media_id: item.id, file: { sha256: sha256(jpeg) } });
  });

  it('refuses a media_id of another workspace, or of the wrong kind, naming the field', async () => {
    const otherKey = await app.createKey('media-ids-other');
    const theirs = await upload(await sharp({ create: { width: 9, height: 9, channels: 3, background: '#010203' } }).png().toBuffer(), otherKey);
    const refused = await app.request('POST', '/v1/posts', { body: { content: 'not mine', platforms: ['mastodon'], media: { images: [{ media_id: theirs.id }] } } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details).toEqual([{ field: 'media.images[0].media_id', message: expect.stringContaining(theirs.id) }]);

    const mine = await upload(await sharp({ create: { width: 9, height: 9, channels: 3, background: '#040506' } }).png().toBuffer());
    const asVideo = await app.request('POST', '/v1/posts', { body: { content: 'wrong kind', platforms: ['mastodon'], media: { video: { media_id: mine.id } } } });
    expect(asVideo.status).toBe(422);
    expect(asVideo.body.error.details[0].field).toBe('media.video.media_id');
    const inThread = await app.request('POST', '/v1/posts', { body: { content: 'thread', platforms: ['mastodon'], segments: [{ content: 'two', media_ids: [mine.id, theirs.id] }] } });
    expect(inThread.status).toBe(422);
    expect(inThread.body.error.details[0].field).toBe('segments[0].media_ids[1]');
    const both = await app.request('POST', '/v1/posts', { body: { content: 'both', platforms: ['mastodon'], media: { images: [{ media_id: mine.id, url: 'https://example.com/a.png' }] } } });
    expect(both.status).toBe(422);
  });

  it('judges the real file against each platform: a 4-minute video is too long for Bluesky, fine for Mastodon', async () => {
    const video = await sampleMp4({ width: 1280, height: 720, frameRate: 30, durationS: 240 });
    const item = await upload(video);
    const checked = await app.request('POST', '/v1/posts/validate', { body: { content: 'long take', platforms: ['bluesky', 'mastodon'], media: { video: { media_id: item.id } } } });
    expect(checked.status).toBe(200);
    const tooLong = checked.body.problems.filter((p: { code: string }) => p.code === 'video_too_long');
    expect(tooLong).toEqual([{ platform: 'bluesky', field: 'media.video.media_id', code: 'video_too_long', message: 'Bluesky takes videos up to 180 s; this one is 240 s' }]);
  });

  it('answers 409 to deleting an item a scheduled post uses, and deletes it once the post no longer needs it', async () => {
    const item = await upload(await sharp({ create: { width: 11, height: 11, channels: 3, background: '#0a0b0c' } }).png().toBuffer());
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const post = await app.request('POST', '/v1/posts', {
      body: { content: 'later, with a picture', platforms: ['mastodon'], scheduled_for: later, segments: [{ content: 'and a reply', media_ids: [item.id] }] },
    });
    expect(post.status).toBe(201);
    expect(post.body.status).toBe('scheduled');
    expect(post.body.segments[0]).toMatchObject({ media_ids: [item.id], media_files: [{ kind: 'image', sha256: expect.any(String) }] });
    const refused = await app.request('DELETE', `/v1/media/${item.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain(post.body.id);
    expect((await app.request('PUT', `/v1/posts/${post.body.id}`, { body: { scheduled_for: null } })).status).toBe(200);
    expect((await app.request('DELETE', `/v1/media/${item.id}`)).status).toBe(204);
    // The post's history still names the deleted item and its bytes.
    const history = await app.request('GET', `/v1/posts/${post.body.id}/history`);
    expect(history.body.events[0].data.segments[0].media_ids).toEqual([item.id]);
  });
});
