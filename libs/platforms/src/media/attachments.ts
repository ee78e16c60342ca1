import { LoadedMedia, MediaAttachment } from '../port';
import { DEFAULT_MEDIA_TIMEOUT_MS, fetchMedia } from './fetch-media';

/** The `media` of a post as the API takes it. */
export interface MediaInput {
  images?: Array<{ url: string; alt_text?: string | null }> | null;
  video?: { url: string; thumbnail_url?: string | null } | null;
}

// Generous download caps: adapters shrink images to their platform's limit afterwards.
export const DEFAULT_MAX_IMAGE_DOWNLOAD_BYTES = 50_000_000;
export const DEFAULT_MAX_VIDEO_DOWNLOAD_BYTES = 512_000_000;

export interface MediaAttachmentOptions {
  /** Tests; production passes `MEDIA_ALLOW_PRIVATE_NETWORKS === 'true'`. */
  allowPrivateNetworks?: boolean;
  timeoutMs?: number;
  maxImageBytes?: number;
  maxVideoBytes?: number;
}

/** One piece of media as the domain describes a segment's (`{kind, url, alt_text?, thumbnail_url?}`). */
export interface MediaItem {
  kind: 'image' | 'video';
  url: string;
  alt_text?: string | null;
  thumbnail_url?: string | null;
}

/** An attachment that downloads on first `load()` and keeps the bytes for later calls. */
export function mediaAttachment(item: MediaItem, options: MediaAttachmentOptions = {}): MediaAttachment {
  const { kind, url } = item;
  const maxBytes = kind === 'image' ? options.maxImageBytes ?? DEFAULT_MAX_IMAGE_DOWNLOAD_BYTES : options.maxVideoBytes ?? DEFAULT_MAX_VIDEO_DOWNLOAD_BYTES;
  let loading: Promise<LoadedMedia> | undefined;
  return {
    kind,
    url,
    ...(item.alt_text ? { alt_text: item.alt_text } : {}),
    ...(item.thumbnail_url ? { thumbnail_url: item.thumbnail_url } : {}),
    load() {
      loading ??= fetchMedia(url, { kind, maxBytes, allowPrivateNetworks: options.allowPrivateNetworks, timeoutMs: options.timeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS }).catch((err: unknown) => {
        // A failed download is not kept: the next attempt of the segment tries again.
        loading = undefined;
        throw err;
      });
      return loading;
    },
  };
}

/** The post's `media` (`{images, video}`) as attachments, images first. */
export function mediaAttachments(media: MediaInput | null | undefined, options: MediaAttachmentOptions = {}): MediaAttachment[] {
  if (!media) return [];
  return [
    ...(media.images ?? []).map((image) => mediaAttachment({ ...image, kind: 'image' }, options)),
    ...(media.video ? [mediaAttachment({ ...media.video, kind: 'video' }, options)] : []),
  ];
}
