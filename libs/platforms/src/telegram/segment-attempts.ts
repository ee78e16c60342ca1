import { PlatformError, SegmentRef } from '../port';

/**
 * What this process knows about the write of one segment (by its idempotency key), for
 * platforms whose writes cannot be repeated safely:
 * - `sending`: the write left and its answer was lost, or came back as something other
 *   than a definite refusal: the segment may be on the platform.
 * - `not_published`: nothing was created: the write was refused (a definite answer) or has
 *   not been sent yet.
 * - `published`: the platform took it; `ref` is what it answered.
 * `data` carries what a later attempt needs to pick the same write up again (TikTok's
 * `publish_id`, a YouTube upload session) instead of starting a second one.
 *
 * Only this process's memory: after a restart nothing is known, and adapters look on the
 * platform (or say they cannot know).
 */
export type SegmentAttempt =
  | { state: 'sending'; data: Record<string, string> }
  | { state: 'not_published'; data: Record<string, string> }
  | { state: 'published'; ref: SegmentRef; data: Record<string, string> };

const DEFAULT_CAPACITY = 10_000;

export class SegmentAttempts {
  private readonly entries = new Map<string, SegmentAttempt>();

  constructor(private readonly capacity: number = DEFAULT_CAPACITY) {}

  recall(key: string): SegmentAttempt | undefined {
    return this.entries.get(key);
  }

  /** Remembers data for the key (kept across the states). */
  note(key: string, data: Record<string, string>): void {
    const current = this.entries.get(key);
    this.put(key, current ? { ...current, data: { ...current.data, ...data } } : { state: 'not_published', data });
  }

  forget(key: string, ...fields: string[]): void {
    const current = this.entries.get(key);
    if (!current) return;
    const data = { ...current.data };
    for (const field of fields) delete data[field];
    this.put(key, { ...current, data });
  }

  published(key: string, ref: SegmentRef): SegmentRef {
    this.put(key, { state: 'published', ref, data: this.entries.get(key)?.data ?? {} });
    return ref;
  }

  /**
   * Runs the one request that creates the segment on the platform. A failure that is a
   * definite answer (any classified kind but `unknown_outcome`) means nothing was created;
   * anything else leaves the key `sending`.
   */
  async send<T>(key: string, write: () => Promise<T>): Promise<T> {
    const data = this.entries.get(key)?.data ?? {};
    this.put(key, { state: 'sending', data });
    try {
      return await write();
    } catch (err) {
      if (err instanceof PlatformError && err.kind !== 'unknown_outcome') this.put(key, { state: 'not_published', data: this.entries.get(key)?.data ?? data });
      throw err;
    }
  }

  private put(key: string, attempt: SegmentAttempt): void {
    // Re-inserting moves the key to the newest end; the oldest go first when full.
    this.entries.delete(key);
    this.entries.set(key, attempt);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
