export * from './src/port';
export * from './src/http';
export * from './src/media';
export { BlueskyAdapter } from './src/bluesky/bluesky-adapter';
export type { BlueskyAdapterOptions } from './src/bluesky/bluesky-adapter';
export { MastodonAdapter } from './src/mastodon/mastodon-adapter';
export type { MastodonAdapterOptions } from './src/mastodon/mastodon-adapter';
