import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import { readFacts } from '../libs/media-library';
import { sampleMp4Stream } from '../libs/media-library/src/testing/sample-mp4';
import { startServer, stopServer } from './api';

/**
 * The media library: a 500 MB video uploaded over loopback (multipart, streamed) with the
 * app's RSS sampled throughout; the facts of a 500 MB video read from its file; 100
 * concurrent 1 MB image uploads. Files are generated here, never committed.
 * Targets: >= 100 MB/s with RSS growth < 64 MB; facts < 1 s; p99 < 500 ms.
 */

const VIDEO_BYTES = 500 * 1000 * 1000;
const IMAGE_UPLOADS = 100;

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kib ? Number(kib) * 1024 : 0;
}

function mb(bytes: number): number {
  return Math.round((bytes / 1e6) * 10) / 10;
}

/** One multipart upload whose file part streams from `file`; resolves with the answer and the bytes sent. */
function uploadStream(url: string, apiKey: string, file: Readable): Promise<{ status: number; body: string; sent: number }> {
  const boundary = `----postloom${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    let sent = 0;
    const request = http.request(`${url}/v1/media`, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString(), sent }));
    });
    request.on('error', reject);
    async function* body(): AsyncGenerator<Buffer> {
      yield head;
      for await (const chunk of file) {
        sent += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      yield tail;
    }
    pipeline(Readable.from(body()), request).catch(reject);
  });
}

async function bigUpload(url: string, apiKey: string, pid: number): Promise<Record<string, unknown>> {
  const baseline = rssOf(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
  const started = performance.now();
  const answer = await uploadStream(url, apiKey, sampleMp4Stream({ width: 1920, height: 1080, frameRate: 30, durationS: 600, audio: true, payloadBytes: VIDEO_BYTES, moovAtEnd: true }));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(pid));
  if (answer.status !== 201) throw new Error(`the 500 MB upload answered ${answer.status}: ${answer.body}`);
  const item = JSON.parse(answer.body) as { bytes: number; duration_s: number };
  return {
    bytes: answer.sent,
    seconds: Math.round(seconds * 100) / 100,
    mb_per_s: mb(answer.sent / seconds),
    rss_baseline_mb: mb(baseline),
    rss_peak_mb: mb(peak),
    rss_growth_mb: mb(peak - baseline),
    facts_seen: { bytes: item.bytes, duration_s: item.duration_s },
    target: '>= 100 MB/s, RSS growth < 64 MB',
  };
}

async function factsOfBigVideo(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, 'big.mp4');
  await pipeline(sampleMp4Stream({ width: 3840, height: 2160, frameRate: 60, durationS: 300, audio: true, payloadBytes: VIDEO_BYTES, moovAtEnd: true }), createWriteStream(path));
  const size = statSync(path).size;
  const handle = await open(path, 'r');
  const head = Buffer.alloc(64);
  await handle.read(head, 0, 64, 0);
  await handle.close();
  const { createReadStream } = await import('node:fs');
  const runs: number[] = [];
  let facts: unknown;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    facts = await readFacts(async (range) => createReadStream(path, range ? { start: range.start, end: range.end } : {}), size, head);
    runs.push(performance.now() - started);
  }
  return { bytes: size, ms_first: Math.round(runs[0] * 10) / 10, ms_best: Math.round(Math.min(...runs) * 10) / 10, facts, target: '< 1000 ms' };
}

async function concurrentImages(url: string, apiKey: string): Promise<Record<string, unknown>> {
  // Distinct noise images (no two alike, so none is deduplicated), about 1 MB each as PNG.
  const images = await Promise.all(
    Array.from({ length: IMAGE_UPLOADS }, () => sharp(randomBytes(580 * 580 * 3), { raw: { width: 580, height: 580, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer()),
  );
  // node:http with a ready multipart body: undici's FormData encoding costs the client
  // several times the server's time for 100 parallel bodies, and would be measured instead.
  const boundary = `----postloom${randomBytes(8).toString('hex')}`;
  const bodies = images.map((bytes) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="noise.png"\r\nContent-Type: image/png\r\n\r\n`),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  );
  const latencies = await Promise.all(
    bodies.map(
      (body) =>
        new Promise<number>((resolve, reject) => {
          const started = performance.now();
          const request = http.request(`${url}/v1/media`, {
            method: 'POST',
            agent: false,
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
          });
          request.on('response', (response) => {
            response.resume();
            response.on('end', () => (response.statusCode === 201 ? resolve(performance.now() - started) : reject(new Error(`an image upload answered ${response.statusCode}`))));
          });
          request.on('error', reject);
          request.end(body);
        }),
    ),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] * 10) / 10;
  return {
    uploads: IMAGE_UPLOADS,
    mean_image_mb: mb(images.reduce((sum, b) => sum + b.length, 0) / images.length),
    p50_ms: at(0.5),
    p99_ms: at(0.99),
    max_ms: Math.round(latencies[latencies.length - 1] * 10) / 10,
    target: 'p99 < 500 ms',
  };
}

export async function benchMedia(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'postloom-bench-media-'));
  const apiKey = `pl_bench_${randomBytes(16).toString('hex')}`;
  const { child, url } = await startServer(join(dir, 'data'), apiKey);
  try {
    const upload = await bigUpload(url, apiKey, child.pid as number);
    console.log('500 MB upload:', upload);
    const images = await concurrentImages(url, apiKey);
    console.log('100 concurrent 1 MB images:', images);
    await stopServer(child);
    const facts = await factsOfBigVideo(dir);
    console.log('facts of a 500 MB video:', facts);
    return { upload_500mb: upload, concurrent_images: images, facts_500mb_video: facts };
  } finally {
    await stopServer(child);
    rmSync(dir, { recursive: true, force: true });
  }
}
