import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Platform, PostContent, PostState, PostStatus } from '../../../domain';
import { PLATFORMS, statusOf } from '../../../domain';
import type { JobQueue } from '../../../messaging';
import type { PlatformAdapter } from '../../../platforms';
import { newPostId, newPublishId, PostCommands } from '../../../posts';
import { DEFAULT_WORKSPACE_ID } from '../../../registry';
import { loadConfig, openRuntime, Runtime, type RuntimeConfig } from '../../../runtime';
import { createPlatformAdapters, PUBLISHABLE_PLATFORMS } from '../adapters';
import { RetryBackoff } from '../backoff';
import { Publishing, startPublishing } from '../publisher';

export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface TestRuntime {
  runtime: Runtime;
  config: RuntimeConfig;
  dataDir: string;
  commands: PostCommands;
  workspaceId: string;
  /** Closes the runtime; the data dir stays until `remove()`. */
  close(): Promise<void>;
  /** Closes and deletes the data dir. */
  remove(): Promise<void>;
}

/**
 * The embedded runtime (SQLite event store, read model with its projector, registry,
 * in-process queue) on a temp data dir, without HTTP: what the publishing pieces run on.
 */
export async function openTestRuntime(options: { dataDir?: string; env?: Record<string, string>; messaging?: boolean; projector?: boolean } = {}): Promise<TestRuntime> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'postloom-publishing-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    POSTLOOM_API_KEY: `pl_test_${randomBytes(12).toString('hex')}`,
    MEDIA_ALLOW_PRIVATE_NETWORKS: 'true',
    PLATFORM_ALLOW_PRIVATE_NETWORKS: 'true',
    ...options.env,
  });
  const runtime = await openRuntime(config, { messaging: options.messaging ?? true, projector: options.projector ?? true });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await runtime.close();
  };
  return {
    runtime,
    config,
    dataDir,
    commands: new PostCommands(runtime.eventStore, runtime.clock),
    workspaceId: DEFAULT_WORKSPACE_ID,
    close,
    async remove() {
      await close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function postContent(platforms: Platform[], overrides: Partial<PostContent> = {}): PostContent {
  return {
    content: 'Hello from Postloom',
    platforms,
    media: null,
    segments: null,
    tags: [],
    platform_overrides: {},
    platform_settings: {},
    timezone: 'UTC',
    accounts: null,
    ...overrides,
  };
}

/** Creates a post through the command side; `scheduledFor` makes it scheduled. */
export async function createPost(t: TestRuntime, content: PostContent, scheduledFor: string | null = null): Promise<string> {
  const postId = newPostId();
  await t.commands.execute(
    postId,
    { type: 'CreatePost', post_id: postId, workspace_id: t.workspaceId, content, scheduled_for: scheduledFor, now: t.runtime.clock().toISOString() },
    { workspace_id: t.workspaceId, actor: 'test' },
  );
  return postId;
}

/** What `POST /v1/posts/:id/publish` does: targets resolved from the workspace's accounts. */
export async function requestPublish(t: TestRuntime, postId: string): Promise<string> {
  const publishId = newPublishId();
  await t.commands.execute(
    postId,
    async (state, now) => ({
      type: 'RequestPublish',
      publish_id: publishId,
      trigger: 'api',
      targets: await t.runtime.accounts.resolveTargets(state.workspace_id, state.platforms, state.accounts),
      now,
    }),
    { workspace_id: t.workspaceId, actor: 'test', correlation_id: publishId },
  );
  return publishId;
}

export async function retryPublish(t: TestRuntime, postId: string): Promise<string> {
  const publishId = newPublishId();
  await t.commands.execute(
    postId,
    async (state, now) => {
      const failed = state.platforms.filter((p) => state.progress[p]?.outcome?.success === false);
      const targets = await t.runtime.accounts.resolveTargets(state.workspace_id, failed, null);
      return { type: 'RetryPublish', publish_id: publishId, targets, now };
    },
    { workspace_id: t.workspaceId, actor: 'test', correlation_id: publishId },
  );
  return publishId;
}

export async function stateOf(t: TestRuntime, postId: string): Promise<PostState> {
  return (await t.commands.load(postId)).state;
}

/** Waits until the post (from the event store) has one of these statuses. */
export async function waitForStatus(t: TestRuntime, postId: string, statuses: PostStatus[], timeoutMs = 15_000): Promise<PostState> {
  return waitFor(
    async () => {
      const state = await stateOf(t, postId);
      return statuses.includes(statusOf(state)) ? state : null;
    },
    `post ${postId} is ${statuses.join(' or ')}`,
    timeoutMs,
  );
}

/**
 * An HTTP proxy in front of a platform's test server that holds every request for
 * `delayMs` before passing it on: a platform that answers slowly, or in a fixed time.
 */
export class DelayingProxy {
  private constructor(
    private readonly server: http.Server,
    readonly target: string,
    public delayMs: number,
  ) {}

  static async start(target: string, delayMs: number): Promise<DelayingProxy> {
    const server = http.createServer();
    const proxy = new DelayingProxy(server, target, delayMs);
    server.on('request', (req, res) => void proxy.forward(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined || name === 'host' || name === 'connection' || name === 'content-length') continue;
        headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const answer = await fetch(`${this.target}${req.url ?? '/'}`, {
        method: req.method,
        headers,
        body: chunks.length > 0 && req.method !== 'GET' && req.method !== 'HEAD' ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await answer.arrayBuffer());
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (name !== 'content-length' && name !== 'content-encoding' && name !== 'transfer-encoding' && name !== 'connection') out[name] = value;
      });
      res.writeHead(answer.status, out).end(body);
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    }
  }
}

export interface StartPublishingForOptions {
  queue?: JobQueue;
  platforms?: Platform[];
  adapters?: Partial<Record<Platform, PlatformAdapter>>;
  retryBackoff?: RetryBackoff;
  concurrency?: number;
  /** Default: every platform without an adapter here, as the embedded app does. */
  refusePlatforms?: Platform[];
}

/** The publishers as the embedded app runs them, on the test runtime's ports. */
export async function startPublishingFor(t: TestRuntime, options: StartPublishingForOptions = {}): Promise<Publishing> {
  const queue = options.queue ?? t.runtime.jobQueue;
  if (!queue) throw new Error('the test runtime was opened without messaging; pass a queue');
  const platforms = options.platforms ?? [...PUBLISHABLE_PLATFORMS];
  return startPublishing({
    queue,
    store: t.runtime.eventStore,
    commands: t.commands,
    accounts: t.runtime.accounts,
    adapters: options.adapters ?? createPlatformAdapters(),
    platforms,
    model: t.runtime.readModel,
    concurrency: options.concurrency,
    media: { allowPrivateNetworks: true },
    retryBackoff: options.retryBackoff ?? { initialMs: 20, maxMs: 100 },
    refusePlatforms: options.refusePlatforms ?? PLATFORMS.filter((p) => !platforms.includes(p)),
  });
}
