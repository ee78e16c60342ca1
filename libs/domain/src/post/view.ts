import type { Platform } from '../platforms';
import type { PostMedia, PostStatus, Segment } from './post';
import { PostState, failedPlatforms, statusOf } from './state';

export interface PlatformResultView {
  success: boolean;
  post_id: string | null;
  post_url: string | null;
  error?: string;
  /** Every published segment of a thread, in order (present for threads only). */
  segments?: { post_id: string; post_url: string }[];
  attempts: number;
  published_at?: string;
}

/**
 * A platform still in flight: how many attempts failed so far, the last one's error, and
 * when the next is due. `outcome_unknown`: the last attempt may have reached the platform;
 * the next one looks for the post there before posting again.
 */
export interface PendingPlatformView {
  pending: true;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  outcome_unknown?: true;
}

/** The Post object of the HTTP contract (`seeds/000` plus our additions). */
export interface PostView {
  id: string;
  content: string;
  platforms: Platform[];
  status: PostStatus;
  scheduled_for: string | null;
  timezone: string;
  media: PostMedia | null;
  segments: Segment[] | null;
  tags: string[];
  platform_overrides: Partial<Record<Platform, string>>;
  platform_settings: Partial<Record<Platform, Record<string, unknown>>>;
  accounts: string[] | null;
  /** The client's group of posts (from `seeds/002`), or null. */
  group_id: string | null;
  /** The link shared as a preview card (`seeds/004`), with its optional title and description. */
  link_url: string | null;
  link_title: string | null;
  link_description: string | null;
  platform_results: Partial<Record<Platform, PlatformResultView | PendingPlatformView>> | null;
  /** Platforms whose last publish failed (`seeds/004`'s `failed_platforms`); empty when none. */
  failed_platforms: Platform[];
  created_at: string;
  updated_at: string;
  published_at: string | null;
}

/**
 * Results of finished platforms, and `{pending: true, ...}` for those of the current round
 * still in flight (never a half-made `success`), so a retrying platform is visible with
 * its attempts and last error instead of a silent wait.
 */
function platformResults(state: PostState): PostView['platform_results'] {
  const results: Partial<Record<Platform, PlatformResultView | PendingPlatformView>> = {};
  const isThread = (state.segments?.length ?? 0) > 0;
  for (const platform of state.platforms) {
    const progress = state.progress[platform];
    const outcome = progress?.outcome;
    if (progress && !outcome && progress.publish_id === state.round?.publish_id) {
      const attempt = progress.attempt;
      results[platform] = {
        pending: true,
        attempts: attempt?.attempts ?? 0,
        last_error: attempt?.last_error ?? null,
        next_attempt_at: attempt?.next_attempt_at ?? null,
        ...(attempt?.outcome_unknown ? { outcome_unknown: true as const } : {}),
      };
      continue;
    }
    if (!progress || !outcome) continue;
    const segments = isThread ? progress.segments.filter(Boolean).map((s) => ({ post_id: s.post_id, post_url: s.post_url })) : undefined;
    results[platform] = outcome.success
      ? { success: true, post_id: outcome.post_id, post_url: outcome.post_url, ...(segments ? { segments } : {}), attempts: outcome.attempts, published_at: outcome.published_at }
      : {
          success: false,
          post_id: progress.segments[0]?.post_id ?? null,
          post_url: progress.segments[0]?.post_url ?? null,
          error: outcome.error,
          ...(segments && segments.length > 0 ? { segments } : {}),
          attempts: outcome.attempts,
        };
  }
  return Object.keys(results).length > 0 ? results : null;
}

export function postView(state: PostState): PostView {
  return {
    id: state.id,
    content: state.content,
    platforms: state.platforms,
    status: statusOf(state),
    scheduled_for: state.scheduled_for,
    timezone: state.timezone,
    media: state.media,
    segments: state.segments,
    tags: state.tags,
    platform_overrides: state.platform_overrides,
    platform_settings: state.platform_settings,
    accounts: state.accounts,
    group_id: state.group_id ?? null,
    link_url: state.link_url ?? null,
    link_title: state.link_title ?? null,
    link_description: state.link_description ?? null,
    platform_results: platformResults(state),
    failed_platforms: failedPlatforms(state),
    created_at: state.created_at,
    updated_at: state.updated_at,
    published_at: state.published_at,
  };
}
