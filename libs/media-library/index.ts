export * from './src/port';
export { FileMediaStore } from './src/file-media-store';
export { GridFsMediaStore, type GridFsMediaStoreOptions } from './src/gridfs-media-store';
export { readFacts, kindOf, MediaUnreadable, type OpenBytes } from './src/facts';
export {
  MediaLibrary,
  MediaRefused,
  DEFAULT_MEDIA_LIMITS,
  mediaView,
  isMediaId,
  type MediaLimits,
  type MediaMeta,
  type MediaView,
  type StagedMedia,
} from './src/media-library';
export { MediaUrlSigner } from './src/signed-urls';
export { storedMedia, MEDIA_LINK_TTL_MS } from './src/stored-media';
