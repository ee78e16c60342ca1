import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { PlatformError } from '../port';
import { isPrivateAddress } from '../../../outbound';
import { mediaAttachment, mediaAttachments } from './attachments';
import { fetchMedia } from './fetch-media';
import { fitImage, imageSize } from './fit-image';
import { sniffMime } from './sniff';

const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(24)]);
const MOV = Buffer.concat([Buffer.from([0, 0, 0, 0x14]), Buffer.from('ftypqt  '), Buffer.alloc(24)]);
const WEBM = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84]), Buffer.from('webm'), Buffer.alloc(16)]);
const GIF = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(20)]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 '), Buffer.alloc(20)]);

async function expectPlatformError(promise: Promise<unknown>, kind: PlatformError['kind'], message?: RegExp): Promise<PlatformError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  const error = err as PlatformError;
  expect(error.kind).toBe(kind);
  if (message) expect(error.message).toMatch(message);
  return error;
}

describe('media', () => {
  let server: http.Server;
  let base: string;
  let png: Buffer;
  const hits: string[] = [];

  beforeAll(async () => {
    png = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#3366cc' } }).png().toBuffer();
    server = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      switch (req.url) {
        case '/pic.png':
          res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(png);
          return;
        case '/pic.jpg':
          // A misleading extension: the bytes decide.
          res.writeHead(200, { 'content-type': 'image/jpeg' }).end(png);
          return;
        case '/clip.mp4':
          res.writeHead(200).end(MP4);
          return;
        case '/redirect':
          res.writeHead(302, { location: '/pic.png' }).end();
          return;
        case '/loop':
          res.writeHead(302, { location: '/loop' }).end();
          return;
        case '/notes.txt':
          res.writeHead(200, { 'content-type': 'image/png' }).end('just some text, not an image');
          return;
        case '/declared-big':
          res.writeHead(200, { 'content-length': String(10_000_000) });
          res.write(png);
          return;
        case '/streamed-big': {
          res.writeHead(200);
          const chunk = Buffer.alloc(64 * 1024, 1);
          chunk.set(png.subarray(0, 8));
          let sent = 0;
          const pump = () => {
            while (sent < 20 && res.write(chunk)) sent++;
            if (sent >= 20) res.end();
          };
          res.on('drain', pump);
          pump();
          return;
        }
        case '/broken':
          res.writeHead(503).end('{"error":"down"}');
          return;
        case '/silent':
          return;
        default:
          res.writeHead(404).end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    hits.length = 0;
  });

  describe('sniffMime', () => {
    it('knows the supported types by their magic bytes, whatever the name says', () => {
      expect(sniffMime(png)).toBe('image/png');
      expect(sniffMime(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe('image/jpeg');
      expect(sniffMime(GIF)).toBe('image/gif');
      expect(sniffMime(WEBP)).toBe('image/webp');
      expect(sniffMime(MP4)).toBe('video/mp4');
      expect(sniffMime(MOV)).toBe('video/quicktime');
      expect(sniffMime(WEBM)).toBe('video/webm');
    });

    it('refuses what it does not know', () => {
      expect(sniffMime(Buffer.from('<html></html>'))).toBeUndefined();
      expect(sniffMime(Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.alloc(8)]))).toBeUndefined();
      expect(sniffMime(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0]))).toBeUndefined();
      expect(sniffMime(Buffer.alloc(0))).toBeUndefined();
    });
  });

  describe('isPrivateAddress', () => {
    it.each(['127.0.0.1', '10.1.2.3', '172.16.5.4', '192.168.0.10', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fe80::1%eth0', 'fd12:3456::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '64:ff9b::192.168.1.1', '2002:c0a8:0101::1', '[::1]', 'not-an-ip'])(
      '%s is not public',
      (address) => expect(isPrivateAddress(address)).toBe(true),
    );

    it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2a00:1450:4001::200e'])('%s is public', (address) =>
      expect(isPrivateAddress(address)).toBe(false),
    );
  });

  describe('fetchMedia', () => {
    const allowed = { maxBytes: 1_000_000, allowPrivateNetworks: true, timeoutMs: 5_000 };

    it('downloads and sniffs the type from the bytes', async () => {
      const media = await fetchMedia(`${base}/pic.jpg`, allowed);
      expect(media.mime).toBe('image/png');
      expect(media.bytes.equals(png)).toBe(true);
      await expect(fetchMedia(`${base}/clip.mp4`, allowed)).resolves.toMatchObject({ mime: 'video/mp4' });
    });

    it('follows redirects', async () => {
      const media = await fetchMedia(`${base}/redirect`, allowed);
      expect(media.mime).toBe('image/png');
      expect(hits).toEqual(['/redirect', '/pic.png']);
    });

    it('refuses loopback addresses unless private networks are allowed, before connecting', async () => {
      const options = { maxBytes: 1_000_000, timeoutMs: 5_000 };
      const port = (server.address() as AddressInfo).port;
      await expectPlatformError(fetchMedia(`${base}/pic.png`, { ...options, kind: 'image' }), 'rejected', /^image http:\/\/127\.0\.0\.1:\d+\/pic\.png could not be downloaded: 127\.0\.0\.1 is a private network address; Postloom does not call it unless MEDIA_ALLOW_PRIVATE_NETWORKS=true$/);
      await expectPlatformError(fetchMedia(`http://localhost:${port}/pic.png`, options), 'rejected', /private network address/);
      await expectPlatformError(fetchMedia(`http://[::ffff:127.0.0.1]:${port}/pic.png`, options), 'rejected', /private network address/);
      expect(hits).toEqual([]);
    });

    it('refuses other schemes', async () => {
      await expectPlatformError(fetchMedia('ftp://example.com/a.png', allowed), 'rejected', /only http and https/);
      await expectPlatformError(fetchMedia('file:///etc/passwd', allowed), 'rejected', /only http and https/);
    });

    it('classifies HTTP failures: 4xx rejected, 5xx transient', async () => {
      const missing = await expectPlatformError(fetchMedia(`${base}/missing.png`, { ...allowed, kind: 'image' }), 'rejected');
      expect(missing.message).toBe(`image ${base}/missing.png could not be downloaded: HTTP 404`);
      expect(missing.details.status).toBe(404);
      await expectPlatformError(fetchMedia(`${base}/broken`, allowed), 'transient', /HTTP 503/);
      await expectPlatformError(fetchMedia(`${base}/loop`, allowed), 'rejected', /redirects/);
    });

    it('refuses a body over maxBytes, declared or streamed', async () => {
      await expectPlatformError(fetchMedia(`${base}/declared-big`, allowed), 'rejected', /larger than 1000000 bytes/);
      await expectPlatformError(fetchMedia(`${base}/streamed-big`, { ...allowed, maxBytes: 100_000 }), 'rejected', /larger than 100000 bytes/);
    });

    it('refuses unknown types and the wrong kind', async () => {
      await expectPlatformError(fetchMedia(`${base}/notes.txt`, allowed), 'rejected', /not an image or video of a known type/);
      await expectPlatformError(fetchMedia(`${base}/clip.mp4`, { ...allowed, kind: 'image' }), 'rejected', /video\/mp4, not an image/);
      await expectPlatformError(fetchMedia(`${base}/pic.png`, { ...allowed, kind: 'video' }), 'rejected', /image\/png, not a video/);
    });

    it('gives up after the timeout as a transient failure', async () => {
      await expectPlatformError(fetchMedia(`${base}/silent`, { ...allowed, timeoutMs: 200 }), 'transient', /within 200 ms/);
    });

    it('calls a connection refused transient', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      await expectPlatformError(fetchMedia(`http://127.0.0.1:${port}/a.png`, allowed), 'transient', /ECONNREFUSED/);
    });
  });

  describe('mediaAttachments', () => {
    it('makes image attachments that download once', async () => {
      const [first, second] = mediaAttachments({ images: [{ url: `${base}/pic.png`, alt_text: 'A blue box' }, { url: `${base}/redirect` }] }, { allowPrivateNetworks: true });
      expect(first).toMatchObject({ kind: 'image', url: `${base}/pic.png`, alt_text: 'A blue box' });
      expect(second.alt_text).toBeUndefined();
      const [a, b] = await Promise.all([first.load(), first.load()]);
      await first.load();
      expect(a).toBe(b);
      expect(a.mime).toBe('image/png');
      expect(hits).toEqual(['/pic.png']);
    });

    it('makes a video attachment with its thumbnail', async () => {
      const [video] = mediaAttachments({ video: { url: `${base}/clip.mp4`, thumbnail_url: `${base}/pic.png` } }, { allowPrivateNetworks: true });
      expect(video).toMatchObject({ kind: 'video', thumbnail_url: `${base}/pic.png` });
      await expect(video.load()).resolves.toMatchObject({ mime: 'video/mp4' });
      expect(mediaAttachments(null)).toEqual([]);
    });

    it('makes one attachment from a segment media item', async () => {
      const image = mediaAttachment({ kind: 'image', url: `${base}/pic.png`, alt_text: null }, { allowPrivateNetworks: true });
      expect(image.alt_text).toBeUndefined();
      await expect(image.load()).resolves.toMatchObject({ mime: 'image/png' });
      const video = mediaAttachment({ kind: 'video', url: `${base}/pic.png` }, { allowPrivateNetworks: true });
      await expectPlatformError(video.load(), 'rejected', /^video .* image\/png, not a video$/);
    });

    it('refuses private addresses unless told otherwise, and tries again after a failure', async () => {
      const [image] = mediaAttachments({ images: [{ url: `${base}/pic.png` }] });
      await expectPlatformError(image.load(), 'rejected', /private network address/);
      const [flaky] = mediaAttachments({ images: [{ url: `${base}/broken` }] }, { allowPrivateNetworks: true });
      await expectPlatformError(flaky.load(), 'transient');
      await expectPlatformError(flaky.load(), 'transient');
      expect(hits).toEqual(['/broken', '/broken']);
    });
  });

  describe('fitImage', () => {
    let noisy: Buffer;

    beforeAll(async () => {
      noisy = await sharp(randomBytes(600 * 400 * 3), { raw: { width: 600, height: 400, channels: 3 } }).png().toBuffer();
    });

    it('leaves an image that fits alone', async () => {
      const fitted = await fitImage(png, 'image/png', 1_000_000);
      expect(fitted.bytes).toBe(png);
      expect(fitted).toMatchObject({ mime: 'image/png', size: { width: 40, height: 20 } });
    });

    it('re-encodes and downscales a too-large image until it fits, keeping its shape', async () => {
      expect(noisy.length).toBeGreaterThan(700_000);
      const fitted = await fitImage(noisy, 'image/png', 60_000);
      expect(fitted.mime).toBe('image/jpeg');
      expect(fitted.bytes.length).toBeLessThanOrEqual(60_000);
      expect(sniffMime(fitted.bytes)).toBe('image/jpeg');
      const size = await imageSize(fitted.bytes);
      expect(size).toEqual(fitted.size);
      expect(size!.width / size!.height).toBeCloseTo(1.5, 1);
      expect(size!.width).toBeLessThan(600);
    });

    it('refuses when it cannot be made small enough or cannot be read', async () => {
      await expectPlatformError(fitImage(noisy, 'image/png', 300), 'rejected', /could not be made smaller than 300 bytes/);
      await expectPlatformError(fitImage(Buffer.concat([png.subarray(0, 16), Buffer.alloc(5000)]), 'image/png', 1000), 'rejected', /could not be read/);
    });
  });
});
