/**
 * A subscription's `caughtUp`: settles once, either when the subscription reaches the
 * head it read at start or when it ends in an error first; later calls change nothing.
 */
export class CaughtUpSignal {
  readonly promise: Promise<void>;
  private settled = false;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A consumer that never awaits caughtUp must not see an unhandled rejection.
    this.promise.catch(() => undefined);
  }

  reached(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve();
  }

  /** Settles a still pending signal with `error`; a no-op once it resolved. */
  failed(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}
