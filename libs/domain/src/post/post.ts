import type { Platform } from '../platforms';

/** What a client writes: the content of a post, apart from its schedule. */

/**
 * What a media library item was when a post named it, recorded in the post's events: the
 * item may be deleted later, but history keeps which bytes (sha256) the post had.
 */
export interface MediaFile {
  sha256: string;
  kind: 'image' | 'video';
  mime: string;
  bytes: number;
  width: number | null;
  height: number | null;
  duration_s: number | null;
}

/** By `url` (fetched at publish time) or by `media_id` (an item of the workspace's media library). */
export interface PostImage {
  url?: string;
  media_id?: string;
  /** Facts of `media_id`'s item, filled in when the post names it. */
  file?: MediaFile;
  alt_text?: string | null;
}

export interface PostVideo {
  url?: string;
  media_id?: string;
  file?: MediaFile;
  thumbnail_url?: string | null;
}

export interface PostMedia {
  images: PostImage[];
  video: PostVideo | null;
}

export interface Segment {
  content: string;
  media_urls?: string[];
  /** Items of the media library, after `media_urls`. */
  media_ids?: string[];
  /** `media_files[i]` describes `media_ids[i]`, filled in when the post names them. */
  media_files?: MediaFile[];
}

export interface PostContent {
  content: string;
  platforms: Platform[];
  media: PostMedia | null;
  /** Replies after the main post; null when the post is not a thread. */
  segments: Segment[] | null;
  tags: string[];
  platform_overrides: Partial<Record<Platform, string>>;
  platform_settings: Partial<Record<Platform, Record<string, unknown>>>;
  /** IANA zone in which a wall-clock `scheduled_for` is read. */
  timezone: string;
  /** Specific connected accounts to publish through; null means the workspace's account per platform. */
  accounts: string[] | null;
  /**
   * A client's id tying posts together (a campaign, a thread of posts); null when none.
   * Optional in events: posts created before groups existed have none.
   */
  group_id?: string | null;
  /**
   * A link shared as a preview card where the platform has one (`seeds/004`), else put in
   * the text. Optional in events, like every field added after v1 of `PostCreated`.
   */
  link_url?: string | null;
  /** Title and description of the card, where the platform takes them from the client (LinkedIn). */
  link_title?: string | null;
  link_description?: string | null;
}

export const CONTENT_FIELDS: readonly (keyof PostContent)[] = [
  'content',
  'platforms',
  'media',
  'segments',
  'tags',
  'platform_overrides',
  'platform_settings',
  'timezone',
  'accounts',
  'group_id',
  'link_url',
  'link_title',
  'link_description',
];

export const MAX_SEGMENTS = 24;
export const MAX_SEGMENT_LENGTH = 5000;
export const MAX_IMAGES = 4;
export const MAX_SCHEDULE_AHEAD_DAYS = 365;
export const MAX_GROUP_ID_LENGTH = 128;
export const MAX_LINK_TITLE_LENGTH = 300;
export const MAX_LINK_DESCRIPTION_LENGTH = 1000;

export type PostStatus = 'draft' | 'scheduled' | 'publishing' | 'published' | 'failed';
export const POST_STATUSES: readonly PostStatus[] = ['draft', 'scheduled', 'publishing', 'published', 'failed'];

/** Who asked for a publish: a client, the scheduler at `scheduled_for`, or a retry of failed platforms. */
export type PublishTrigger = 'api' | 'schedule' | 'retry';

export interface PublishTarget {
  platform: Platform;
  /** Connected account chosen when publishing was requested; null when the workspace has none. */
  account_id: string | null;
}

/** Why a platform failed, as the publisher classified it. */
export type FailureCode = 'auth' | 'rate_limited' | 'transient' | 'rejected' | 'outcome_unknown' | 'no_account' | 'invalid';
