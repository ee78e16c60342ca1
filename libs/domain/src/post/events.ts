import type { Platform } from '../platforms';
import type { FailureCode, PostContent, PublishTarget, PublishTrigger } from './post';

/**
 * The Post's events: facts in past tense, immutable, versioned. Never change the
 * meaning of a (type, version): add a new type, or a new version with an upcaster
 * in `upcast.ts`.
 */

interface Event<T extends string, D> {
  type: T;
  version: number;
  data: D;
}

export type PostCreated = Event<'PostCreated', PostContent & { post_id: string; workspace_id: string; duplicated_from: string | null }>;
/** Only the fields that changed, with their new values. */
export type PostUpdated = Event<'PostUpdated', { changes: Partial<PostContent> }>;
export type PostScheduled = Event<'PostScheduled', { scheduled_for: string }>;
export type PostUnscheduled = Event<'PostUnscheduled', Record<string, never>>;
export type PublishRequested = Event<
  'PublishRequested',
  { publish_id: string; trigger: PublishTrigger; targets: PublishTarget[] }
>;
export type SegmentPublished = Event<
  'SegmentPublished',
  {
    publish_id: string;
    platform: Platform;
    segment_index: number;
    segment_count: number;
    post_id: string;
    post_url: string;
    /** What the next segment needs to thread onto this one (Bluesky uri/cid, Slack ts, ...). */
    ref: Record<string, string> | null;
  }
>;
export type PlatformPublished = Event<
  'PlatformPublished',
  { publish_id: string; platform: Platform; post_id: string; post_url: string; attempts: number }
>;
export type PlatformFailed = Event<
  'PlatformFailed',
  { publish_id: string; platform: Platform; error: string; code: FailureCode; retryable: boolean; attempts: number }
>;
/**
 * One attempt at a platform failed for a passing reason and another is coming (at
 * `next_attempt_at`). `outcome_unknown`: the request may have reached the platform; the
 * next attempt looks for the post there before posting again.
 */
export type PlatformAttemptFailed = Event<
  'PlatformAttemptFailed',
  { publish_id: string; platform: Platform; attempt: number; error: string; code: FailureCode; next_attempt_at: string; outcome_unknown: boolean }
>;
export type PostDeleted = Event<'PostDeleted', Record<string, never>>;

export type PostEvent =
  | PostCreated
  | PostUpdated
  | PostScheduled
  | PostUnscheduled
  | PublishRequested
  | SegmentPublished
  | PlatformPublished
  | PlatformFailed
  | PlatformAttemptFailed
  | PostDeleted;

export type PostEventType = PostEvent['type'];

export const POST_EVENT_TYPES: readonly PostEventType[] = [
  'PostCreated',
  'PostUpdated',
  'PostScheduled',
  'PostUnscheduled',
  'PublishRequested',
  'SegmentPublished',
  'PlatformPublished',
  'PlatformFailed',
  'PlatformAttemptFailed',
  'PostDeleted',
];

/** Current version of each event type, as written today. */
export const POST_EVENT_VERSION: Readonly<Record<PostEventType, number>> = {
  PostCreated: 1,
  PostUpdated: 1,
  PostScheduled: 1,
  PostUnscheduled: 1,
  PublishRequested: 1,
  SegmentPublished: 1,
  PlatformPublished: 1,
  PlatformFailed: 1,
  PlatformAttemptFailed: 1,
  PostDeleted: 1,
};

/** The metadata evolve needs: when the fact happened and who caused it. */
export interface PostEventMeta {
  occurred_at: string;
  actor: string;
}

/** An event as read back from the store. */
export type RecordedPostEvent = PostEvent & { metadata: PostEventMeta };

export function postStream(postId: string): string {
  return `post-${postId}`;
}

export const POST_STREAM_PREFIX = 'post-';
