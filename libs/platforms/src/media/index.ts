export { isPrivateAddress } from '../../../outbound';
export { IMAGE_TYPES, isImageType, isVideoType, sniffMime, VIDEO_TYPES } from './sniff';
export { DEFAULT_MEDIA_TIMEOUT_MS, fetchMedia, streamMedia } from './fetch-media';
export type { FetchMediaOptions, MediaBodyConsumer } from './fetch-media';
export { fitImage, imageSize } from './fit-image';
export type { FittedImage, ImageSize } from './fit-image';
export { DEFAULT_MAX_IMAGE_DOWNLOAD_BYTES, DEFAULT_MAX_VIDEO_DOWNLOAD_BYTES, mediaAttachment, mediaAttachments } from './attachments';
export type { MediaAttachmentOptions, MediaInput, MediaItem, StoredMedia } from './attachments';
export { linkPreview, readOpenGraph, MAX_PAGE_BYTES } from './link-page';
