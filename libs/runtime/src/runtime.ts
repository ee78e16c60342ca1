import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { POST_STREAM_PREFIX } from '../../domain';
import { type EventStore, EventStoreDbEventStore, SqliteEventStore } from '../../event-store';
import { FileMediaStore, GridFsMediaStore, MediaLibrary, type MediaStore, MediaUrlSigner, storedMedia } from '../../media-library';
import type { StoredMedia } from '../../platforms';
import { InProcessJobQueue, type JobQueue, NatsJobQueue } from '../../messaging';
import { MongoReadModel, type PostReadModel, Projector, SqliteReadModel } from '../../read-models';
import {
  Accounts,
  connectMongoRegistry,
  CredentialCipher,
  DEFAULT_WORKSPACE_ID,
  ENCRYPTION_KEY_FILE,
  IdempotencyKeys,
  openSqliteRegistry,
  RateLimiter,
  type RegistryStorage,
  Webhooks,
  Workspaces,
} from '../../registry';
import { OutboundPolicy, PLATFORM_FLAG, usePlatformOutbound } from '../../outbound';
import type { Clock } from '../../wiring';
import { randomUUID } from 'node:crypto';
import { ACCOUNT_STREAM_PREFIX, accountStatusChangedEvent, Credentials, OAuthConnect } from '../../credentials';
import { embeddedApiKey } from './api-key-file';
import { ConfigError, redactUrl, type RuntimeConfig } from './config';
import { connectWithin, withTimeout } from './connect';
import { createLogger, type Logger } from './logger';
import { CountedEventStore, RuntimeMetrics } from './metrics';

export type AdapterName = 'sqlite' | 'eventstoredb' | 'mongodb' | 'in-process' | 'nats';

export interface DependencyHealth {
  status: 'up' | 'down';
  adapter: AdapterName;
  latency_ms: number;
  error?: string;
}

export interface ProjectionHealth {
  /** Whether this process runs the projector (embedded mode, or `apps/projector`). */
  running_here: boolean;
  checkpoint: string | null;
  head: string;
  /** Store positions between the head and the checkpoint; 0 when caught up. */
  lag: number;
}

export interface HealthReport {
  /** `ok` when every dependency answers, else `unavailable`. */
  status: 'ok' | 'unavailable';
  live: true;
  ready: boolean;
  mode: 'embedded' | 'distributed';
  uptime_seconds: number;
  checks: {
    event_store: DependencyHealth;
    read_model: DependencyHealth & { projection?: ProjectionHealth };
    /** Absent in processes without a registry (the projector). */
    registry?: DependencyHealth;
  };
}

export interface OpenRuntimeOptions {
  /** Run the projector in this process. Default: true in embedded mode (no MONGO_URL). */
  projector?: boolean;
  /** Open the job queue (in-process, or NATS when NATS_URL is set). Default true. */
  messaging?: boolean;
  /** Deliveries of a job before it is given up, and (NATS) how long an unacknowledged job waits. */
  queue?: { maxAttempts?: number; ackWaitMs?: number };
  /** Refuse to start unless these servers are configured (the distributed apps). */
  require?: ('EVENTSTORE_URL' | 'MONGO_URL' | 'NATS_URL')[];
  logger?: Logger;
  clock?: Clock;
}

/** Name under which the projector keeps its checkpoint. */
export const POSTS_PROJECTOR = 'posts';
const HEALTH_TIMEOUT_MS = 2000;
const POST_PREFIXES = [POST_STREAM_PREFIX];

/**
 * Everything a process needs, opened once: the adapters chosen by the environment, the
 * registry services, logger, clock and metrics. Nest modules receive these through
 * `RuntimeModule.forRuntime(runtime)`; apps compose them in a few lines.
 */
export interface Runtime {
  readonly config: RuntimeConfig;
  readonly mode: 'embedded' | 'distributed';
  readonly adapters: { eventStore: AdapterName; readModel: AdapterName; registry: AdapterName; messaging: AdapterName | null; media: 'files' | 'gridfs' };
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: RuntimeMetrics;
  readonly eventStore: EventStore;
  readonly readModel: PostReadModel;
  /** Null when opened with `messaging: false`. */
  readonly jobQueue: JobQueue | null;
  readonly registry: RegistryStorage;
  readonly cipher: CredentialCipher;
  readonly workspaces: Workspaces;
  readonly accounts: Accounts;
  /** The credentials port: usable tokens, refreshes, account health. */
  readonly credentials: Credentials;
  /** Connecting accounts with OAuth. */
  readonly oauthConnect: OAuthConnect;
  readonly webhooks: Webhooks;
  readonly idempotencyKeys: IdempotencyKeys;
  readonly rateLimiter: RateLimiter;
  /** Media items: files under `${dataDir}/media`, or GridFS when MONGO_URL is set. */
  readonly media: MediaLibrary;
  readonly mediaUrls: MediaUrlSigner;
  /** The library as platform adapters read it (`media_id` attachments). */
  readonly storedMedia: StoredMedia;
  /** The key valid for workspace `default` (from POSTLOOM_API_KEY or `${dataDir}/api-key`); null when none. */
  readonly apiKey: string | null;
  readonly apiKeySource: 'env' | 'file' | 'generated' | null;
  readonly projector: Projector | null;
  health(): Promise<HealthReport>;
  /** Projection lag in store positions, or null when unknown. */
  projectionLag(): Promise<number | null>;
  /** Registers work to do on close (publishers, schedulers); run in reverse order, before the adapters close. */
  onClose(stop: () => Promise<void> | void): void;
  close(): Promise<void>;
}

async function probe(adapter: AdapterName, check: () => Promise<unknown>, what: string): Promise<DependencyHealth> {
  const started = performance.now();
  try {
    await withTimeout(check(), HEALTH_TIMEOUT_MS, what);
    return { status: 'up', adapter, latency_ms: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return {
      status: 'down',
      adapter,
      latency_ms: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

/** MongoDB's client waits 30 s per server selection by default; the retry loop wants shorter tries. */
function withShortServerSelection(url: string): string {
  if (/[?&]serverSelectionTimeoutMS=/i.test(url)) return url;
  const param = 'serverSelectionTimeoutMS=5000';
  if (url.includes('?')) return `${url}&${param}`;
  const hostsOnly = /^mongodb(\+srv)?:\/\/[^/]*$/.test(url);
  return hostsOnly ? `${url}/?${param}` : `${url}?${param}`;
}

/** An adapter opened by the runtime, with how to close it. */
export interface Opened<T> {
  value: T;
  adapter: AdapterName;
  /** Where it lives, for the startup log (credentials removed). */
  location: string;
}

/** EventStoreDB when EVENTSTORE_URL is set (waiting up to the connect timeout for it), else `${dataDir}/events.sqlite`. */
export async function openEventStore(config: RuntimeConfig, logger: Logger): Promise<Opened<EventStore>> {
  if (config.eventStoreUrl) {
    const url = config.eventStoreUrl;
    const store = new EventStoreDbEventStore(url, {
      logger: {
        warn: (fields, message) => logger.warn(fields, message),
        error: (fields, message) => logger.error(fields, message),
      },
    });
    try {
      await connectWithin('EventStoreDB', url, config.connectTimeoutMs, logger, () => store.headPosition());
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    return { value: store, adapter: 'eventstoredb', location: redactUrl(url) };
  }
  const path = join(config.dataDir, 'events.sqlite');
  return { value: SqliteEventStore.open(path), adapter: 'sqlite', location: path };
}

/** GridFS when MONGO_URL is set (so publishers on any host read the same bytes), else files under `${dataDir}/media`. */
export async function openMediaStore(config: RuntimeConfig, logger: Logger): Promise<Opened<MediaStore>> {
  if (config.mongoUrl) {
    const url = config.mongoUrl;
    const store = await connectWithin('MongoDB (media)', url, config.connectTimeoutMs, logger, () => GridFsMediaStore.connect(withShortServerSelection(url)));
    return { value: store, adapter: 'mongodb', location: redactUrl(url) };
  }
  const path = join(config.dataDir, 'media');
  return { value: new FileMediaStore(path), adapter: 'sqlite', location: path };
}

/**
 * Signed media links are checked by whichever process serves them, so the key comes from
 * the one secret every process of a deployment shares: the encryption key (env or file).
 */
function mediaSigningKey(config: RuntimeConfig): Buffer {
  const secret = config.encryptionKey ?? readFileSync(join(config.dataDir, ENCRYPTION_KEY_FILE), 'utf8').trim();
  return createHmac('sha256', secret).update('postloom media url signing v1').digest();
}

/** MongoDB when MONGO_URL is set, else `${dataDir}/read.sqlite`. */
export async function openReadModel(config: RuntimeConfig, logger: Logger): Promise<Opened<PostReadModel>> {
  if (config.mongoUrl) {
    const url = config.mongoUrl;
    const model = await connectWithin('MongoDB (read model)', url, config.connectTimeoutMs, logger, () => MongoReadModel.connect(withShortServerSelection(url)));
    return { value: model, adapter: 'mongodb', location: redactUrl(url) };
  }
  const path = join(config.dataDir, 'read.sqlite');
  return { value: new SqliteReadModel(path), adapter: 'sqlite', location: path };
}

/** The projector that keeps the post read model up to date, logging through pino. */
export function postsProjector(eventStore: EventStore, readModel: PostReadModel, logger: Logger): Projector {
  return new Projector({
    store: eventStore,
    model: readModel,
    name: POSTS_PROJECTOR,
    logger: { error: (message, error) => logger.error({ err: error, projector: POSTS_PROJECTOR }, message) },
  });
}

/** Store positions the read model is behind the post streams (0 when caught up). */
export async function projectionLagOf(eventStore: EventStore, readModel: PostReadModel): Promise<number> {
  const [head, checkpoint] = await Promise.all([eventStore.headPosition(POST_PREFIXES), readModel.checkpoint(POSTS_PROJECTOR)]);
  const lag = head - (checkpoint ?? 0n);
  return lag > 0n ? Number(lag) : 0;
}

export interface HealthSources {
  mode: 'embedded' | 'distributed';
  startedAt: number;
  eventStore: { store: EventStore; adapter: AdapterName };
  readModel: { model: PostReadModel; adapter: AdapterName };
  registry?: { storage: RegistryStorage; adapter: AdapterName };
  projectorRunningHere: boolean;
}

/** Probes each dependency (bounded in time) and reports readiness with the projection lag. */
export async function checkHealth(sources: HealthSources): Promise<HealthReport> {
  const { eventStore, readModel, registry } = sources;
  let head = 0n;
  let checkpoint: bigint | null = null;
  const [eventStoreHealth, readModelHealth, registryHealth] = await Promise.all([
    probe(
      eventStore.adapter,
      async () => {
        head = await eventStore.store.headPosition(POST_PREFIXES);
        // A subscription the server refused for good never heals: this process is not ready.
        const failed = eventStore.store.failedSubscriptions?.() ?? [];
        if (failed.length > 0) throw new Error(failed.map((f) => `${f.name} subscription stopped for good: ${f.reason}`).join('; '));
      },
      'event store',
    ),
    probe(readModel.adapter, async () => (checkpoint = await readModel.model.checkpoint(POSTS_PROJECTOR)), 'read model'),
    registry ? probe(registry.adapter, () => registry.storage.getWorkspace(DEFAULT_WORKSPACE_ID), 'registry') : Promise.resolve(undefined),
  ]);
  const readModelCheck: HealthReport['checks']['read_model'] = { ...readModelHealth };
  if (eventStoreHealth.status === 'up' && readModelHealth.status === 'up') {
    const cp = checkpoint as bigint | null;
    const lag = head - (cp ?? 0n);
    readModelCheck.projection = {
      running_here: sources.projectorRunningHere,
      checkpoint: cp === null ? null : cp.toString(),
      head: head.toString(),
      lag: lag > 0n ? Number(lag) : 0,
    };
  }
  const checks: HealthReport['checks'] = { event_store: eventStoreHealth, read_model: readModelCheck };
  if (registryHealth) checks.registry = registryHealth;
  const ready = Object.values(checks).every((check) => check?.status === 'up');
  return {
    status: ready ? 'ok' : 'unavailable',
    live: true,
    ready,
    mode: sources.mode,
    uptime_seconds: Math.round((Date.now() - sources.startedAt) / 1000),
    checks,
  };
}

export async function openRuntime(config: RuntimeConfig, options: OpenRuntimeOptions = {}): Promise<Runtime> {
  const missing = (options.require ?? []).filter(
    (name) => (name === 'EVENTSTORE_URL' && !config.eventStoreUrl) || (name === 'MONGO_URL' && !config.mongoUrl) || (name === 'NATS_URL' && !config.natsUrl),
  );
  if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name} is required by this app`));
  if (config.mongoUrl && !config.encryptionKey) {
    // Replicas share the registry, so they must share the key; a generated per-host file would not.
    throw new ConfigError(['POSTLOOM_ENCRYPTION_KEY is required when MONGO_URL is set (32 bytes, base64 or hex)']);
  }

  const logger = options.logger ?? createLogger(config.logLevel);
  // Every platform and OAuth call of this process (requestJson, the Bluesky client) is checked against it.
  usePlatformOutbound(new OutboundPolicy({ allowPrivateNetworks: config.platformAllowPrivateNetworks, flag: PLATFORM_FLAG }));
  const clock: Clock = options.clock ?? (() => new Date());
  const mode = config.eventStoreUrl || config.mongoUrl ? 'distributed' : 'embedded';
  const startedAt = Date.now();
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        logger.error({ err: error }, 'error while closing');
      }
    }
  };

  try {
    let lagSource: () => Promise<number | null> = async () => null;
    const metrics = new RuntimeMetrics(() => lagSource());

    const openedStore = await openEventStore(config, logger);
    closers.push(() => openedStore.value.close());
    const eventStoreAdapter = openedStore.adapter;
    const eventStore = new CountedEventStore(openedStore.value, metrics.eventsAppended);

    const openedModel = await openReadModel(config, logger);
    const readModel = openedModel.value;
    const readModelAdapter = openedModel.adapter;
    closers.push(() => readModel.close());

    // Registry.
    let registry: RegistryStorage;
    let registryAdapter: AdapterName;
    if (config.mongoUrl) {
      const url = config.mongoUrl;
      registry = await connectWithin('MongoDB (registry)', url, config.connectTimeoutMs, logger, () => connectMongoRegistry(withShortServerSelection(url)));
      registryAdapter = 'mongodb';
    } else {
      registry = openSqliteRegistry(join(config.dataDir, 'registry.sqlite'));
      registryAdapter = 'sqlite';
    }
    const storage = registry;
    closers.push(() => storage.close());

    const cipher = CredentialCipher.fromEnvironment(config.dataDir, { POSTLOOM_ENCRYPTION_KEY: config.encryptionKey ?? undefined });
    const workspaces = new Workspaces(registry);
    const accounts = new Accounts(registry, cipher);
    const credentials = new Credentials({
      storage: registry,
      accounts,
      cipher,
      logger,
      env: config.oauthEnv,
      leaseMs: config.tokenRefreshLeaseMs,
      // A fact in the store: webhook delivery turns it into account.reconnect_required / account.expiring.
      onStatusChange: async (change) => {
        await eventStore.append(`${ACCOUNT_STREAM_PREFIX}${change.account_id}`, [accountStatusChangedEvent(change, randomUUID())], 'any');
      },
    });
    const oauthConnect = new OAuthConnect({
      storage: registry,
      accounts,
      credentials,
      cipher,
      env: config.oauthEnv,
      publicUrl: () => config.publicUrl ?? `http://localhost:${config.port}`,
    });
    const webhooks = new Webhooks(registry, cipher);
    const idempotencyKeys = new IdempotencyKeys(registry);
    const rateLimiter = new RateLimiter();

    const openedMedia = await openMediaStore(config, logger);
    const mediaStore = openedMedia.value;
    closers.push(() => mediaStore.close());
    const media = new MediaLibrary(
      mediaStore,
      { maxImageBytes: config.mediaMaxImageBytes, maxVideoBytes: config.mediaMaxVideoBytes, quotaBytes: config.mediaQuotaBytes },
      clock,
    );
    const mediaUrls = new MediaUrlSigner(mediaSigningKey(config), config.publicUrl ?? `http://localhost:${config.port}`);

    // Bootstrap key of workspace `default`.
    let apiKey: string | null = config.apiKey;
    let apiKeySource: Runtime['apiKeySource'] = apiKey ? 'env' : null;
    if (!apiKey && registryAdapter === 'sqlite') {
      const fromFile = embeddedApiKey(config.dataDir);
      apiKey = fromFile.key;
      apiKeySource = fromFile.generated ? 'generated' : 'file';
    }
    if (apiKey) await workspaces.ensureBootstrapKey(apiKey, { rate_limit_per_minute: config.rateLimitPerMinute });

    // Messaging.
    let jobQueue: JobQueue | null = null;
    let messagingAdapter: AdapterName | null = null;
    if (options.messaging !== false) {
      if (config.natsUrl) {
        const url = config.natsUrl;
        jobQueue = await connectWithin('NATS', url, config.connectTimeoutMs, logger, () =>
          NatsJobQueue.connect({
            servers: url.split(',').map((s) => s.trim()),
            maxDeliver: options.queue?.maxAttempts,
            ackWaitMs: options.queue?.ackWaitMs,
            onError: (error, context) => logger.error({ err: error, context }, 'job queue error'),
          }),
        );
        messagingAdapter = 'nats';
      } else {
        jobQueue = new InProcessJobQueue({
          maxAttempts: options.queue?.maxAttempts,
          onError: (error, context) => logger.error({ err: error, context }, 'job queue error'),
        });
        messagingAdapter = 'in-process';
      }
      const queue = jobQueue;
      closers.push(() => queue.close());
    }

    // Projector.
    let projector: Projector | null = null;
    if (options.projector ?? readModelAdapter === 'sqlite') {
      const running = postsProjector(eventStore, readModel, logger);
      await running.start();
      projector = running;
      closers.push(() => running.stop());
    }

    const projectionLag = (): Promise<number> => projectionLagOf(eventStore, readModel);
    lagSource = projectionLag;

    logger.info(
      {
        mode,
        event_store: `${eventStoreAdapter} ${openedStore.location}`,
        read_model: `${readModelAdapter} ${openedModel.location}`,
        registry: registryAdapter === 'sqlite' ? `sqlite ${join(config.dataDir, 'registry.sqlite')}` : `mongodb ${redactUrl(config.mongoUrl ?? '')}`,
        media: `${mediaStore.adapter} ${openedMedia.location}`,
        messaging: messagingAdapter === 'nats' ? `nats ${redactUrl(config.natsUrl ?? '')}` : messagingAdapter,
        projector: projector ? 'in this process' : 'elsewhere',
        bootstrap_key: apiKeySource ?? 'none (use the CLI to create keys)',
      },
      'runtime opened',
    );

    let closing: Promise<void> | null = null;
    const runtime: Runtime = {
      config,
      mode,
      adapters: { eventStore: eventStoreAdapter, readModel: readModelAdapter, registry: registryAdapter, messaging: messagingAdapter, media: mediaStore.adapter },
      logger,
      clock,
      metrics,
      eventStore,
      readModel,
      jobQueue,
      registry,
      cipher,
      workspaces,
      accounts,
      credentials,
      oauthConnect,
      webhooks,
      idempotencyKeys,
      rateLimiter,
      media,
      mediaUrls,
      storedMedia: storedMedia(media, mediaUrls, clock),
      apiKey,
      apiKeySource,
      projector,
      projectionLag,
      health() {
        return checkHealth({
          mode,
          startedAt,
          eventStore: { store: eventStore, adapter: eventStoreAdapter },
          readModel: { model: readModel, adapter: readModelAdapter },
          registry: { storage: registry, adapter: registryAdapter },
          projectorRunningHere: projector !== null,
        });
      },
      onClose(stop) {
        closers.push(stop);
      },
      close() {
        closing ??= closeAll().then(() => logger.info('runtime closed'));
        return closing;
      },
    };
    return runtime;
  } catch (error) {
    await closeAll();
    throw error;
  }
}
