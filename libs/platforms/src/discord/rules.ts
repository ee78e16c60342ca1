import { PlatformRules, rulesOf } from '../../../domain';

export const DISCORD_RULES: PlatformRules = rulesOf('discord');
export const DISCORD_NAME = DISCORD_RULES.name;

/** Discord's host; an account's `base_url` points at another (a test fake). The API lives under `/api/v10`. */
export const DISCORD_ORIGIN = 'https://discord.com';
export const DISCORD_API_PATH = '/api/v10';

/** Attachments: 10 MB per file for bots and webhooks without boosts. */
export const DISCORD_MAX_FILE_BYTES = DISCORD_RULES.media.maxImageBytes ?? 10_000_000;
export const DISCORD_MAX_ATTACHMENTS = DISCORD_RULES.media.maxImages;
export const DISCORD_MAX_ALT_TEXT = DISCORD_RULES.media.maxAltText ?? 1024;
/** Thread names: 1 to 100 characters. */
export const DISCORD_MAX_THREAD_NAME = 100;

/** Channel types (Discord: "Channel Types") whose messages live in threads only. */
export const DISCORD_THREAD_ONLY_CHANNEL_TYPES: readonly number[] = [15, 16];

/** Discord says when a rate limit resets in seconds (float) from now. */
export const DISCORD_RATE_LIMIT_HEADERS: readonly string[] = ['x-ratelimit-reset-after'];

/** Discord's epoch (2015-01-01T00:00:00Z) for snowflake ids. */
export const DISCORD_EPOCH_MS = 1_420_070_400_000n;
