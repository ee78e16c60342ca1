import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { sampleMp4 } from '../../../libs/media-library/src/testing/sample-mp4';
import { startTestApp, type TestApp } from '../../support/app';

async function png(width: number, height: number, color = '#336699'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } }).png().toBuffer();
}

describe('media library over HTTP', () => {
  let app: TestApp;
  let files: http.Server;
  let filesUrl: string;
  let served: Buffer;

  beforeAll(async () => {
    app = await startTestApp({ env: { MEDIA_MAX_IMAGE_BYTES: '300000', MEDIA_ALLOW_PRIVATE_NETWORKS: 'true' }, publishing: false });
    served = await png(50, 20, '#aa0000');
    files = http.createServer((req, res) => {
      if (req.url === '/picture') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(served);
      } else if (req.url === '/page') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end('<html>not an image</html>');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => files.close(resolve));
    await app.stop();
  });

  const upload = async (bytes: Buffer, options: { altText?: string; name?: string; key?: string; type?: string } = {}) => {
    const form = new FormData();
    if (options.altText !== undefined) form.append('alt_text', options.altText);
    form.append(options.name ?? 'file', new Blob([bytes], { type: options.type ?? 'application/octet-stream' }), 'upload.bin');
    const response = await fetch(`${app.url}/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${options.key ?? app.apiKey}` }, body: form });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('takes a multipart image with its alt text, reads its facts, and serves it back', async () => {
    const image = await png(64, 48);
    const created = await upload(image, { altText: 'a blue rectangle' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^med_/),
      kind: 'image',
      mime: 'image/png',
      bytes: image.length,
      width: 64,
      height: 48,
      duration_s: null,
      alt_text: 'a blue rectangle',
      sha256: require('node:crypto').createHash('sha256').update(image).digest('hex'),
    });
    const id = created.body.id as string;
    expect((await app.request('GET', `/v1/media/${id}`)).body).toEqual(created.body);

    const content = await fetch(`${app.url}/v1/media/${id}/content`, { headers: { authorization: `Bearer ${app.apiKey}` } });
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await content.arrayBuffer()).equals(image)).toBe(true);

    const part = await fetch(`${app.url}/v1/media/${id}/content`, { headers: { authorization: `Bearer ${app.apiKey}`, range: 'bytes=8-15' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 8-15/${image.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(image.subarray(8, 16))).toBe(true);
  });

  it('reads a video\'s duration, dimensions, codec, frame rate and audio from the bytes, whatever the declared type', async () => {
    const video = await sampleMp4({ width: 1080, height: 1920, frameRate: 30, durationS: 12, audio: true, moovAtEnd: true });
    const created = await upload(video, { type: 'image/gif' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'video', mime: 'video/mp4', width: 1080, height: 1920, duration_s: 12, codec: 'avc1.64001f', frame_rate: 30, has_audio: true });
  });

  it('keeps one item for the same bytes uploaded twice in a workspace, and another in another workspace', async () => {
    const image = await png(10, 10, '#00ff00');
    const first = await upload(image);
    const second = await upload(image, { altText: 'ignored: the item exists' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const otherKey = await app.createKey('media-other');
    const other = await upload(image, { key: otherKey });
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);
    expect((await app.request('GET', `/v1/media/${other.body.id}`)).status).toBe(404);
    expect((await app.request('GET', `/v1/media/${first.body.id}`, { key: otherKey })).status).toBe(404);
  });

  it('refuses what is not an image or video, empty files, files over their cap, and bodies without a file, storing nothing', async () => {
    const before = (await app.request('GET', '/v1/media?limit=100')).body.total as number;
    const text = await upload(Buffer.from('this is a text file pretending to be a picture'.repeat(4)), { type: 'image/png' });
    expect(text.status).toBe(422);
    expect(text.body.error).toMatchObject({ code: 'validation_error', details: [{ field: 'file' }] });
    expect((await upload(Buffer.alloc(0))).body.error).toMatchObject({ code: 'validation_error', message: 'the file is empty' });
    // Random pixels do not compress: well over the 300,000-byte cap this app was given.
    const big = await sharp(require('node:crypto').randomBytes(600 * 600 * 3), { raw: { width: 600, height: 600, channels: 3 } }).png().toBuffer();
    expect(big.length).toBeGreaterThan(300_000);
    const tooBig = await upload(big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error).toMatchObject({ code: 'payload_too_large', details: [{ field: 'file' }] });
    const noFile = await upload(await png(5, 5), { name: 'picture' });
    expect(noFile.status).toBe(422);
    expect(noFile.body.error.details).toEqual([{ field: 'file', message: expect.any(String) }]);
    expect((await app.request('GET', '/v1/media?limit=100')).body.total).toBe(before);
  });

  it('imports a file from a URL through the media fetch, sniffing the bytes', async () => {
    const imported = await app.request('POST', '/v1/media', { body: { url: `${filesUrl}/picture`, alt_text: 'imported' } });
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ kind: 'image', mime: 'image/png', width: 50, height: 20, alt_text: 'imported' });
    const page = await app.request('POST', '/v1/media', { body: { url: `${filesUrl}/page` } });
    expect(page.status).toBe(422);
    expect(page.body.error.details[0].field).toBe('url');
    expect((await app.request('POST', '/v1/media', { body: { url: `${filesUrl}/missing` } })).status).toBe(422);
    expect((await app.request('POST', '/v1/media', { body: { link: 'x' } })).status).toBe(422);
  });

  it('lists newest first with a total, pages, and deletes', async () => {
    const a = (await upload(await png(3, 3, '#010101'))).body.id;
    const b = (await upload(await png(3, 3, '#020202'))).body.id;
    const list = await app.request('GET', '/v1/media?limit=2');
    expect(list.status).toBe(200);
    expect(list.body.media.map((m: { id: string }) => m.id)).toEqual([b, a]);
    expect(list.body.total).toBeGreaterThanOrEqual(2);
    expect((await app.request('GET', '/v1/media?limit=0')).status).toBe(422);
    expect((await app.request('DELETE', `/v1/media/${a}`)).status).toBe(204);
    expect((await app.request('GET', `/v1/media/${a}`)).status).toBe(404);
    expect((await app.request('DELETE', `/v1/media/${a}`)).status).toBe(404);
  });

  it('serves an item without a key through a signed link that expires, fits one item only, and serves ranges', async () => {
    const video = await sampleMp4({ width: 320, height: 240, frameRate: 24, durationS: 3 });
    const item = (await upload(video)).body;
    const other = (await upload(await png(7, 7, '#777777'))).body;
    const link = app.runtime.mediaUrls.url(item.id, new Date(Date.now() + 60_000));
    expect(link.startsWith(`${app.url}/v1/public/media/${item.id}?`)).toBe(true);

    const whole = await fetch(link);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(video)).toBe(true);
    const tail = await fetch(link, { headers: { range: 'bytes=-100' } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes ${video.length - 100}-${video.length - 1}/${video.length}`);
    expect(Buffer.from(await tail.arrayBuffer()).equals(video.subarray(video.length - 100))).toBe(true);
    expect((await fetch(link, { headers: { range: `bytes=${video.length}-` } })).status).toBe(416);

    const forOther = link.replace(item.id, other.id);
    expect((await fetch(forOther)).status).toBe(403);
    const expired = app.runtime.mediaUrls.url(item.id, new Date(Date.now() - 1000));
    const gone = await fetch(expired);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as any).error.code).toBe('gone');
    expect((await fetch(`${app.url}/v1/media/${item.id}/content`)).status).toBe(401);
  });
});
