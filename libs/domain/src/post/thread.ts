import { Platform, rulesOf } from '../platforms';
import type { PostContent } from './post';

export interface SegmentMedia {
  kind: 'image' | 'video';
  url: string;
  alt_text?: string;
  thumbnail_url?: string;
}

export interface ThreadSegment {
  text: string;
  media: SegmentMedia[];
}

const VIDEO_EXTENSION = /\.(mp4|m4v|mov|webm)(\?|#|$)/i;

/**
 * The thread as one platform publishes it: segment 0 is the main post (the platform's
 * override when there is one), each reply follows. Platforms that post a thread as
 * separate posts (`numbered_posts`) get an `(i/n)` counter on each.
 */
export function threadFor(post: Pick<PostContent, 'content' | 'media' | 'segments' | 'platform_overrides'>, platform: Platform): ThreadSegment[] {
  const main: ThreadSegment = {
    text: post.platform_overrides[platform] ?? post.content,
    media: [
      ...(post.media?.images ?? []).map((i) => ({ kind: 'image' as const, url: i.url, alt_text: i.alt_text ?? undefined })),
      ...(post.media?.video ? [{ kind: 'video' as const, url: post.media.video.url, thumbnail_url: post.media.video.thumbnail_url ?? undefined }] : []),
    ],
  };
  const replies: ThreadSegment[] = (post.segments ?? []).map((s) => ({
    text: s.content,
    media: (s.media_urls ?? []).map((url) => ({ kind: VIDEO_EXTENSION.test(url) ? ('video' as const) : ('image' as const), url })),
  }));
  const thread = [main, ...replies];
  if (rulesOf(platform).threadStrategy === 'numbered_posts' && thread.length > 1) {
    return thread.map((s, i) => ({ ...s, text: `${s.text} (${i + 1}/${thread.length})` }));
  }
  return thread;
}
