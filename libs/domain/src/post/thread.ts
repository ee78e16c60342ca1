import { Platform, rulesOf } from '../platforms';
import type { PostContent } from './post';

export interface SegmentMedia {
  kind: 'image' | 'video';
  url: string;
  alt_text?: string;
  thumbnail_url?: string;
}

/** A link to show as a preview card (segment 0 only, on platforms that have one). */
export interface SegmentLink {
  url: string;
  title?: string;
  description?: string;
}

export interface ThreadSegment {
  text: string;
  media: SegmentMedia[];
  link?: SegmentLink;
}

/** The text with the link appended, unless the text already has it. */
function withLink(text: string, url: string): string {
  return text.includes(url) ? text : `${text}\n\n${url}`;
}

const VIDEO_EXTENSION = /\.(mp4|m4v|mov|webm)(\?|#|$)/i;

/**
 * The thread as one platform publishes it: segment 0 is the main post (the platform's
 * override when there is one), each reply follows. Platforms that post a thread as
 * separate posts (`numbered_posts`) get an `(i/n)` counter on each.
 */
export function threadFor(
  post: Pick<PostContent, 'content' | 'media' | 'segments' | 'platform_overrides' | 'link_url' | 'link_title' | 'link_description'>,
  platform: Platform,
): ThreadSegment[] {
  const main: ThreadSegment = {
    text: post.platform_overrides[platform] ?? post.content,
    media: [
      ...(post.media?.images ?? []).map((i) => ({ kind: 'image' as const, url: i.url, alt_text: i.alt_text ?? undefined })),
      ...(post.media?.video ? [{ kind: 'video' as const, url: post.media.video.url, thumbnail_url: post.media.video.thumbnail_url ?? undefined }] : []),
    ],
  };
  if (post.link_url) {
    // A card where the platform has one and the post has no media (media wins); else the URL in the text.
    if (rulesOf(platform).linkPreview && main.media.length === 0) {
      main.link = {
        url: post.link_url,
        ...(post.link_title ? { title: post.link_title } : {}),
        ...(post.link_description ? { description: post.link_description } : {}),
      };
    } else {
      main.text = withLink(main.text, post.link_url);
    }
  }
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
