import { describeJobQueueContract, waitFor } from '../testing';
import { InProcessJobQueue } from './in-process-job-queue';
import { JobDelivery, PublishJob } from './port';

const quiet = (): void => undefined;

describeJobQueueContract('in-process', async () => {
  const queue = new InProcessJobQueue({ maxAttempts: 3, errorBackoff: { initialMs: 50, maxMs: 200 }, onError: quiet });
  return { queue, second: async () => queue, cleanup: () => queue.close() };
});

function job(id: string, platform = 'bluesky'): PublishJob {
  return { id, post_id: 'p1', workspace_id: 'w1', publish_id: 'r1', platform, account_id: 'acc-1' };
}

describe('InProcessJobQueue', () => {
  it('forgets ids after the deduplication window, so the same id is delivered again', async () => {
    let now = 1_000;
    const queue = new InProcessJobQueue({ deduplicationWindowMs: 60_000, now: () => now, onError: quiet });
    const seen: string[] = [];
    await queue.consume('bluesky', async (d) => {
      seen.push(d.job.id);
      return { kind: 'done' };
    });
    await queue.enqueue(job('a'));
    await queue.enqueue(job('a'));
    now += 60_000;
    await queue.enqueue(job('a'));
    await waitFor(() => seen.length >= 2, 'the id is delivered again');
    expect(seen).toEqual(['a', 'a']);
    await queue.close();
  });

  it('defaults to 8 attempts and a concurrency of 4', async () => {
    const queue = new InProcessJobQueue({ onError: quiet });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const running: JobDelivery[] = [];
    await queue.consume('bluesky', async (d) => {
      running.push(d);
      await released;
      return { kind: 'done' };
    });
    for (let i = 0; i < 6; i++) await queue.enqueue(job(`j${i}`));
    await waitFor(() => running.length === 4, 'four jobs run');
    await new Promise((resolve) => setImmediate(resolve));
    expect(running).toHaveLength(4);
    expect(running[0].maxAttempts).toBe(8);
    release();
    await waitFor(() => running.length === 6, 'the other two run once there is room');
    await queue.close();
  });

  it('rejects jobs and platforms that cannot be routed, and use after close', async () => {
    const queue = new InProcessJobQueue({ onError: quiet });
    await expect(queue.enqueue(job('x', 'blue.sky'))).rejects.toThrow(/platform/);
    await expect(queue.enqueue({ ...job('x'), id: '' })).rejects.toThrow(/id/);
    await expect(queue.consume('a b', async () => ({ kind: 'done' }))).rejects.toThrow(/platform/);
    await expect(queue.consume('bluesky', async () => ({ kind: 'done' }), { concurrency: 0 })).rejects.toThrow(
      /concurrency/,
    );
    await queue.close();
    await expect(queue.enqueue(job('y'))).rejects.toThrow(/closed/);
  });

  it('retries a handler that answers something that is not an outcome', async () => {
    const queue = new InProcessJobQueue({ errorBackoff: { initialMs: 10, maxMs: 10 }, onError: quiet });
    const attempts: number[] = [];
    await queue.consume('bluesky', async (d) => {
      attempts.push(d.attempt);
      return (d.attempt === 1 ? { kind: 'later' } : { kind: 'done' }) as never;
    });
    await queue.enqueue(job('odd'));
    await waitFor(() => attempts.length === 2, 'the job is retried');
    expect(attempts).toEqual([1, 2]);
    await queue.close();
  });
});
