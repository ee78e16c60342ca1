import {
  AckPolicy,
  connect,
  ConnectionOptions,
  Consumer,
  ConsumerMessages,
  DeliverPolicy,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
  NatsConnection,
  ErrorCode,
  Events,
  NatsError,
  nanos,
  RetentionPolicy,
  StorageType,
} from 'nats';
import {
  assertPlatformName,
  assertPublishJob,
  copyJob,
  DEFAULT_ERROR_BACKOFF,
  ErrorBackoff,
  MessagingErrorReporter,
  reportToStderr,
  resolveConcurrency,
  runHandler,
} from './handler-run';
import { ConsumeOptions, JobConsumer, JobDelivery, JobHandler, JobOutcome, JobQueue, PublishJob } from './port';

export interface NatsJobQueueOptions {
  servers: string | string[];
  /** JetStream stream holding every platform's jobs. Default `POSTLOOM_PUBLISH`. */
  stream?: string;
  /** Jobs are published on `<subjectPrefix>.<platform>`. Default `postloom.publish`. */
  subjectPrefix?: string;
  /** Deliveries of one job before JetStream stops redelivering it; `JobDelivery.maxAttempts`. Default 8. */
  maxDeliver?: number;
  /** A delivery not acked (nor heartbeated) within this time is redelivered. Default 30 s. */
  ackWaitMs?: number;
  /** Window in which a second publish with the same job id is dropped by the server. Default 2 min. */
  duplicateWindowMs?: number;
  /** Delay before retrying a job whose handler threw. Default 1 s doubling up to 60 s. */
  errorBackoff?: ErrorBackoff;
  /** How long one pull request waits on the server for a job. Default 10 s (minimum 1 s). */
  pullExpiresMs?: number;
  /** How long `enqueue` waits for the server's confirmation (and for a reconnect) per try. Default 5 s. */
  publishTimeoutMs?: number;
  /** Further client settings (credentials, TLS, name, reconnect timing). */
  connection?: Omit<Partial<ConnectionOptions>, 'servers'>;
  onError?: MessagingErrorReporter;
}

interface Settings {
  stream: string;
  subjectPrefix: string;
  maxDeliver: number;
  ackWaitMs: number;
  duplicateWindowMs: number;
  errorBackoff: ErrorBackoff;
  pullExpiresMs: number;
  publishTimeoutMs: number;
  report: MessagingErrorReporter;
}

const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The distributed mode's work queue on NATS JetStream: one stream with work-queue retention
 * over `<prefix>.>`, and one durable pull consumer per platform (`publisher-<platform>`)
 * that every publisher replica of that platform shares, so each job goes to one replica.
 * Enqueueing sets `Nats-Msg-Id` to the job id: the server drops a second publish of the
 * same job within the duplicate window.
 */
export class NatsJobQueue implements JobQueue {
  private readonly consumers = new Set<NatsPlatformConsumer>();
  private closing: Promise<void> | null = null;
  /** Resolves once the connection is up again; null while connected. */
  private reconnected: { promise: Promise<void>; resolve: () => void } | null = null;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly settings: Settings,
  ) {
    void this.followConnection();
  }

  /** Connects and creates the stream, or updates its subjects and duplicate window. */
  static async connect(options: NatsJobQueueOptions): Promise<NatsJobQueue> {
    const settings: Settings = {
      stream: options.stream ?? 'POSTLOOM_PUBLISH',
      subjectPrefix: options.subjectPrefix ?? 'postloom.publish',
      maxDeliver: options.maxDeliver ?? 8,
      ackWaitMs: options.ackWaitMs ?? 30_000,
      duplicateWindowMs: options.duplicateWindowMs ?? 2 * 60 * 1000,
      errorBackoff: options.errorBackoff ?? DEFAULT_ERROR_BACKOFF,
      pullExpiresMs: Math.max(options.pullExpiresMs ?? 10_000, 1_000),
      publishTimeoutMs: options.publishTimeoutMs ?? 5_000,
      report: options.onError ?? reportToStderr,
    };
    if (!Number.isInteger(settings.maxDeliver) || settings.maxDeliver < 1) {
      throw new RangeError(`maxDeliver must be a positive integer, got ${String(options.maxDeliver)}`);
    }
    if (!(settings.ackWaitMs > 0)) throw new RangeError(`ackWaitMs must be positive, got ${settings.ackWaitMs}`);
    if (!(settings.duplicateWindowMs > 0)) {
      throw new RangeError(`duplicateWindowMs must be positive, got ${settings.duplicateWindowMs}`);
    }
    const nc = await connect({
      name: 'postloom',
      // A worker outlives any outage of the server: keep reconnecting instead of giving up after 10 tries.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      ...options.connection,
      servers: options.servers,
    });
    try {
      const jsm = await nc.jetstreamManager();
      const queue = new NatsJobQueue(nc, nc.jetstream(), jsm, settings);
      await queue.ensureStream();
      return queue;
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /**
   * Publishes the job and waits for JetStream to confirm it is stored. A publish sent while
   * the client is reconnecting can vanish without an answer, so it waits for the connection
   * first and tries again on a timeout: the job id as `Nats-Msg-Id` makes a second try harmless.
   */
  async enqueue(job: PublishJob): Promise<void> {
    this.assertOpen();
    assertPublishJob(job);
    const { publishTimeoutMs } = this.settings;
    const data = encoder.encode(JSON.stringify(copyJob(job)));
    for (let tries = 1; ; tries++) {
      const reconnected = this.reconnected;
      if (reconnected !== null) await Promise.race([reconnected.promise, delay(publishTimeoutMs)]);
      try {
        await this.js.publish(this.subjectOf(job.platform), data, { msgID: job.id, timeout: publishTimeoutMs });
        return;
      } catch (err) {
        const timedOut = err instanceof NatsError && err.code === ErrorCode.Timeout;
        const noStream = err instanceof NatsError && err.code === ErrorCode.NoResponders;
        if (!(timedOut || noStream) || tries >= 3 || this.closing !== null || this.nc.isClosed()) throw err;
        // Nobody stores the subject: the server lost its store or the stream was deleted; make it again.
        if (noStream) await this.ensureStream().catch(() => undefined);
      }
    }
  }

  async consume(platform: string, handler: JobHandler, options: ConsumeOptions = {}): Promise<JobConsumer> {
    this.assertOpen();
    assertPlatformName(platform);
    const concurrency = resolveConcurrency(options.concurrency);
    // Done once up front so that a misconfiguration fails the caller instead of a background loop.
    const pullConsumer = await this.ensureConsumer(platform);
    this.assertOpen();
    const consumer = new NatsPlatformConsumer(
      {
        pullConsumer: () => this.ensureConsumer(platform),
        isConnectionClosed: () => this.nc.isClosed(),
        settings: this.settings,
        forget: (c) => this.consumers.delete(c),
      },
      pullConsumer,
      handler,
      concurrency,
    );
    this.consumers.add(consumer);
    return consumer;
  }

  /** Stops every consumer (waiting for in-flight handlers), then drains the connection. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    if (this.nc.isClosed()) return;
    // Draining flushes the acks just sent; it waits for the server, so a dead server must not hang close().
    const drained = this.nc.drain().then(
      () => true,
      () => false,
    );
    const inTime = await Promise.race([drained, delay(5_000).then(() => false)]);
    if (!inTime && !this.nc.isClosed()) await this.nc.close();
  }

  private async followConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === Events.Disconnect && this.reconnected === null) {
        let resolve: () => void = () => undefined;
        const promise = new Promise<void>((r) => {
          resolve = r;
        });
        this.reconnected = { promise, resolve };
      } else if (status.type === Events.Reconnect && this.reconnected !== null) {
        this.reconnected.resolve();
        this.reconnected = null;
      }
    }
  }

  private assertOpen(): void {
    if (this.closing !== null || this.nc.isClosed()) throw new Error('the job queue is closed');
  }

  private subjectOf(platform: string): string {
    return `${this.settings.subjectPrefix}.${platform}`;
  }

  private async ensureStream(): Promise<void> {
    const { stream, subjectPrefix, duplicateWindowMs } = this.settings;
    const subjects = [`${subjectPrefix}.>`];
    const duplicateWindow = nanos(duplicateWindowMs);
    for (let tries = 1; ; tries++) {
      try {
        const info = await this.jsm.streams.info(stream);
        const config = info.config;
        if (config.retention !== RetentionPolicy.Workqueue || config.storage !== StorageType.File) {
          throw new Error(
            `stream ${stream} exists with retention ${config.retention} and storage ${config.storage}; ` +
              'the job queue needs workqueue retention on file storage (these cannot be changed: delete the stream)',
          );
        }
        const sameSubjects = config.subjects.length === 1 && config.subjects[0] === subjects[0];
        if (!sameSubjects || config.duplicate_window !== duplicateWindow) {
          await this.jsm.streams.update(stream, { ...config, subjects, duplicate_window: duplicateWindow });
        }
        return;
      } catch (err) {
        if (!hasApiError(err, STREAM_NOT_FOUND)) throw err;
      }
      try {
        await this.jsm.streams.add({
          name: stream,
          subjects,
          retention: RetentionPolicy.Workqueue,
          storage: StorageType.File,
          duplicate_window: duplicateWindow,
        });
        return;
      } catch (err) {
        // Another process may have created it in between: look again, once.
        if (tries >= 2) throw err;
      }
    }
  }

  private async ensureConsumer(platform: string): Promise<Consumer> {
    try {
      return await this.addOrUpdateConsumer(platform);
    } catch (err) {
      if (!hasApiError(err, STREAM_NOT_FOUND)) throw err;
      // The server lost its store (or someone deleted the stream): recreate it, then the consumer.
      await this.ensureStream();
      return this.addOrUpdateConsumer(platform);
    }
  }

  private async addOrUpdateConsumer(platform: string): Promise<Consumer> {
    const { stream, maxDeliver, ackWaitMs } = this.settings;
    const durable = `publisher-${platform}`;
    const ackWait = nanos(ackWaitMs);
    let exists = true;
    try {
      const info = await this.jsm.consumers.info(stream, durable);
      if (info.config.ack_wait !== ackWait || info.config.max_deliver !== maxDeliver) {
        await this.jsm.consumers.update(stream, durable, { ack_wait: ackWait, max_deliver: maxDeliver });
      }
    } catch (err) {
      if (!hasApiError(err, CONSUMER_NOT_FOUND)) throw err;
      exists = false;
    }
    if (!exists) {
      // Creating a durable with an identical config is idempotent, so replicas racing here all succeed.
      await this.jsm.consumers.add(stream, {
        durable_name: durable,
        filter_subject: this.subjectOf(platform),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_deliver: maxDeliver,
        ack_wait: ackWait,
      });
    }
    return this.js.consumers.get(stream, durable);
  }
}

interface ConsumerContext {
  /** Ensures the durable consumer exists again (after a server lost it) and returns a handle. */
  pullConsumer(): Promise<Consumer>;
  isConnectionClosed(): boolean;
  settings: Settings;
  forget(consumer: NatsPlatformConsumer): void;
}

/**
 * Pulls one platform's jobs with `concurrency` slots, each holding at most one job: a slot
 * asks the server for a single message only when it is free, so jobs never wait in this
 * process's buffer while their ack timer runs, and the replicas with room get the work.
 */
class NatsPlatformConsumer implements JobConsumer {
  private stopping = false;
  private readonly pulls = new Set<ConsumerMessages>();
  private readonly slots: Promise<void>[];
  private current: Promise<Consumer> | null;
  private wakeUp: (() => void) | null = null;
  private readonly stopped: Promise<void>;

  constructor(
    private readonly context: ConsumerContext,
    pullConsumer: Consumer,
    private readonly handler: JobHandler,
    concurrency: number,
  ) {
    this.current = Promise.resolve(pullConsumer);
    this.stopped = new Promise<void>((resolve) => {
      this.wakeUp = resolve;
    });
    this.slots = Array.from({ length: concurrency }, () => this.runSlot());
  }

  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.wakeUp?.();
      for (const pull of this.pulls) pull.stop();
    }
    await Promise.all(this.slots);
    this.context.forget(this);
  }

  private async runSlot(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        const msg = await this.pullOne();
        failures = 0;
        if (msg === null) continue;
        if (this.stopping) {
          // Arrived while stopping: hand it straight back rather than let it wait out the ack timer.
          msg.nak();
          break;
        }
        await this.work(msg);
      } catch (err) {
        if (this.stopping || this.context.isConnectionClosed()) break;
        failures++;
        this.context.settings.report(err, 'pulling jobs failed; retrying');
        // The consumer or its stream may be gone (server restarted without its store): make it again.
        this.current = null;
        await Promise.race([delay(Math.min(100 * 2 ** Math.min(failures - 1, 10), 5_000)), this.stopped]);
      }
    }
  }

  private async pullOne(): Promise<JsMsg | null> {
    this.current ??= this.context.pullConsumer();
    let consumer: Consumer;
    try {
      consumer = await this.current;
    } catch (err) {
      this.current = null;
      throw err;
    }
    // `bind` keeps the client from probing the consumer on its own (with a backoff as long as
    // the pull); a missing consumer fails the pull instead, and this loop recreates it.
    const pull = await consumer.fetch({ max_messages: 1, expires: this.context.settings.pullExpiresMs, bind: true });
    this.pulls.add(pull);
    if (this.stopping) pull.stop();
    let received: JsMsg | null = null;
    try {
      for await (const msg of pull) {
        if (received === null) received = msg;
        else msg.nak();
      }
    } finally {
      this.pulls.delete(pull);
    }
    return received;
  }

  private async work(msg: JsMsg): Promise<void> {
    const { settings } = this.context;
    let job: PublishJob;
    try {
      const decoded: unknown = JSON.parse(decoder.decode(msg.data));
      assertPublishJob(decoded);
      job = decoded;
    } catch (err) {
      // Redelivering a message nobody can read would only loop: take it off the queue.
      settings.report(err, `unreadable job at stream sequence ${msg.seq}; terminated`);
      msg.term();
      return;
    }
    let settled = false;
    const delivery: JobDelivery = {
      job,
      attempt: msg.info.redeliveryCount,
      maxAttempts: settings.maxDeliver,
      heartbeat: () => {
        if (settled) return;
        try {
          msg.working();
        } catch (err) {
          // A closed connection cannot carry the heartbeat; the handler must not fail for it.
          settings.report(err, `heartbeat for job ${job.id} not sent`);
        }
      },
    };
    const outcome = await runHandler(this.handler, delivery, settings.errorBackoff, settings.report);
    settled = true;
    await this.apply(msg, delivery, outcome);
  }

  private async apply(msg: JsMsg, delivery: JobDelivery, outcome: JobOutcome): Promise<void> {
    switch (outcome.kind) {
      case 'done':
        try {
          // Waiting for the server's confirmation means that once stop() resolves the ack is not
          // just buffered in a connection about to close.
          await msg.ackAck();
        } catch (err) {
          this.context.settings.report(err, `ack of job ${delivery.job.id} unconfirmed; it may be redelivered`);
        }
        return;
      case 'retry':
        // At the last attempt the server would not redeliver anyway; terminating also takes the
        // message off the work-queue stream instead of leaving it there forever.
        if (delivery.attempt >= delivery.maxAttempts) msg.term();
        else msg.nak(outcome.delayMs);
        return;
      case 'give_up':
        msg.term();
        return;
    }
  }
}

function hasApiError(err: unknown, errCode: number): boolean {
  return err instanceof NatsError && err.api_error?.err_code === errCode;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
  });
}
