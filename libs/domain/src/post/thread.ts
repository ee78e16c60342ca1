import { Platform, rulesOf } from '../platforms';
import type { MediaFile, PostContent } from './post';

/** One piece of a segment's media: by URL, or a media library item (`media_id`, with its facts in `file`). */
export interface SegmentMedia {
  kind: 'image' | 'video';
  url?: string;
  media_id?: string;
  file?: MediaFile;
  alt_text?: string;
  thumbnail_url?: string;
}

/** A link to show as a preview card (segment 0 only, on platforms that have one). */
export interface SegmentLink {
  url: string;
  title?: string;
  description?: string;
}

function byReference(item: { url?: string; media_id?: string; file?: MediaFile }): Pick<SegmentMedia, 'url' | 'media_id' | 'file'> {
  return item.media_id ? { media_id: item.media_id, ...(item.file ? { file: item.file } : {}) } : { url: item.url };
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
      ...(post.media?.images ?? []).map((i) => ({ kind: 'image' as const, ...byReference(i), alt_text: i.alt_text ?? undefined })),
      ...(post.media?.video ? [{ kind: 'video' as const, ...byReference(post.media.video), thumbnail_url: post.media.video.thumbnail_url ?? undefined }] : []),
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
    media: [
      ...(s.media_urls ?? []).map((url) => ({ kind: VIDEO_EXTENSION.test(url) ? ('video' as const) : ('image' as const), url })),
      ...(s.media_ids ?? []).map((media_id, j) => {
        const file = s.media_files?.[j];
        return { kind: file?.kind ?? ('image' as const), media_id, ...(file ? { file } : {}) };
      }),
    ],
  }));
  const thread = [main, ...replies];
  if (rulesOf(platform).threadStrategy === 'numbered_posts' && thread.length > 1) {
    return thread.map((s, i) => ({ ...s, text: `${s.text} (${i + 1}/${thread.length})` }));
  }
  return thread;
}
