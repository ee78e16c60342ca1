import { randomUUID } from 'crypto';
import { AckPolicy, connect, NatsConnection, RetentionPolicy, StorageType, nanos } from 'nats';
import { NatsServer, startNatsServer } from '../../../test/support/nats-server';
import { describeJobQueueContract, waitFor } from '../testing';
import { NatsJobQueue, NatsJobQueueOptions } from './nats-job-queue';
import { JobDelivery, JobQueue, PublishJob } from './port';

const quiet = (): void => undefined;

let server: NatsServer;
let streamCount = 0;

beforeAll(async () => {
  // No skip when nats-server is missing: startNatsServer throws and the suite fails.
  server = await startNatsServer();
});

afterAll(async () => {
  await server?.stop();
});

/** Each test gets a stream and subjects of its own on the shared server. */
function freshNames(): Pick<NatsJobQueueOptions, 'stream' | 'subjectPrefix'> {
  streamCount++;
  return { stream: `TEST_${streamCount}`, subjectPrefix: `test${streamCount}.publish` };
}

function testOptions(
  names: Pick<NatsJobQueueOptions, 'stream' | 'subjectPrefix'>,
  url = server.url,
): NatsJobQueueOptions {
  return {
    servers: url,
    ...names,
    maxDeliver: 3,
    ackWaitMs: 1_000,
    errorBackoff: { initialMs: 50, maxMs: 200 },
    connection: { reconnectTimeWait: 100 },
    onError: quiet,
  };
}

describeJobQueueContract('NATS JetStream', async () => {
  const options = testOptions(freshNames());
  const opened: JobQueue[] = [];
  const open = async (): Promise<JobQueue> => {
    const queue = await NatsJobQueue.connect(options);
    opened.push(queue);
    return queue;
  };
  const queue = await open();
  return {
    queue,
    second: open,
    cleanup: async () => {
      await Promise.all(opened.map((q) => q.close()));
    },
  };
});

function makeJob(platform: string): PublishJob {
  const id = randomUUID();
  return { id: `${id}:r:${platform}`, post_id: id, workspace_id: 'w', publish_id: 'r', platform, account_id: null };
}

describe('NatsJobQueue on JetStream', () => {
  const queues: JobQueue[] = [];
  const connections: NatsConnection[] = [];
  const releases: (() => void)[] = [];

  const openQueue = async (options: NatsJobQueueOptions): Promise<NatsJobQueue> => {
    const queue = await NatsJobQueue.connect(options);
    queues.push(queue);
    return queue;
  };
  const manager = async (url = server.url) => {
    const nc = await connect({ servers: url });
    connections.push(nc);
    return nc.jetstreamManager();
  };
  const gate = (): { opened: Promise<void>; open: () => void } => {
    let open: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    releases.push(open);
    return { opened, open };
  };

  afterEach(async () => {
    for (const release of releases.splice(0)) release();
    await Promise.all(queues.splice(0).map((q) => q.close()));
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
  });

  it('creates a work-queue stream on file storage and a durable consumer per platform', async () => {
    const names = freshNames();
    const queue = await openQueue({ ...testOptions(names), duplicateWindowMs: 30_000 });
    await queue.consume('bluesky', async () => ({ kind: 'done' }));
    const jsm = await manager();

    const stream = await jsm.streams.info(names.stream!);
    expect(stream.config.retention).toBe(RetentionPolicy.Workqueue);
    expect(stream.config.storage).toBe(StorageType.File);
    expect(stream.config.subjects).toEqual([`${names.subjectPrefix}.>`]);
    expect(stream.config.duplicate_window).toBe(nanos(30_000));
    const consumer = await jsm.consumers.info(names.stream!, 'publisher-bluesky');
    expect(consumer.config.filter_subject).toBe(`${names.subjectPrefix}.bluesky`);
    expect(consumer.config.ack_policy).toBe(AckPolicy.Explicit);
    expect(consumer.config.max_deliver).toBe(3);
    expect(consumer.config.ack_wait).toBe(nanos(1_000));

    // A later start with other settings updates what JetStream lets change.
    const updated = await openQueue({ ...testOptions(names), duplicateWindowMs: 60_000, maxDeliver: 5 });
    await updated.consume('bluesky', async () => ({ kind: 'done' }));
    expect((await jsm.streams.info(names.stream!)).config.duplicate_window).toBe(nanos(60_000));
    expect((await jsm.consumers.info(names.stream!, 'publisher-bluesky')).config.max_deliver).toBe(5);
  });

  it('refuses a stream of the same name that is not a work queue', async () => {
    const names = freshNames();
    const jsm = await manager();
    await jsm.streams.add({ name: names.stream, subjects: [`${names.subjectPrefix}.>`], storage: StorageType.Memory });
    await expect(NatsJobQueue.connect(testOptions(names))).rejects.toThrow(/workqueue/);
  });

  it('takes given-up and exhausted jobs off the stream', async () => {
    const names = freshNames();
    const queue = await openQueue(testOptions(names));
    const settled: string[] = [];
    const givenUp = makeJob('x');
    const exhausted = makeJob('x');
    await queue.consume('x', async (d) => {
      if (d.job.id === givenUp.id) {
        settled.push(d.job.id);
        return { kind: 'give_up' };
      }
      if (d.attempt === d.maxAttempts) settled.push(d.job.id);
      return { kind: 'retry', delayMs: 20 };
    });
    await queue.enqueue(givenUp);
    await queue.enqueue(exhausted);
    await waitFor(() => settled.length === 2, 'both jobs reach their end');
    const jsm = await manager();
    await waitFor(async () => (await jsm.streams.info(names.stream!)).state.messages === 0, 'the stream is empty');
  });

  it('redelivers the job of a stalled handler to another consumer after the ack wait', async () => {
    const names = freshNames();
    const first = await openQueue(testOptions(names));
    const second = await openQueue(testOptions(names));
    const stall = gate();
    const stalled: JobDelivery[] = [];
    const taken: JobDelivery[] = [];
    await first.consume(
      'slow',
      async (d) => {
        stalled.push(d);
        await stall.opened;
        return { kind: 'done' };
      },
      { concurrency: 1 },
    );
    const job = makeJob('slow');
    await first.enqueue(job);
    await waitFor(() => stalled.length === 1, 'the first consumer holds the job');
    await second.consume('slow', async (d) => {
      taken.push(d);
      return { kind: 'done' };
    });

    await waitFor(() => taken.length === 1, 'the job is redelivered after the ack wait', 5_000);
    expect(taken[0].job).toEqual(job);
    expect(taken[0].attempt).toBe(2);
    stall.open();
  });

  it('does not redeliver a long job whose handler sends heartbeats', async () => {
    const names = freshNames();
    const first = await openQueue(testOptions(names));
    const second = await openQueue(testOptions(names));
    const deliveries: string[] = [];
    let longJobDone = false;
    const job = makeJob('long');
    const handler = async (d: JobDelivery) => {
      deliveries.push(d.job.id);
      if (d.job.id === job.id) {
        // Outlasts the 1 s ack wait more than twice over, heartbeating as a long upload would.
        const beat = setInterval(() => d.heartbeat(), 200);
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        clearInterval(beat);
        longJobDone = true;
      }
      return { kind: 'done' } as const;
    };
    await first.consume('long', handler, { concurrency: 1 });
    await first.enqueue(job);
    await waitFor(() => deliveries.length === 1, 'the long job starts');
    // A second consumer with room: a redelivery during the long job would go to it.
    await second.consume('long', handler, { concurrency: 1 });
    await waitFor(() => longJobDone, 'the long job finishes');
    const barrier = makeJob('long');
    await first.enqueue(barrier);
    await waitFor(() => deliveries.includes(barrier.id), 'the barrier job arrives');
    expect(deliveries.filter((id) => id === job.id)).toHaveLength(1);
  });

  it('keeps consuming across a server crash and restart, with the jobs enqueued before it', async () => {
    const own = await startNatsServer();
    try {
      const names = freshNames();
      const queue = await openQueue(testOptions(names, own.url));
      const seen: string[] = [];
      await queue.consume('crash', async (d) => {
        seen.push(d.job.id);
        return { kind: 'done' };
      });
      const before = makeJob('crash');
      await queue.enqueue(before);
      await waitFor(() => seen.includes(before.id), 'the first job arrives');

      const consumerless = makeJob('later');
      await queue.enqueue(consumerless);
      own.kill();
      await own.restart();

      const after = makeJob('crash');
      await retryUntil(() => queue.enqueue(after), 'enqueueing works again after the restart');
      await waitFor(() => seen.includes(after.id), 'a job enqueued after the restart arrives', 10_000);
      const later: string[] = [];
      await queue.consume('later', async (d) => {
        later.push(d.job.id);
        return { kind: 'done' };
      });
      await waitFor(() => later.includes(consumerless.id), 'the job stored before the crash arrives');
      await queue.close();
    } finally {
      await own.stop();
    }
  });

  it('recreates its stream and consumer when they are deleted under it', async () => {
    const names = freshNames();
    const queue = await openQueue(testOptions(names));
    const seen: string[] = [];
    await queue.consume('gone', async (d) => {
      seen.push(d.job.id);
      return { kind: 'done' };
    });
    const before = makeJob('gone');
    await queue.enqueue(before);
    await waitFor(() => seen.includes(before.id), 'the first job arrives');

    const jsm = await manager();
    await jsm.streams.delete(names.stream!);
    const after = makeJob('gone');
    await queue.enqueue(after);
    await waitFor(() => seen.includes(after.id), 'a job enqueued after the deletion arrives');
    expect((await jsm.consumers.info(names.stream!, 'publisher-gone')).config.durable_name).toBe('publisher-gone');
  });

  it('fails with a clear message when nats-server is not installed', async () => {
    await expect(startNatsServer({ binary: '/nonexistent/nats-server' })).rejects.toThrow(
      /nats-server not found.*install/s,
    );
  });
});

async function retryUntil(action: () => Promise<unknown>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await action();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}: ${String(err)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
