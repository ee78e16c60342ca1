import type { Platform } from '../../domain';
import {
  BlueskyAdapter,
  type BlueskyAdapterOptions,
  DiscordAdapter,
  type DiscordAdapterOptions,
  FacebookAdapter,
  type FacebookAdapterOptions,
  InstagramAdapter,
  type InstagramAdapterOptions,
  LinkedInAdapter,
  type LinkedInAdapterOptions,
  MastodonAdapter,
  type MastodonAdapterOptions,
  type PlatformAdapter,
  SlackAdapter,
  type SlackAdapterOptions,
  TelegramAdapter,
  type TelegramAdapterOptions,
  ThreadsAdapter,
  type ThreadsAdapterOptions,
  TiktokAdapter,
  type TiktokAdapterOptions,
  TwitterAdapter,
  type TwitterAdapterOptions,
  YoutubeAdapter,
  type YoutubeAdapterOptions,
} from '../../platforms';

/** Per-platform adapter settings (base URLs come from each account's `base_url`). */
export interface PlatformAdapterOptions {
  bluesky?: BlueskyAdapterOptions;
  mastodon?: MastodonAdapterOptions;
  twitter?: TwitterAdapterOptions;
  threads?: ThreadsAdapterOptions;
  linkedin?: LinkedInAdapterOptions;
  facebook?: FacebookAdapterOptions;
  instagram?: InstagramAdapterOptions;
  tiktok?: TiktokAdapterOptions;
  youtube?: YoutubeAdapterOptions;
  discord?: DiscordAdapterOptions;
  slack?: SlackAdapterOptions;
  telegram?: TelegramAdapterOptions;
}

/**
 * Adapter settings that follow from the media settings: Meta's platforms fetch media from
 * its URL themselves, so their adapters refuse private URLs unless those are allowed.
 */
export function adapterOptionsFor(media: { allowPrivateNetworks?: boolean }): PlatformAdapterOptions {
  const mediaOptions = { allowPrivateNetworks: media.allowPrivateNetworks ?? false };
  return { facebook: { mediaOptions }, instagram: { mediaOptions }, threads: { mediaOptions } };
}

/** How to make each platform's adapter. */
const ADAPTERS: Record<Platform, (options: PlatformAdapterOptions) => PlatformAdapter> = {
  bluesky: (options) => new BlueskyAdapter(options.bluesky),
  mastodon: (options) => new MastodonAdapter(options.mastodon),
  twitter: (options) => new TwitterAdapter(options.twitter),
  threads: (options) => new ThreadsAdapter(options.threads),
  linkedin: (options) => new LinkedInAdapter(options.linkedin),
  facebook: (options) => new FacebookAdapter(options.facebook),
  instagram: (options) => new InstagramAdapter(options.instagram),
  tiktok: (options) => new TiktokAdapter(options.tiktok),
  youtube: (options) => new YoutubeAdapter(options.youtube),
  discord: (options) => new DiscordAdapter(options.discord),
  slack: (options) => new SlackAdapter(options.slack),
  telegram: (options) => new TelegramAdapter(options.telegram),
};

/** Platforms this build can publish to. */
export const PUBLISHABLE_PLATFORMS: readonly Platform[] = Object.keys(ADAPTERS) as Platform[];

/**
 * One adapter per platform asked for (default: every publishable one). Adapters hold
 * per-account state (Bluesky sessions, Mastodon instance limits), so a process makes
 * them once and shares them between its jobs.
 */
export function createPlatformAdapters(options: PlatformAdapterOptions = {}, platforms: readonly Platform[] = PUBLISHABLE_PLATFORMS): Partial<Record<Platform, PlatformAdapter>> {
  const adapters: Partial<Record<Platform, PlatformAdapter>> = {};
  for (const platform of platforms) {
    adapters[platform] = ADAPTERS[platform](options);
  }
  return adapters;
}
