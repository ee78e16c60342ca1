interface Waiter {
  revision: number;
  settle: (reached: boolean) => void;
}

/**
 * Read-your-writes waits on post revisions. A save in this process settles its waiters
 * at once; an adapter's poll (for writes by other processes) reports what it found
 * through the same `reached`.
 */
export class RevisionWaiters {
  private readonly waiting = new Map<string, Set<Waiter>>();

  /** Resolves true once `reached` reports the revision, false after `timeoutMs`. */
  wait(postId: string, revision: number, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let set = this.waiting.get(postId);
      if (!set) {
        set = new Set();
        this.waiting.set(postId, set);
      }
      const waiters = set;
      const waiter: Waiter = {
        revision,
        settle: (reached) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (waiters.size === 0 && this.waiting.get(postId) === waiters) this.waiting.delete(postId);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => waiter.settle(false), Math.max(0, timeoutMs));
      waiters.add(waiter);
    });
  }

  reached(postId: string, revision: number): void {
    const waiters = this.waiting.get(postId);
    if (!waiters) return;
    for (const waiter of [...waiters]) if (waiter.revision <= revision) waiter.settle(true);
  }

  /** Post ids someone waits on. */
  postIds(): string[] {
    return [...this.waiting.keys()];
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Ends every wait with false (the model is closing). */
  cancelAll(): void {
    for (const waiters of [...this.waiting.values()]) for (const waiter of [...waiters]) waiter.settle(false);
  }
}
