import {
  checkPost,
  FailureCode,
  Platform,
  PostConflict,
  PostNotFound,
  PostState,
  PublishedSegment,
  RecordPlatformAttemptFailed,
  RecordPlatformFailed,
  RecordPlatformPublished,
  RecordSegmentPublished,
  SegmentLink,
  SegmentMedia,
  threadFor,
} from '../../domain';
import { cleanPlatformText, linkPreview, LinkPreview, MediaAttachment, PlatformAccount, PlatformAdapter, PlatformError, PlatformErrorKind, SegmentRef, SegmentRequest } from '../../platforms';
import { DEFAULT_RETRY_BACKOFF, RetryBackoff, retryDelay } from './backoff';
import { threadRefusals } from './platform-checks';

/** The results a publisher reports back to the command side. */
export type PublishResult = RecordSegmentPublished | RecordPlatformPublished | RecordPlatformFailed | RecordPlatformAttemptFailed;

export interface PublishThreadInput {
  /** The post as the event store has it now (rebuilt right before the call). */
  state: PostState;
  platform: Platform;
  /** The publish request this job belongs to; a job of an older request does nothing. */
  publishId: string;
  adapter: PlatformAdapter;
  /** The connected account with its credentials; null when it is gone (removed since the request). */
  account: PlatformAccount | null;
  /** 1 on the first delivery of the job. */
  attempt: number;
  /** At this attempt a retryable failure is recorded as final instead of retried. */
  maxAttempts: number;
  /** Records one result; must resolve only once the fact is durable. */
  record(result: PublishResult): Promise<void>;
  /** Turns a segment's media into attachments the adapter can load. */
  attachMedia(media: SegmentMedia[]): MediaAttachment[];
  /** Turns a link into a preview whose page the adapter can read; default: public addresses only. */
  attachLink?(link: SegmentLink): LinkPreview;
  backoff?: RetryBackoff;
  random?: () => number;
  /** Called before each request to the platform: a long thread must not look abandoned to the queue. */
  heartbeat?: () => void;
  /** Milliseconds since the epoch, for when the next attempt is due. Default `Date.now`. */
  now?: () => number;
  signal?: AbortSignal;
}

export type ThreadOutcome =
  /** Every segment is on the platform and recorded. */
  | { kind: 'published'; segments: number }
  /** The platform's failure is recorded; nothing more to do for this job. */
  | { kind: 'failed'; code: FailureCode; error: string }
  /** Nothing recorded as final: try the job again after `delayMs`. */
  | { kind: 'retry'; delayMs: number; reason: string }
  /** Nothing to do: the post was deleted, the request superseded, or the platform already finished. */
  | { kind: 'skipped'; reason: string };

export const OUTCOME_UNKNOWN_MESSAGE = 'outcome unknown: check the account before retrying';
/** A recorded failure: our own words around the platform's (itself at most 300 characters). */
const RECORDED_ERROR_MAX = 600;

/** Thrown by `record` wrappers when the command side says the result no longer applies. */
class Superseded extends Error {}

const FAILURE_CODES: Record<PlatformErrorKind, FailureCode> = {
  auth: 'auth',
  rate_limited: 'rate_limited',
  transient: 'transient',
  rejected: 'rejected',
  unknown_outcome: 'outcome_unknown',
};

function toSegmentRef(segment: PublishedSegment): SegmentRef {
  return segment.ref ? { post_id: segment.post_id, post_url: segment.post_url, ref: segment.ref } : { post_id: segment.post_id, post_url: segment.post_url };
}

function asPlatformError(err: unknown): PlatformError {
  if (err instanceof PlatformError) return err;
  // An error the adapter did not classify may have come after the request left: the
  // only safe reading is that the outcome is unknown.
  const message = err instanceof Error ? err.message : String(err);
  return new PlatformError('unknown_outcome', message);
}

/**
 * Publishes one platform's part of a publish request: the thread's segments in order,
 * one at a time, each recorded the moment the platform accepted it, so that a job that
 * is interrupted (crash, redelivery) resumes after the last recorded segment and never
 * posts one twice. Pure orchestration over the adapter port: no queue, no clock.
 */
export async function publishThread(input: PublishThreadInput): Promise<ThreadOutcome> {
  const { state, platform, publishId, adapter, attempt, maxAttempts } = input;
  const backoff = input.backoff ?? DEFAULT_RETRY_BACKOFF;
  const random = input.random ?? Math.random;
  const progress = state.progress[platform];

  if (!state.exists || state.deleted) return { kind: 'skipped', reason: 'the post was deleted' };
  if (!progress || progress.publish_id !== publishId) return { kind: 'skipped', reason: `publish ${publishId} is no longer the current one for ${platform}` };
  if (progress.outcome !== null) return { kind: 'skipped', reason: `${platform} already finished publish ${publishId}` };
  const round = state.round;
  const requestedAt = round && round.publish_id === publishId ? round.requested_at : state.updated_at;

  const record = async (result: PublishResult): Promise<void> => {
    try {
      await input.record(result);
    } catch (err) {
      if (err instanceof PostNotFound || err instanceof PostConflict) throw new Superseded(err.message);
      throw err;
    }
  };
  // What is recorded is read by the workspace (platform_results, history, webhooks): the
  // account's own credentials and anything token-shaped never reach it, at any length.
  const secrets = Object.values(input.account?.credentials ?? {});
  const fail = async (code: FailureCode, raw: string, retryable: boolean): Promise<ThreadOutcome> => {
    const error = cleanPlatformText(raw, secrets, RECORDED_ERROR_MAX);
    await record({ type: 'RecordPlatformFailed', publish_id: publishId, platform, error, code, retryable, attempts: attempt });
    return { kind: 'failed', code, error };
  };
  /** A failure worth another attempt, unless this was the last one. */
  const retryOrFail = async (error: PlatformError, outcomeUnknown = false): Promise<ThreadOutcome> => {
    if (attempt >= maxAttempts) {
      return fail(FAILURE_CODES[error.kind], `${error.message} (gave up after ${attempt} attempts)`, true);
    }
    const delayMs = retryDelay(attempt, backoff, error.details.retryAfterMs, random);
    // Recorded before the retry is scheduled, so the post shows the attempt, its error and
    // when the next is due (`platform_results[p].pending`), and history lists every attempt.
    await record({
      type: 'RecordPlatformAttemptFailed',
      publish_id: publishId,
      platform,
      attempt,
      error: cleanPlatformText(error.message, secrets, RECORDED_ERROR_MAX),
      code: FAILURE_CODES[error.kind],
      next_attempt_at: new Date((input.now ?? Date.now)() + delayMs).toISOString(),
      outcome_unknown: outcomeUnknown,
    });
    return { kind: 'retry', delayMs, reason: error.message };
  };

  try {
    if (input.account === null) {
      const accountId = progress.account_id;
      return await fail(
        'no_account',
        accountId
          ? `the ${platform} account ${accountId} is no longer connected; connect one with POST /v1/accounts and retry`
          : `no connected ${platform} account; connect one with POST /v1/accounts`,
        false,
      );
    }
    const account = input.account;
    const thread = threadFor(state, platform);
    const recorded = progress.segments.slice();
    const settings = state.platform_settings[platform] ?? {};

    if (recorded.length === 0) {
      // A scheduled publish is not checked when requested (nothing would hear the answer);
      // the platforms that would refuse it fail here with the same reasons the API gives.
      const problems = checkPost(state, [platform]).map((p) => p.message);
      problems.push(...threadRefusals(adapter, thread, input.attachMedia, settings, requestedAt).map((r) => r.message));
      if (problems.length > 0) return await fail('invalid', problems.join('; '), false);
    }

    const firstUnrecorded = recorded.length;
    for (let index = firstUnrecorded; index < thread.length; index++) {
      const segment = thread[index];
      const request: SegmentRequest = {
        account,
        text: segment.text,
        media: input.attachMedia(segment.media),
        ...(segment.link ? { link: input.attachLink ? input.attachLink(segment.link) : linkPreview(segment.link) } : {}),
        index,
        total: thread.length,
        ...(index > 0 ? { root: toSegmentRef(recorded[0]), parent: toSegmentRef(recorded[index - 1]) } : {}),
        idempotencyKey: `${publishId}:${platform}:${index}`,
        requestedAt,
        settings,
        ...(input.signal ? { signal: input.signal } : {}),
      };
      const idempotent = adapter.rules.idempotentWrites;

      let ref: SegmentRef | null = null;
      // A redelivered job may have been cut off after the platform took this segment but
      // before it was recorded: where a blind repeat would post twice, look first.
      if (index === firstUnrecorded && attempt > 1 && !idempotent && adapter.findPublished) {
        input.heartbeat?.();
        try {
          ref = await adapter.findPublished(request);
        } catch (err) {
          const error = asPlatformError(err);
          if (error.retryable) return await retryOrFail(error);
          // Refused credentials: the account must be reconnected before anything can be known.
          if (error.kind === 'auth') return await fail('auth', error.message, false);
          return await fail('outcome_unknown', `${OUTCOME_UNKNOWN_MESSAGE} (${error.message})`, false);
        }
      }

      if (ref === null) {
        input.heartbeat?.();
        try {
          ref = await adapter.publishSegment(request);
        } catch (err) {
          const error = asPlatformError(err);
          switch (error.kind) {
            case 'rate_limited':
            case 'transient':
              return await retryOrFail(error);
            case 'auth':
            case 'rejected':
              return await fail(error.kind, error.message, false);
            case 'unknown_outcome': {
              // Idempotent writes make a repeat harmless: the platform refuses the second copy.
              if (idempotent) return await retryOrFail(error, true);
              if (!adapter.findPublished) return await fail('outcome_unknown', `${OUTCOME_UNKNOWN_MESSAGE} (${error.message})`, false);
              let found: SegmentRef | null;
              try {
                found = await adapter.findPublished(request);
              } catch (lookupErr) {
                return await fail('outcome_unknown', `${OUTCOME_UNKNOWN_MESSAGE} (${error.message}; ${asPlatformError(lookupErr).message})`, false);
              }
              // Certainly not there: posting again cannot double it.
              if (found === null) return await retryOrFail(new PlatformError('transient', error.message, error.details));
              ref = found;
              break;
            }
          }
        }
      }

      await record({
        type: 'RecordSegmentPublished',
        publish_id: publishId,
        platform,
        segment_index: index,
        segment_count: thread.length,
        post_id: ref.post_id,
        post_url: ref.post_url,
        ref: ref.ref ?? null,
      });
      recorded[index] = { post_id: ref.post_id, post_url: ref.post_url, ref: ref.ref ?? null };
    }

    await record({ type: 'RecordPlatformPublished', publish_id: publishId, platform, attempts: attempt });
    return { kind: 'published', segments: thread.length };
  } catch (err) {
    if (err instanceof Superseded) return { kind: 'skipped', reason: err.message };
    throw err;
  }
}
