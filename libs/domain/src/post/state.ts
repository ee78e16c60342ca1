import type { Platform } from '../platforms';
import type { RecordedPostEvent } from './events';
import type { FailureCode, PostContent, PostStatus, PublishTarget, PublishTrigger } from './post';

export interface PublishedSegment {
  post_id: string;
  post_url: string;
  ref: Record<string, string> | null;
}

export type PlatformOutcome =
  | { success: true; post_id: string; post_url: string; attempts: number; published_at: string }
  | { success: false; error: string; code: FailureCode; retryable: boolean; attempts: number; failed_at: string };

/** One platform's progress within the publish request that last targeted it. */
export interface PlatformProgress {
  publish_id: string;
  account_id: string | null;
  segments: PublishedSegment[];
  outcome: PlatformOutcome | null;
  /** The last failed attempt while no outcome is known yet (absent before any failed). */
  attempt?: { attempts: number; last_error: string; next_attempt_at: string; outcome_unknown: boolean };
}

export interface PublishRound {
  publish_id: string;
  trigger: PublishTrigger;
  requested_at: string;
  targets: PublishTarget[];
}

export interface PostState extends PostContent {
  exists: boolean;
  deleted: boolean;
  id: string;
  workspace_id: string;
  duplicated_from: string | null;
  scheduled_for: string | null;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  /** The latest publish request; null while the post was never published. */
  round: PublishRound | null;
  progress: Partial<Record<Platform, PlatformProgress>>;
}

export const initialPostState = (): PostState => ({
  exists: false,
  deleted: false,
  id: '',
  workspace_id: '',
  duplicated_from: null,
  content: '',
  platforms: [],
  media: null,
  segments: null,
  tags: [],
  platform_overrides: {},
  platform_settings: {},
  timezone: 'UTC',
  accounts: null,
  group_id: null,
  link_url: null,
  link_title: null,
  link_description: null,
  scheduled_for: null,
  created_at: '',
  updated_at: '',
  published_at: null,
  round: null,
  progress: {},
});

/** Every platform of the current round has an outcome. */
export function roundFinished(state: PostState): boolean {
  const round = state.round;
  if (!round) return false;
  return round.targets.every(({ platform }) => {
    const p = state.progress[platform];
    return p !== undefined && p.publish_id === round.publish_id && p.outcome !== null;
  });
}

/** Status is derived from the events, never stored apart. */
export function statusOf(state: PostState): PostStatus {
  if (!state.round) return state.scheduled_for ? 'scheduled' : 'draft';
  if (!roundFinished(state)) return 'publishing';
  const anySuccess = Object.values(state.progress).some((p) => p?.outcome?.success === true);
  return anySuccess ? 'published' : 'failed';
}

/** Platforms whose last outcome is a failure: what a retry republishes. */
export function failedPlatforms(state: PostState): Platform[] {
  return state.platforms.filter((p) => state.progress[p]?.outcome?.success === false);
}

export function evolve(state: PostState, event: RecordedPostEvent): PostState {
  const at = event.metadata.occurred_at;
  switch (event.type) {
    case 'PostCreated': {
      const { post_id, workspace_id, duplicated_from, ...content } = event.data;
      return {
        ...initialPostState(),
        ...content,
        exists: true,
        id: post_id,
        workspace_id,
        duplicated_from: duplicated_from ?? null,
        created_at: at,
        updated_at: at,
      };
    }
    case 'PostUpdated':
      return { ...state, ...event.data.changes, updated_at: at };
    case 'PostScheduled':
      return { ...state, scheduled_for: event.data.scheduled_for, updated_at: at };
    case 'PostUnscheduled':
      return { ...state, scheduled_for: null, updated_at: at };
    case 'PublishRequested': {
      const progress = { ...state.progress };
      for (const target of event.data.targets) {
        progress[target.platform] = {
          publish_id: event.data.publish_id,
          account_id: target.account_id,
          segments: [],
          outcome: null,
        };
      }
      return {
        ...state,
        round: {
          publish_id: event.data.publish_id,
          trigger: event.data.trigger,
          requested_at: at,
          targets: event.data.targets,
        },
        progress,
        updated_at: at,
      };
    }
    case 'SegmentPublished': {
      const current = state.progress[event.data.platform];
      if (!current || current.publish_id !== event.data.publish_id) return state;
      const segments = current.segments.slice();
      segments[event.data.segment_index] = {
        post_id: event.data.post_id,
        post_url: event.data.post_url,
        ref: event.data.ref,
      };
      return {
        ...state,
        progress: { ...state.progress, [event.data.platform]: { ...current, segments } },
        updated_at: at,
      };
    }
    case 'PlatformPublished':
    case 'PlatformFailed': {
      const current = state.progress[event.data.platform];
      if (!current || current.publish_id !== event.data.publish_id) return state;
      const outcome: PlatformOutcome =
        event.type === 'PlatformPublished'
          ? { success: true, post_id: event.data.post_id, post_url: event.data.post_url, attempts: event.data.attempts, published_at: at }
          : {
              success: false,
              error: event.data.error,
              code: event.data.code,
              retryable: event.data.retryable,
              attempts: event.data.attempts,
              failed_at: at,
            };
      const next: PostState = {
        ...state,
        progress: { ...state.progress, [event.data.platform]: { ...current, outcome } },
        updated_at: at,
      };
      if (next.published_at === null && roundFinished(next) && statusOf(next) === 'published') {
        next.published_at = at;
      }
      return next;
    }
    case 'PlatformAttemptFailed': {
      const current = state.progress[event.data.platform];
      if (!current || current.publish_id !== event.data.publish_id || current.outcome !== null) return state;
      const attempt = { attempts: event.data.attempt, last_error: event.data.error, next_attempt_at: event.data.next_attempt_at, outcome_unknown: event.data.outcome_unknown };
      return { ...state, progress: { ...state.progress, [event.data.platform]: { ...current, attempt } }, updated_at: at };
    }
    case 'PostDeleted':
      return { ...state, deleted: true, updated_at: at };
  }
}

export function rebuild(events: Iterable<RecordedPostEvent>): PostState {
  let state = initialPostState();
  for (const e of events) state = evolve(state, e);
  return state;
}
