import { RegistryInvalid } from './errors';
import type { RegistryStorage } from './storage';

/** How long a key is remembered (CONTRACT.md "Basics"). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Expired records of other keys are swept at most this often. */
const PURGE_INTERVAL_MS = 60 * 1000;
/**
 * A first request still "in progress" after this long died with its process (requests
 * time out far sooner), so its key is freed for the client's retry instead of answering
 * 409 for a day.
 */
export const IDEMPOTENCY_STALE_MS = 2 * 60 * 1000;
/** Longest Idempotency-Key accepted. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export type IdempotencyBegin =
  | { state: 'new' }
  | { state: 'replay'; status: number; body: unknown; headers: Record<string, string> }
  /** Same key, another request fingerprint: 409. */
  | { state: 'mismatch' }
  /** Same key, first request still being processed: 409. */
  | { state: 'in_progress' };

/**
 * Idempotency-Key records, per workspace, kept 24 h. The HTTP layer calls `begin` with a
 * fingerprint of the request (method, path, body), then `complete` with the response
 * to replay, or `abandon` when the request failed with a 5xx or threw, so the client
 * may retry with the same key.
 */
export class IdempotencyKeys {
  private lastPurge = Number.NEGATIVE_INFINITY;

  constructor(private readonly storage: RegistryStorage) {}

  /** Claims the key, or tells what became of its first request. An empty or overlong key is refused (`RegistryInvalid`). */
  async begin(workspaceId: string, key: string, fingerprint: string, now: Date): Promise<IdempotencyBegin> {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw new RegistryInvalid([{ field: 'Idempotency-Key', message: `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` }]);
    }
    const expiredBefore = new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString();
    await this.purgeNowAndThen(now.getTime(), expiredBefore);
    const claim = () =>
      this.storage.claimIdempotencyKey(
        { workspace_id: workspaceId, key, fingerprint, status: 'in_progress', response: null, created_at: now.toISOString() },
        expiredBefore,
      );
    let existing = await claim();
    if (existing && existing.status !== 'completed' && Date.parse(existing.created_at) < now.getTime() - IDEMPOTENCY_STALE_MS) {
      await this.storage.releaseIdempotencyKey(workspaceId, key);
      existing = await claim();
    }
    if (!existing) return { state: 'new' };
    if (existing.fingerprint !== fingerprint) return { state: 'mismatch' };
    if (existing.status !== 'completed' || !existing.response) return { state: 'in_progress' };
    return { state: 'replay', status: existing.response.status, body: existing.response.body, headers: { ...existing.response.headers } };
  }

  async complete(workspaceId: string, key: string, response: { status: number; body: unknown; headers: Record<string, string> }): Promise<void> {
    await this.storage.completeIdempotencyKey(workspaceId, key, response);
  }

  /** Forgets a started key whose request failed with a 5xx or threw (a completed key is kept). */
  async abandon(workspaceId: string, key: string): Promise<void> {
    await this.storage.releaseIdempotencyKey(workspaceId, key);
  }

  /** Expired records are otherwise only dropped when their key comes back; sweep the rest once a minute. */
  private async purgeNowAndThen(nowMs: number, expiredBefore: string): Promise<void> {
    if (Math.abs(nowMs - this.lastPurge) < PURGE_INTERVAL_MS) return;
    this.lastPurge = nowMs;
    await this.storage.purgeIdempotencyKeys(expiredBefore);
  }
}
