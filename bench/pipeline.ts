import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { POST_STREAM_PREFIX } from '../libs/domain';
import type { RecordedEvent } from '../libs/event-store';
import { InProcessJobQueue, JobQueue, NatsJobQueue } from '../libs/messaging';
import { createPost, openTestRuntime, postContent, requestPublish, startPublishingFor, TestRuntime } from '../libs/publishing/testing';
import { startNatsServer } from '../test/support/nats-server';

const PLATFORM_LATENCY_MS = 50;
const BURST_POSTS = Number(process.env.BENCH_PIPELINE_POSTS ?? 500);
const SERIAL_POSTS = Number(process.env.BENCH_PIPELINE_SERIAL_POSTS ?? 50);
const CONCURRENCY = Number(process.env.BENCH_PIPELINE_CONCURRENCY ?? 32);

/** A Mastodon instance reduced to what publishing needs, answering every status in a fixed 50 ms. */
async function startLocalInstance(): Promise<{ url: string; statuses: () => number; close(): Promise<void> }> {
  let nextId = 1;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method === 'GET' && req.url === '/api/v2/instance') {
        return answer(200, { configuration: { statuses: { max_characters: 500, max_media_attachments: 4, characters_reserved_per_url: 23 } } });
      }
      if (req.method === 'POST' && req.url === '/api/v1/statuses') {
        const id = String(nextId++);
        setTimeout(() => answer(200, { id, url: `${url}/@bench/${id}`, uri: `${url}/statuses/${id}` }), PLATFORM_LATENCY_MS);
        return;
      }
      answer(404, { error: 'Record not found' });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    statuses: () => nextId - 1,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Watches the store: when each publish was requested and when its platform was published. */
function watchPublishing(t: TestRuntime, from: bigint) {
  const requestedAt = new Map<string, number>();
  const latencies: number[] = [];
  let published = 0;
  let lastPublishedAt = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const subscription = t.runtime.eventStore.subscribe(
    (event: RecordedEvent) => {
      const publishId = (event.data as { publish_id?: string }).publish_id;
      if (!publishId) return;
      if (event.type === 'PublishRequested') requestedAt.set(publishId, Date.parse(event.metadata.occurred_at));
      if (event.type === 'PlatformPublished' || event.type === 'PlatformFailed') {
        if (event.type === 'PlatformFailed') throw new Error(`publish ${publishId} failed: ${JSON.stringify(event.data)}`);
        const started = requestedAt.get(publishId);
        if (started !== undefined) latencies.push(Date.parse(event.metadata.occurred_at) - started);
        published++;
        lastPublishedAt = performance.now();
        for (const w of waiters.filter((w) => published >= w.count)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    },
    { from, streamPrefixes: [POST_STREAM_PREFIX] },
  );
  return {
    latencies,
    get lastPublishedAt() {
      return lastPublishedAt;
    },
    until(count: number, timeoutMs: number): Promise<void> {
      if (published >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${published} of ${count} published after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    stop: () => subscription.stop(),
  };
}

async function measure(mode: 'embedded' | 'nats', makeQueue: () => Promise<JobQueue>): Promise<Record<string, number>> {
  const instance = await startLocalInstance();
  const t = await openTestRuntime({ messaging: false });
  const queue = await makeQueue();
  try {
    await t.runtime.accounts.connect(t.workspaceId, { platform: 'mastodon', name: 'bench', credentials: { access_token: 'bench' }, base_url: instance.url });
    const publishing = await startPublishingFor(t, { queue, platforms: ['mastodon'], concurrency: CONCURRENCY });
    try {
      await publishing.ready;
      const from = await t.runtime.eventStore.headPosition();
      const watch = watchPublishing(t, from);

      // Unloaded: one post at a time, the pipeline's own latency.
      const serialIds: string[] = [];
      for (let i = 0; i < SERIAL_POSTS; i++) serialIds.push(await createPost(t, postContent(['mastodon'], { content: `serial ${i}` })));
      for (let i = 0; i < serialIds.length; i++) {
        await requestPublish(t, serialIds[i]);
        await watch.until(i + 1, 30_000);
      }
      const serial = [...watch.latencies].sort((a, b) => a - b);

      // Loaded: a burst of posts published at once.
      const burstIds: string[] = [];
      for (let i = 0; i < BURST_POSTS; i++) burstIds.push(await createPost(t, postContent(['mastodon'], { content: `burst ${i}` })));
      const started = performance.now();
      for (let i = 0; i < burstIds.length; i += 50) await Promise.all(burstIds.slice(i, i + 50).map((id) => requestPublish(t, id)));
      const requestedMs = performance.now() - started;
      await watch.until(SERIAL_POSTS + BURST_POSTS, 300_000);
      const elapsedMs = watch.lastPublishedAt - started;
      const burst = watch.latencies.slice(SERIAL_POSTS).sort((a, b) => a - b);
      await watch.stop();
      if (instance.statuses() !== SERIAL_POSTS + BURST_POSTS) throw new Error(`${instance.statuses()} statuses posted for ${SERIAL_POSTS + BURST_POSTS} posts`);

      const figures = {
        platform_latency_ms: PLATFORM_LATENCY_MS,
        concurrency: CONCURRENCY,
        serial_posts: SERIAL_POSTS,
        serial_latency_p50_ms: percentile(serial, 50),
        serial_latency_p99_ms: percentile(serial, 99),
        burst_posts: BURST_POSTS,
        burst_request_ms: Math.round(requestedMs),
        burst_elapsed_ms: Math.round(elapsedMs),
        burst_posts_per_s: Math.round((BURST_POSTS * 1000) / elapsedMs),
        burst_latency_p50_ms: percentile(burst, 50),
        burst_latency_p99_ms: percentile(burst, 99),
      };
      console.log(
        `pipeline (${mode}): ${figures.burst_posts_per_s} posts/s fully published (${BURST_POSTS} at once, concurrency ${CONCURRENCY}, platform ${PLATFORM_LATENCY_MS} ms); ` +
          `publish -> PlatformPublished p50 ${figures.serial_latency_p50_ms} ms / p99 ${figures.serial_latency_p99_ms} ms one at a time, ` +
          `p50 ${figures.burst_latency_p50_ms} ms / p99 ${figures.burst_latency_p99_ms} ms in the burst`,
      );
      return figures;
    } finally {
      await publishing.stop();
    }
  } finally {
    await queue.close();
    await t.remove();
    await instance.close();
  }
}

/**
 * Publishing pipeline: posts fully published per second and the latency from the publish
 * request to `PlatformPublished`, through the real dispatcher, queue, publisher, Mastodon
 * adapter and command side, against a local instance answering in a fixed 50 ms. Once
 * embedded (SQLite, in-process queue) and once over a local nats-server (JetStream).
 */
export async function benchPipeline(): Promise<Record<string, unknown>> {
  const embedded = await measure('embedded', async () => new InProcessJobQueue());
  const nats = await startNatsServer();
  try {
    const overNats = await measure('nats', () => NatsJobQueue.connect({ servers: nats.url }));
    return { embedded, nats: overNats };
  } finally {
    await nats.stop();
  }
}

if (require.main === module) {
  benchPipeline().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
