import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { FileMediaStore } from './file-media-store';
import { MediaLibrary, MediaRefused } from './media-library';
import { MediaUrlSigner } from './signed-urls';
import { sampleMp4 } from './testing/sample-mp4';

describe('MediaLibrary', () => {
  let dir: string;
  let store: FileMediaStore;
  let now: Date;
  const limits = { maxImageBytes: 200_000, maxVideoBytes: 400_000, quotaBytes: 900_000 };
  const library = () => new MediaLibrary(store, limits, () => now);
  const blobs = () => readdirSync(join(dir, 'blobs'));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'postloom-library-'));
    store = new FileMediaStore(dir);
    now = new Date('2030-01-01T00:00:00Z');
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a file once per workspace, with its facts and sha256', async () => {
    const png = await sharp({ create: { width: 8, height: 6, channels: 3, background: '#123456' } }).png().toBuffer();
    const first = await library().add('ws_a', Readable.from([png]), { alt_text: 'a square', origin: 'upload' });
    expect(first.created).toBe(true);
    expect(first.record).toMatchObject({ workspace_id: 'ws_a', kind: 'image', mime: 'image/png', width: 8, height: 6, bytes: png.length, alt_text: 'a square' });
    const again = await library().add('ws_a', Readable.from([png]), { origin: 'upload' });
    expect(again).toEqual({ record: first.record, created: false });
    expect(blobs()).toEqual([first.record.id]);
    const elsewhere = await library().add('ws_b', Readable.from([png]), { origin: 'upload' });
    expect(elsewhere.created).toBe(true);
    expect(await library().get('ws_a', elsewhere.record.id)).toBeNull();
  });

  it('refuses empty files, strangers, files over their cap and over the quota, storing nothing', async () => {
    const refusal = (source: Buffer, workspace = 'ws_a') => library().add(workspace, Readable.from([source]), { origin: 'upload' }).catch((e: unknown) => e as MediaRefused);
    await expect(refusal(Buffer.alloc(0))).resolves.toMatchObject({ status: 422, message: 'the file is empty' });
    await expect(refusal(Buffer.from('%PDF-1.7 and more'.repeat(10)))).resolves.toMatchObject({ status: 422 });
    const bigImage = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(250_000)]);
    await expect(refusal(bigImage)).resolves.toMatchObject({ status: 413, message: expect.stringMatching(/allowed for images/) });
    const video = await sampleMp4({ width: 64, height: 64, frameRate: 10, durationS: 1, payloadBytes: 300_000 });
    expect((await library().add('ws_q', Readable.from([video]), { origin: 'upload' })).created).toBe(true);
    const other = await sampleMp4({ width: 64, height: 64, frameRate: 10, durationS: 2, payloadBytes: 300_000 });
    expect((await library().add('ws_q', Readable.from([other]), { origin: 'upload' })).created).toBe(true);
    const third = await sampleMp4({ width: 64, height: 64, frameRate: 10, durationS: 3, payloadBytes: 390_000 });
    await expect(refusal(third, 'ws_q')).resolves.toMatchObject({ status: 413, message: expect.stringMatching(/quota/) });
    expect(blobs()).toHaveLength(2);
  });

  it('removes URL imports no post named after the given age, and keeps the rest', async () => {
    const image = (color: string) => sharp({ create: { width: 4, height: 4, channels: 3, background: color } }).png().toBuffer();
    const stale = await library().add('ws_a', Readable.from([await image('#100')]), { origin: 'url' });
    const used = await library().add('ws_a', Readable.from([await image('#200')]), { origin: 'url' });
    const uploaded = await library().add('ws_a', Readable.from([await image('#300')]), { origin: 'upload' });
    await library().markReferenced([used.record.id]);
    now = new Date('2030-01-01T23:00:00Z');
    expect(await library().removeUnreferencedImports(24 * 3600_000)).toBe(0);
    now = new Date('2030-01-02T01:00:00Z');
    expect(await library().removeUnreferencedImports(24 * 3600_000)).toBe(1);
    expect(await library().get('ws_a', stale.record.id)).toBeNull();
    expect(blobs().sort()).toEqual([used.record.id, uploaded.record.id].sort());
  });
});

describe('MediaUrlSigner', () => {
  const signer = new MediaUrlSigner(Buffer.alloc(32, 7), 'https://postloom.example.com/');
  const now = new Date('2030-01-01T00:00:00Z');

  it('signs one item until its expiry', () => {
    const url = new URL(signer.url('med_a', new Date(now.getTime() + 60_000)));
    expect(url.origin + url.pathname).toBe('https://postloom.example.com/v1/public/media/med_a');
    const [expires, signature] = [url.searchParams.get('expires'), url.searchParams.get('signature')];
    expect(signer.verify('med_a', expires, signature, now)).toBe('valid');
    expect(signer.verify('med_b', expires, signature, now)).toBe('invalid');
    expect(signer.verify('med_a', String(Number(expires) + 1), signature, now)).toBe('invalid');
    expect(signer.verify('med_a', expires, signature, new Date(now.getTime() + 61_000))).toBe('expired');
    expect(new MediaUrlSigner(Buffer.alloc(32, 8), 'https://x').verify('med_a', expires, signature, now)).toBe('invalid');
  });
});
