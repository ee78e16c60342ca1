import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { sampleMp4 } from '../../../libs/media-library/src/testing/sample-mp4';
import { startTestApp, type TestApp } from '../../support/app';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One raw request; `cutAfter` sends only that many body bytes of the declared length, then drops the connection. */
function send(url: string, method: string, headers: Record<string, string>, body?: Buffer, cutAfter?: number): Promise<Answer | 'dropped'> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, agent: false, headers: { 'tus-resumable': '1.0.0', ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    if (cutAfter !== undefined && body) {
      request.on('error', () => resolve('dropped'));
      request.write(body.subarray(0, cutAfter), () => setImmediate(() => request.destroy()));
      return;
    }
    request.on('error', reject);
    request.end(body);
  });
}

function metadata(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}

describe('resumable media uploads (tus 1.0)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ publishing: false });
  });
  afterAll(async () => {
    await app.stop();
  });

  const auth = (key = app.apiKey) => ({ authorization: `Bearer ${key}` });

  async function create(size: number, key?: string): Promise<string> {
    const created = (await send(`${app.url}/v1/media/uploads`, 'POST', {
      ...auth(key),
      'upload-length': String(size),
      'upload-metadata': metadata({ filename: 'clip.mp4', filetype: 'video/mp4', alt_text: 'a clip' }),
    })) as Answer;
    expect(created.status).toBe(201);
    return new URL(created.headers.location as string, app.url).toString();
  }

  async function offsetOf(location: string): Promise<number> {
    const head = (await send(location, 'HEAD', auth())) as Answer;
    expect(head.status).toBe(200);
    return Number(head.headers['upload-offset']);
  }

  it('takes an upload interrupted midway and resumed from the offset the server reports, and answers Media-Id', async () => {
    const video = await sampleMp4({ width: 640, height: 480, frameRate: 25, durationS: 8, audio: true, payloadBytes: 3_000_000 });
    const location = await create(video.length);
    expect(location).toMatch(/\/v1\/media\/uploads\/[^/]+$/);

    const first = (await send(location, 'PATCH', { ...auth(), 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, video.subarray(0, 1_000_000))) as Answer;
    expect(first.status).toBe(204);
    expect(first.headers['upload-offset']).toBe('1000000');

    // The connection drops partway through the second PATCH.
    const rest = video.subarray(1_000_000);
    await send(location, 'PATCH', { ...auth(), 'upload-offset': '1000000', 'content-type': 'application/offset+octet-stream', 'content-length': String(rest.length) }, rest, 700_000);

    let finished: Answer | undefined;
    for (let attempt = 0; attempt < 20 && !finished; attempt++) {
      const offset = await offsetOf(location);
      expect(offset).toBeGreaterThanOrEqual(1_000_000);
      const resumed = (await send(location, 'PATCH', { ...auth(), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, video.subarray(offset))) as Answer;
      // 409: the dropped request was still settling its offset; ask again.
      if (resumed.status !== 409) finished = resumed;
    }
    expect(finished?.status).toBe(204);
    const mediaId = finished?.headers['media-id'] as string;
    expect(mediaId).toMatch(/^med_/);

    const item = await app.request('GET', `/v1/media/${mediaId}`);
    expect(item.body).toMatchObject({ kind: 'video', mime: 'video/mp4', bytes: video.length, width: 640, height: 480, duration_s: 8, frame_rate: 25, has_audio: true, alt_text: 'a clip' });
    expect(item.body.sha256).toBe(createHash('sha256').update(video).digest('hex'));
    const list = await app.request('GET', '/v1/media');
    expect(list.body.media.map((m: { id: string }) => m.id)).toContain(mediaId);
  });

  it('answers 409 to a PATCH at the wrong offset, and hides an upload from other workspaces and from callers without a key', async () => {
    const bytes = await sampleMp4({ width: 16, height: 16, frameRate: 10, durationS: 1 });
    const location = await create(bytes.length);
    const wrong = (await send(location, 'PATCH', { ...auth(), 'upload-offset': '5', 'content-type': 'application/offset+octet-stream' }, bytes.subarray(5))) as Answer;
    expect(wrong.status).toBe(409);
    expect(JSON.parse(wrong.body).error.code).toBe('conflict');
    expect(await offsetOf(location)).toBe(0);

    const otherKey = await app.createKey('tus-other');
    expect(((await send(location, 'HEAD', auth(otherKey))) as Answer).status).toBe(404);
    expect(((await send(location, 'PATCH', { ...auth(otherKey), 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, bytes)) as Answer).status).toBe(404);
    expect(((await send(location, 'HEAD', {})) as Answer).status).toBe(401);
  });

  it('refuses at the last byte what is no image or video, storing nothing', async () => {
    const text = Buffer.from('not a video at all, only words. '.repeat(100));
    const location = await create(text.length);
    const last = (await send(location, 'PATCH', { ...auth(), 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, text)) as Answer;
    expect(last.status).toBe(422);
    expect(JSON.parse(last.body).error).toMatchObject({ code: 'validation_error', details: [{ field: 'file' }] });
    expect(last.headers['media-id']).toBeUndefined();
  });
});
