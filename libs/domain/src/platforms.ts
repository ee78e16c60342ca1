/**
 * Platform rules as data. Figures from `shared/PLATFORMS.md` (each platform's public
 * docs); how text is measured lives in `text-length.ts`.
 */

export const PLATFORMS = [
  'twitter',
  'bluesky',
  'mastodon',
  'linkedin',
  'threads',
  'instagram',
  'facebook',
  'tiktok',
  'youtube',
  'discord',
  'slack',
  'telegram',
] as const;

export type Platform = (typeof PLATFORMS)[number];

export function isPlatform(value: unknown): value is Platform {
  return typeof value === 'string' && (PLATFORMS as readonly string[]).includes(value);
}

/**
 * How a thread's segments after the first are posted:
 * - `reply_chain`: each segment replies to the previous one (native threads).
 * - `comment`: the first segment is the post, the rest are comments on it.
 * - `message_thread`: the platform's own message-thread primitive (Slack thread_ts, ...).
 * - `numbered_posts`: separate posts, each with an `(i/n)` counter.
 */
export type ThreadStrategy = 'reply_chain' | 'comment' | 'message_thread' | 'numbered_posts';

/**
 * How text length is counted:
 * - `weighted`: X's weighted count (URLs 23, CJK and emoji 2, NFC).
 * - `graphemes`: user-perceived characters (Bluesky), with a byte cap too.
 * - `characters`: Unicode code points, URLs counted as `urlLength` when set (Mastodon).
 */
export type LengthUnit = 'weighted' | 'graphemes' | 'characters';

export interface TextLimit {
  max: number;
  unit: LengthUnit;
  /** Upper bound on UTF-8 bytes as well (Bluesky: 3,000). */
  maxBytes?: number;
  /** Characters every URL counts for, whatever its real length (Mastodon: 23). */
  urlLength?: number;
}

export interface MediaRules {
  maxImages: number;
  maxVideos: number;
  /** Images and a video in one post. */
  mixImagesAndVideo: boolean;
  /** No text-only posts: a post needs at least one image or video. */
  requiresMedia: boolean;
  /** Only a video will do (YouTube, TikTok for video posts). */
  requiresVideo: boolean;
  maxImageBytes?: number;
  /**
   * The platform fetches media from a URL itself (Meta, TikTok pull): an image over
   * `maxImageBytes` cannot be shrunk on the way and is refused; platforms we upload to get
   * it re-encoded to fit.
   */
  fetchesMedia?: boolean;
  /**
   * Longest video the platform takes, in seconds, for the account kinds Postloom posts as:
   * X 140 (media upload best practices), Bluesky 180 (app.bsky.video limits), Threads 300
   * and Instagram reels 900 (Graph API media reference), LinkedIn 1,800 (Videos API),
   * TikTok 600 (creator_info `max_video_post_duration_sec`, the common ceiling).
   */
  maxVideoSeconds?: number;
  /** Longest alt text the platform takes; undefined when it takes none. */
  maxAltText?: number;
}

export interface PlatformRules {
  platform: Platform;
  name: string;
  text: TextLimit;
  /** Limit of a caption when the post carries media, when it differs from `text` (Telegram 1,024). */
  caption?: TextLimit;
  threadStrategy: ThreadStrategy;
  /** Repeating a write with the same key is refused by the platform (safe to retry blindly). */
  idempotentWrites: boolean;
  media: MediaRules;
  /** Settings accepted in `platform_settings[platform]`, with their allowed values. */
  settings: Record<string, SettingRule>;
  /**
   * A post can be a link-preview card (Bluesky `app.bsky.embed.external`); elsewhere a
   * shared link goes in the text. A card and media exclude each other: media wins.
   */
  linkPreview?: boolean;
}

export type SettingRule = (
  | { type: 'enum'; values: readonly string[] }
  | { type: 'boolean' }
  | { type: 'string'; maxLength: number }
  | { type: 'string[]'; maxItems: number; maxLength: number }
) & {
  /** The platform has the person choose it, with no default: publishing without it is refused, saying why. */
  required?: string;
};

const chars = (max: number): TextLimit => ({ max, unit: 'characters' });

export const PLATFORM_RULES: Readonly<Record<Platform, PlatformRules>> = {
  twitter: {
    platform: 'twitter',
    name: 'X (Twitter)',
    text: { max: 280, unit: 'weighted' },
    threadStrategy: 'reply_chain',
    idempotentWrites: false,
    media: { maxImages: 4, maxVideos: 1, mixImagesAndVideo: false, requiresMedia: false, requiresVideo: false, maxImageBytes: 5_000_000, maxVideoSeconds: 140, maxAltText: 1000 },
    settings: {
      who_can_reply: { type: 'enum', values: ['everyone', 'following', 'mentionedUsers', 'subscribers', 'verified'] },
    },
  },
  bluesky: {
    platform: 'bluesky',
    linkPreview: true,
    name: 'Bluesky',
    text: { max: 300, unit: 'graphemes', maxBytes: 3000 },
    threadStrategy: 'reply_chain',
    idempotentWrites: true,
    media: { maxImages: 4, maxVideos: 1, mixImagesAndVideo: false, requiresMedia: false, requiresVideo: false, maxImageBytes: 2_000_000, maxVideoSeconds: 180, maxAltText: 2000 },
    settings: {},
  },
  mastodon: {
    platform: 'mastodon',
    name: 'Mastodon',
    text: { max: 500, unit: 'characters', urlLength: 23 },
    threadStrategy: 'reply_chain',
    idempotentWrites: true,
    media: { maxImages: 4, maxVideos: 1, mixImagesAndVideo: false, requiresMedia: false, requiresVideo: false, maxImageBytes: 16_000_000, maxAltText: 1500 },
    settings: {
      visibility: { type: 'enum', values: ['public', 'unlisted', 'private', 'direct'] },
      spoiler_text: { type: 'string', maxLength: 500 },
      sensitive: { type: 'boolean' },
    },
  },
  threads: {
    platform: 'threads',
    name: 'Threads',
    text: chars(500),
    threadStrategy: 'reply_chain',
    idempotentWrites: false,
    media: { maxImages: 20, maxVideos: 1, mixImagesAndVideo: true, requiresMedia: false, requiresVideo: false, maxImageBytes: 8_000_000, fetchesMedia: true, maxVideoSeconds: 300, maxAltText: 1000 },
    settings: {
      reply_control: { type: 'enum', values: ['everyone', 'accounts_you_follow', 'mentioned_only'] },
    },
  },
  linkedin: {
    platform: 'linkedin',
    name: 'LinkedIn',
    text: chars(3000),
    threadStrategy: 'comment',
    idempotentWrites: false,
    media: { maxImages: 20, maxVideos: 1, mixImagesAndVideo: false, requiresMedia: false, requiresVideo: false, maxVideoSeconds: 1800, maxAltText: 4086 },
    settings: {
      visibility: { type: 'enum', values: ['PUBLIC', 'CONNECTIONS', 'LOGGED_IN'] },
    },
  },
  instagram: {
    platform: 'instagram',
    name: 'Instagram',
    text: chars(2200),
    threadStrategy: 'comment',
    idempotentWrites: false,
    media: { maxImages: 10, maxVideos: 1, mixImagesAndVideo: true, requiresMedia: true, requiresVideo: false, maxImageBytes: 8_000_000, fetchesMedia: true, maxVideoSeconds: 900, maxAltText: 1000 },
    settings: {
      post_type: { type: 'enum', values: ['post', 'story', 'reel'] },
      collaborators: { type: 'string[]', maxItems: 3, maxLength: 30 },
    },
  },
  facebook: {
    platform: 'facebook',
    name: 'Facebook',
    text: chars(63206),
    threadStrategy: 'comment',
    idempotentWrites: false,
    media: { maxImages: 10, maxVideos: 1, mixImagesAndVideo: false, requiresMedia: false, requiresVideo: false, maxImageBytes: 10_000_000 },
    settings: {
      video_type: { type: 'enum', values: ['reel', 'video'] },
    },
  },
  tiktok: {
    platform: 'tiktok',
    name: 'TikTok',
    text: chars(2200),
    threadStrategy: 'numbered_posts',
    idempotentWrites: false,
    media: { maxImages: 35, maxVideos: 1, mixImagesAndVideo: false, requiresMedia: true, requiresVideo: false, maxVideoSeconds: 600 },
    settings: {
      // TikTok's Content Sharing Guidelines for Direct Post: the privacy level is chosen by the
      // person from the options creator_info returns, with no default value
      // (https://developers.tiktok.com/doc/content-sharing-guidelines); apps are audited against it.
      privacy_level: {
        type: 'enum',
        values: ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY'],
        required: 'TikTok has the person choose who can see each post, with no default',
      },
      allow_comment: { type: 'boolean' },
      allow_duet: { type: 'boolean' },
      allow_stitch: { type: 'boolean' },
      title: { type: 'string', maxLength: 90 },
    },
  },
  youtube: {
    platform: 'youtube',
    name: 'YouTube',
    text: chars(5000),
    threadStrategy: 'comment',
    idempotentWrites: false,
    media: { maxImages: 0, maxVideos: 1, mixImagesAndVideo: false, requiresMedia: true, requiresVideo: true },
    settings: {
      title: { type: 'string', maxLength: 100 },
      privacy: { type: 'enum', values: ['public', 'private', 'unlisted'] },
      made_for_kids: { type: 'boolean' },
      tags: { type: 'string[]', maxItems: 50, maxLength: 100 },
    },
  },
  discord: {
    platform: 'discord',
    name: 'Discord',
    text: chars(2000),
    threadStrategy: 'message_thread',
    idempotentWrites: false,
    media: { maxImages: 10, maxVideos: 1, mixImagesAndVideo: true, requiresMedia: false, requiresVideo: false, maxImageBytes: 10_000_000, maxAltText: 1024 },
    settings: {
      thread_name: { type: 'string', maxLength: 100 },
    },
  },
  slack: {
    platform: 'slack',
    name: 'Slack',
    text: chars(40000),
    threadStrategy: 'message_thread',
    idempotentWrites: false,
    media: { maxImages: 10, maxVideos: 1, mixImagesAndVideo: true, requiresMedia: false, requiresVideo: false, maxAltText: 1000 },
    settings: {},
  },
  telegram: {
    platform: 'telegram',
    name: 'Telegram',
    text: chars(4096),
    caption: chars(1024),
    threadStrategy: 'message_thread',
    idempotentWrites: false,
    media: { maxImages: 10, maxVideos: 1, mixImagesAndVideo: true, requiresMedia: false, requiresVideo: false, maxImageBytes: 10_000_000 },
    settings: {
      disable_notification: { type: 'boolean' },
      parse_mode: { type: 'enum', values: ['MarkdownV2', 'HTML'] },
    },
  },
};

export function rulesOf(platform: Platform): PlatformRules {
  return PLATFORM_RULES[platform];
}
