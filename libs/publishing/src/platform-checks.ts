import { type Platform, type PlatformRefusal, type PostContent, type SegmentMedia, type ThreadSegment, threadFor } from '../../domain';
import { type MediaAttachment, type MediaAttachmentOptions, mediaAttachments, type PlatformAdapter } from '../../platforms';

/** Attachments of a segment's media; nothing is downloaded until an adapter loads them. */
export function segmentAttachments(media: SegmentMedia[], options: MediaAttachmentOptions): MediaAttachment[] {
  if (media.length === 0) return [];
  const reference = (m: SegmentMedia) => (m.media_id ? { media_id: m.media_id } : { url: m.url });
  const images = media.filter((m) => m.kind === 'image').map((m) => ({ ...reference(m), alt_text: m.alt_text ?? null }));
  const video = media.find((m) => m.kind === 'video');
  return mediaAttachments({ images, video: video ? { ...reference(video), thumbnail_url: video.thumbnail_url ?? null } : null }, options);
}

/** The field a client fixes for a problem of segment `index` (0 is `content`). */
function segmentField(index: number): string {
  return index === 0 ? 'content' : `segments[${index - 1}]`;
}

/**
 * What the adapter would refuse of each segment of `thread`, before any request: the
 * platform's own rules beyond the domain's (YouTube's title, media each TikTok post needs,
 * public media URLs for Meta). The same check runs at publish time and in `validate`.
 */
export function threadRefusals(
  adapter: PlatformAdapter,
  thread: readonly ThreadSegment[],
  attachMedia: (media: SegmentMedia[]) => MediaAttachment[],
  settings: Record<string, unknown>,
  requestedAt: string,
): PlatformRefusal[] {
  if (!adapter.check) return [];
  return thread.flatMap((segment, index) =>
    adapter
      .check!({ text: segment.text, media: attachMedia(segment.media), index, total: thread.length, requestedAt, settings })
      .map((message) => ({ platform: adapter.platform, field: segmentField(index), message })),
  );
}

/** The adapters' refusals for a post's content, for every platform it targets. */
export interface PlatformChecks {
  refusals(post: Pick<PostContent, 'platforms' | 'content' | 'media' | 'segments' | 'platform_overrides' | 'platform_settings'>, requestedAt: string): PlatformRefusal[];
}

export function platformChecks(adapters: Partial<Record<Platform, PlatformAdapter>>, media: MediaAttachmentOptions = {}): PlatformChecks {
  return {
    refusals(post, requestedAt) {
      return post.platforms.flatMap((platform) => {
        const adapter = adapters[platform];
        if (!adapter) return [];
        return threadRefusals(adapter, threadFor(post, platform), (m) => segmentAttachments(m, media), post.platform_settings[platform] ?? {}, requestedAt);
      });
    },
  };
}
