import { randomUUID } from 'crypto';
import { JobConsumer, JobDelivery, JobHandler, JobOutcome, JobQueue, PublishJob } from '../port';

export interface JobQueueContractSetup {
  /** A queue on fresh, empty backing (no jobs, no consumers left over from another test). */
  queue: JobQueue;
  /** Another queue instance on the same backing (another connection; the same instance is fine in-process). */
  second: () => Promise<JobQueue>;
  /** Closes every queue made by this setup and frees the backing. */
  cleanup: () => Promise<void>;
}

/**
 * The behaviour every `JobQueue` adapter must show. The setup should keep the test fast:
 * a small max attempts (2 to 4), a short error backoff, and, where deliveries time out, a
 * short ack wait (about a second).
 */
export function describeJobQueueContract(name: string, setup: () => Promise<JobQueueContractSetup>): void {
  describe(`JobQueue contract: ${name}`, () => {
    let ctx: JobQueueContractSetup;
    let gates: Gate[] = [];
    let consumers: JobConsumer[] = [];

    const gate = (): Gate => {
      const g = new Gate();
      gates.push(g);
      return g;
    };
    const consume = async (
      queue: JobQueue,
      platform: string,
      handler: JobHandler,
      concurrency?: number,
    ): Promise<JobConsumer> => {
      const consumer = await queue.consume(platform, handler, concurrency === undefined ? {} : { concurrency });
      consumers.push(consumer);
      return consumer;
    };

    beforeEach(async () => {
      gates = [];
      consumers = [];
      ctx = await setup();
    });

    afterEach(async () => {
      // A failed test may leave handlers waiting on a gate; stop() would wait for them forever.
      for (const g of gates) g.open();
      await Promise.all(consumers.map((c) => c.stop()));
      await ctx.cleanup();
    });

    it('delivers a job to its own platform only, also when enqueued before any consumer started', async () => {
      const alphaJob = makeJob('alpha');
      const betaJob = makeJob('beta');
      await ctx.queue.enqueue(alphaJob);
      await ctx.queue.enqueue(betaJob);
      const alpha: JobDelivery[] = [];
      const beta: JobDelivery[] = [];
      await consume(ctx.queue, 'alpha', record(alpha, done), 1);
      await consume(ctx.queue, 'beta', record(beta, done), 1);

      await waitFor(() => alpha.length >= 1 && beta.length >= 1, 'both platforms get their job');
      // A later alpha job closes the window in which a stray delivery could still arrive.
      const alphaBarrier = makeJob('alpha');
      await ctx.queue.enqueue(alphaBarrier);
      await waitFor(() => alpha.some((d) => d.job.id === alphaBarrier.id), 'the alpha barrier job arrives');

      expect(alpha.map((d) => d.job)).toEqual([alphaJob, alphaBarrier]);
      expect(beta.map((d) => d.job)).toEqual([betaJob]);
      expect(alpha[0].attempt).toBe(1);
      expect(alpha[0].maxAttempts).toBeGreaterThanOrEqual(2);
    });

    it('delivers once a job enqueued twice (also from a second queue instance, also after it was done)', async () => {
      const job = makeJob('dedup');
      const other = await ctx.second();
      await ctx.queue.enqueue(job);
      await ctx.queue.enqueue({ ...job });
      await other.enqueue({ ...job });
      const firstBarrier = makeJob('dedup');
      await ctx.queue.enqueue(firstBarrier);
      const seen: JobDelivery[] = [];
      // One at a time, so deliveries follow the enqueue order and a barrier job means "all before it arrived".
      await consume(ctx.queue, 'dedup', record(seen, done), 1);
      await waitFor(() => seen.some((d) => d.job.id === firstBarrier.id), 'the first barrier job arrives');
      expect(ids(seen)).toEqual([job.id, firstBarrier.id]);

      await ctx.queue.enqueue({ ...job });
      const secondBarrier = makeJob('dedup');
      await ctx.queue.enqueue(secondBarrier);
      await waitFor(() => seen.some((d) => d.job.id === secondBarrier.id), 'the second barrier job arrives');
      expect(ids(seen)).toEqual([job.id, firstBarrier.id, secondBarrier.id]);
    });

    it('redelivers a retried job after the delay with attempt + 1', async () => {
      const delayMs = 400;
      const job = makeJob('retry');
      const seen: { attempt: number; maxAttempts: number; at: number }[] = [];
      let retryAnsweredAt = 0;
      await consume(ctx.queue, 'retry', async (d) => {
        seen.push({ attempt: d.attempt, maxAttempts: d.maxAttempts, at: Date.now() });
        if (d.attempt > 1) return done();
        retryAnsweredAt = Date.now();
        return { kind: 'retry', delayMs };
      });
      await ctx.queue.enqueue(job);

      await waitFor(() => seen.length >= 2, 'the job is redelivered');
      expect(seen.map((s) => s.attempt)).toEqual([1, 2]);
      expect(seen[1].maxAttempts).toBe(seen[0].maxAttempts);
      // Timers may fire a few milliseconds off the clock reading; the delay itself must be kept.
      expect(seen[1].at - retryAnsweredAt).toBeGreaterThanOrEqual(delayMs - 25);
    });

    it('stops delivering a job the handler gave up on', async () => {
      const job = makeJob('give-up');
      const seen: JobDelivery[] = [];
      await consume(
        ctx.queue,
        'give-up',
        record(seen, (d) => (d.job.id === job.id ? { kind: 'give_up' } : barrierOutcome(d))),
        1,
      );
      await ctx.queue.enqueue(job);
      await waitFor(() => seen.length >= 1, 'the job is delivered');
      const barrier = makeJob('give-up');
      await ctx.queue.enqueue(barrier);

      await waitFor(() => seen.some((d) => d.job.id === barrier.id && d.attempt === 2), 'the barrier job comes back');
      expect(seen.filter((d) => d.job.id === job.id).map((d) => d.attempt)).toEqual([1]);
    });

    it('stops delivering a job once maxAttempts deliveries were retried', async () => {
      const job = makeJob('exhaust');
      const seen: JobDelivery[] = [];
      await consume(
        ctx.queue,
        'exhaust',
        record(seen, (d) => (d.job.id === job.id ? { kind: 'retry', delayMs: 50 } : barrierOutcome(d))),
        1,
      );
      await ctx.queue.enqueue(job);
      await waitFor(
        () => seen.length > 0 && seen.filter((d) => d.job.id === job.id).length >= seen[0].maxAttempts,
        'the job is delivered maxAttempts times',
      );
      const maxAttempts = seen[0].maxAttempts;
      const barrier = makeJob('exhaust');
      await ctx.queue.enqueue(barrier);

      await waitFor(() => seen.some((d) => d.job.id === barrier.id && d.attempt === 2), 'the barrier job comes back');
      const attempts = seen.filter((d) => d.job.id === job.id).map((d) => d.attempt);
      expect(attempts).toEqual(Array.from({ length: maxAttempts }, (_, i) => i + 1));
    });

    it('retries a job whose handler threw', async () => {
      const job = makeJob('throws');
      const attempts: number[] = [];
      let finished = false;
      await consume(ctx.queue, 'throws', async (d) => {
        attempts.push(d.attempt);
        if (d.attempt === 1) throw new Error('platform unreachable (on purpose)');
        finished = true;
        return done();
      });
      await ctx.queue.enqueue(job);

      await waitFor(() => finished, 'the job is retried and finished');
      expect(attempts).toEqual([1, 2]);
    });

    it('shares 100 jobs between consumers on two queue instances: none lost, none doubled, both get some', async () => {
      const other = await ctx.second();
      const deliveries = new Map<string, number>();
      const byConsumer = { first: 0, second: 0 };
      const handlerFor =
        (who: keyof typeof byConsumer): JobHandler =>
        async (d) => {
          deliveries.set(d.job.id, (deliveries.get(d.job.id) ?? 0) + 1);
          byConsumer[who]++;
          // Give the other consumer a turn, as real publishing would.
          await new Promise((resolve) => setImmediate(resolve));
          return done();
        };
      const first = await consume(ctx.queue, 'shared', handlerFor('first'), 4);
      const second = await consume(other, 'shared', handlerFor('second'), 4);

      const jobs = Array.from({ length: 100 }, () => makeJob('shared'));
      for (const [i, job] of jobs.entries()) await (i % 2 === 0 ? ctx.queue : other).enqueue(job);
      await waitFor(() => deliveries.size === jobs.length, 'all 100 jobs are delivered', 20_000);
      await Promise.all([first.stop(), second.stop()]);

      expect([...deliveries.keys()].sort()).toEqual(jobs.map((j) => j.id).sort());
      expect([...deliveries.values()].filter((n) => n !== 1)).toEqual([]);
      expect(byConsumer.first).toBeGreaterThan(0);
      expect(byConsumer.second).toBeGreaterThan(0);
    });

    it('loses none of the jobs a stopped consumer still held: another consumer finishes them', async () => {
      const other = await ctx.second();
      const release = gate();
      const heldByFirst: string[] = [];
      const doneBySecond = new Map<string, number>();
      const first = await consume(
        ctx.queue,
        'handover',
        async (d) => {
          heldByFirst.push(d.job.id);
          await release.opened;
          // Shutting down before publishing: the job is handed back undone.
          return { kind: 'retry', delayMs: 0 };
        },
        2,
      );
      const jobs = Array.from({ length: 6 }, () => makeJob('handover'));
      for (const job of jobs) await ctx.queue.enqueue(job);
      await waitFor(() => heldByFirst.length === 2, 'the first consumer holds two jobs');

      const stopping = first.stop();
      await consume(
        other,
        'handover',
        async (d) => {
          doneBySecond.set(d.job.id, (doneBySecond.get(d.job.id) ?? 0) + 1);
          return done();
        },
        2,
      );
      await waitFor(() => doneBySecond.size === 4, 'the second consumer finishes the four jobs nobody held');
      release.open();
      await stopping;

      await waitFor(() => doneBySecond.size === 6, 'the second consumer finishes the two handed-back jobs');
      expect(heldByFirst).toHaveLength(2);
      expect([...doneBySecond.keys()].sort()).toEqual(jobs.map((j) => j.id).sort());
      expect([...doneBySecond.values()].filter((n) => n !== 1)).toEqual([]);
    });

    it('stop() waits for in-flight handlers, applies their outcome, and takes no new job', async () => {
      const release = gate();
      const started: string[] = [];
      let finished = false;
      const consumer = await consume(
        ctx.queue,
        'stopping',
        async (d) => {
          started.push(d.job.id);
          await release.opened;
          finished = true;
          return done();
        },
        2,
      );
      const job = makeJob('stopping');
      await ctx.queue.enqueue(job);
      await waitFor(() => started.length === 1, 'the job is being worked on');

      let finishedWhenStopResolved: boolean | null = null;
      const stopping = consumer.stop().then(() => {
        finishedWhenStopResolved = finished;
      });
      // The gate opens a little later, giving a stop() that does not wait the chance to resolve first.
      setTimeout(() => release.open(), 100);
      await stopping;
      expect(finishedWhenStopResolved).toBe(true);

      const other = await ctx.second();
      const seenByOther: JobDelivery[] = [];
      await consume(other, 'stopping', record(seenByOther, done), 1);
      const later = makeJob('stopping');
      await ctx.queue.enqueue(later);
      await waitFor(() => seenByOther.length >= 1, 'a consumer still running gets the later job');
      expect(ids(seenByOther)).toEqual([later.id]);
      expect(started).toEqual([job.id]);
    });
  });
}

function makeJob(platform: string): PublishJob {
  const postId = randomUUID();
  const publishId = randomUUID();
  return {
    id: `${postId}:${publishId}:${platform}`,
    post_id: postId,
    workspace_id: 'ws-contract',
    publish_id: publishId,
    platform,
    account_id: null,
  };
}

function done(): JobOutcome {
  return { kind: 'done' };
}

/** A barrier job is retried once, after a delay longer than any redelivery the test rules out. */
function barrierOutcome(d: JobDelivery): JobOutcome {
  return d.attempt === 1 ? { kind: 'retry', delayMs: 400 } : { kind: 'done' };
}

function record(into: JobDelivery[], outcome: (d: JobDelivery) => JobOutcome): JobHandler {
  return async (d) => {
    into.push(d);
    return outcome(d);
  };
}

function ids(deliveries: JobDelivery[]): string[] {
  return deliveries.map((d) => d.job.id);
}

class Gate {
  open!: () => void;
  readonly opened = new Promise<void>((resolve) => {
    this.open = resolve;
  });
}

/** Polls a condition until it holds; fails with `what` when the deadline passes. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
