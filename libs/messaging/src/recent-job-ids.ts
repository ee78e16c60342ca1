/**
 * The job ids enqueued lately, so that enqueueing the same id again is ignored. Memory is
 * bounded twice: ids older than the time-to-live are forgotten, and past `maxIds` the
 * oldest go first (a flood of distinct ids must not grow the process without limit).
 */
export class RecentJobIds {
  /** Insertion order is age order, so the oldest ids are always at the front. */
  private readonly seenAt = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxIds: number,
    private readonly now: () => number,
  ) {
    if (!(ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${ttlMs}`);
    if (!Number.isInteger(maxIds) || maxIds < 1)
      throw new RangeError(`maxIds must be a positive integer, got ${maxIds}`);
  }

  /** Records the id; false when it was already seen within the time-to-live. */
  rememberIfNew(id: string): boolean {
    const now = this.now();
    this.forgetExpired(now);
    if (this.seenAt.has(id)) return false;
    this.seenAt.set(id, now);
    if (this.seenAt.size > this.maxIds) {
      const oldest = this.seenAt.keys().next();
      if (!oldest.done) this.seenAt.delete(oldest.value);
    }
    return true;
  }

  get size(): number {
    return this.seenAt.size;
  }

  private forgetExpired(now: number): void {
    for (const [id, at] of this.seenAt) {
      if (now - at < this.ttlMs) break;
      this.seenAt.delete(id);
    }
  }
}
