import type { Platform } from '../../domain';
import { BlueskyAdapter, BlueskyAdapterOptions, MastodonAdapter, MastodonAdapterOptions, PlatformAdapter } from '../../platforms';

/** Per-platform adapter settings (base URLs come from each account's `base_url`). */
export interface PlatformAdapterOptions {
  bluesky?: BlueskyAdapterOptions;
  mastodon?: MastodonAdapterOptions;
}

/** How to make each platform's adapter; a platform missing here cannot be published to yet. */
const ADAPTERS: Partial<Record<Platform, (options: PlatformAdapterOptions) => PlatformAdapter>> = {
  bluesky: (options) => new BlueskyAdapter(options.bluesky),
  mastodon: (options) => new MastodonAdapter(options.mastodon),
};

/** Platforms this build can publish to; embedded mode fails the others' targets at once. */
export const PUBLISHABLE_PLATFORMS: readonly Platform[] = Object.keys(ADAPTERS) as Platform[];

/**
 * One adapter per platform asked for (default: every publishable one). Adapters hold
 * per-account state (Bluesky sessions, Mastodon instance limits), so a process makes
 * them once and shares them between its jobs.
 */
export function createPlatformAdapters(options: PlatformAdapterOptions = {}, platforms: readonly Platform[] = PUBLISHABLE_PLATFORMS): Partial<Record<Platform, PlatformAdapter>> {
  const adapters: Partial<Record<Platform, PlatformAdapter>> = {};
  for (const platform of platforms) {
    const make = ADAPTERS[platform];
    if (!make) throw new Error(`no publisher for ${platform} yet (available: ${PUBLISHABLE_PLATFORMS.join(', ')})`);
    adapters[platform] = make(options);
  }
  return adapters;
}
