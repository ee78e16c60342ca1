import type { Platform } from '../platforms';
import type { FailureCode, PostContent, PublishTarget } from './post';

/** Commands carry `now` (ISO UTC): the domain has no clock. */

export interface CreatePost {
  type: 'CreatePost';
  post_id: string;
  workspace_id: string;
  content: PostContent;
  /** Already resolved to a UTC instant (see `parseInstant`), or null for a draft. */
  scheduled_for: string | null;
  duplicated_from?: string | null;
  now: string;
}

export interface UpdatePost {
  type: 'UpdatePost';
  changes: Partial<PostContent>;
  /** undefined: keep; null: unschedule; string: UTC instant. */
  scheduled_for?: string | null;
  now: string;
}

/**
 * Create a post and request its publishing in one decision (`seeds/004`'s
 * create-and-publish): both events are appended together, so no crash can leave the
 * post created but not asked to publish.
 */
export interface CreateAndPublishPost {
  type: 'CreateAndPublishPost';
  post_id: string;
  workspace_id: string;
  content: PostContent;
  publish_id: string;
  targets: PublishTarget[];
  refusals?: PlatformRefusal[];
  now: string;
}

export interface RequestPublish {
  type: 'RequestPublish';
  publish_id: string;
  trigger: 'api' | 'schedule';
  targets: PublishTarget[];
  /**
   * What the platforms' own checks (found by their adapters, outside the domain) would
   * refuse; an API publish is refused with them, beside the domain's own problems.
   */
  refusals?: PlatformRefusal[];
  now: string;
}

/** A reason a platform's adapter gives for refusing a post before any request. */
export interface PlatformRefusal {
  platform: string;
  field: string;
  message: string;
}

export interface RetryPublish {
  type: 'RetryPublish';
  publish_id: string;
  targets: PublishTarget[];
  now: string;
}

export interface RecordSegmentPublished {
  type: 'RecordSegmentPublished';
  publish_id: string;
  platform: Platform;
  segment_index: number;
  segment_count: number;
  post_id: string;
  post_url: string;
  ref: Record<string, string> | null;
}

export interface RecordPlatformPublished {
  type: 'RecordPlatformPublished';
  publish_id: string;
  platform: Platform;
  attempts: number;
}

export interface RecordPlatformFailed {
  type: 'RecordPlatformFailed';
  publish_id: string;
  platform: Platform;
  error: string;
  code: FailureCode;
  retryable: boolean;
  attempts: number;
}

export interface RecordPlatformAttemptFailed {
  type: 'RecordPlatformAttemptFailed';
  publish_id: string;
  platform: Platform;
  attempt: number;
  error: string;
  code: FailureCode;
  next_attempt_at: string;
  outcome_unknown: boolean;
}

export interface DeletePost {
  type: 'DeletePost';
}

export type PostCommand =
  | CreatePost
  | CreateAndPublishPost
  | UpdatePost
  | RequestPublish
  | RetryPublish
  | RecordSegmentPublished
  | RecordPlatformPublished
  | RecordPlatformFailed
  | RecordPlatformAttemptFailed
  | DeletePost;
