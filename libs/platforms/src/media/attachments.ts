import { LoadedMedia, MediaAttachment, PlatformError } from '../port';
import { DEFAULT_MEDIA_TIMEOUT_MS, fetchMedia } from './fetch-media';

/** The `media` of a post as the API takes it. */
export interface MediaInput {
  images?: Array<{ url?: string; media_id?: string; alt_text?: string | null }> | null;
  video?: { url?: string; media_id?: string; thumbnail_url?: string | null } | null;
}

// Generous download caps: adapters shrink images to their platform's limit afterwards.
export const DEFAULT_MAX_IMAGE_DOWNLOAD_BYTES = 50_000_000;
export const DEFAULT_MAX_VIDEO_DOWNLOAD_BYTES = 512_000_000;

/**
 * Items of the media library (posts name them by `media_id`): adapters that upload read the
 * bytes from the storage port; platforms that fetch media themselves get `link`, a signed,
 * expiring URL that needs no key.
 */
export interface StoredMedia {
  link(mediaId: string): string;
  load(mediaId: string): Promise<LoadedMedia>;
}

export interface MediaAttachmentOptions {
  /** Where `media_id` items come from; without it they cannot be loaded. */
  stored?: StoredMedia;
  /** Tests; production passes `MEDIA_ALLOW_PRIVATE_NETWORKS === 'true'`. */
  allowPrivateNetworks?: boolean;
  timeoutMs?: number;
  maxImageBytes?: number;
  maxVideoBytes?: number;
}

/** One piece of media as the domain describes a segment's (`{kind, url, alt_text?, thumbnail_url?}`). */
export interface MediaItem {
  kind: 'image' | 'video';
  /** One of `url` and `media_id`. */
  url?: string;
  media_id?: string;
  alt_text?: string | null;
  thumbnail_url?: string | null;
}

/** An attachment that downloads on first `load()` and keeps the bytes for later calls. */
export function mediaAttachment(item: MediaItem, options: MediaAttachmentOptions = {}): MediaAttachment {
  if (item.media_id) return storedAttachment({ ...item, media_id: item.media_id }, options.stored);
  const { kind } = item;
  const url = item.url ?? '';
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

function storedAttachment(item: MediaItem & { media_id: string }, stored: StoredMedia | undefined): MediaAttachment {
  const { kind, media_id } = item;
  let loading: Promise<LoadedMedia> | undefined;
  return {
    kind,
    url: stored ? stored.link(media_id) : '',
    media_id,
    ...(item.alt_text ? { alt_text: item.alt_text } : {}),
    ...(item.thumbnail_url ? { thumbnail_url: item.thumbnail_url } : {}),
    load() {
      if (!stored) return Promise.reject(new PlatformError('rejected', `media ${media_id} cannot be read here: this process has no media library`));
      loading ??= stored.load(media_id).catch((err: unknown) => {
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
