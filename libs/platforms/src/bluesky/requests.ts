import { createHash } from 'node:crypto';
import type { AppBskyEmbedExternal, AppBskyEmbedImages, AppBskyEmbedVideo, AppBskyFeedPost, AppBskyRichtextFacet, BlobRef } from '@atproto/api';
import { checkLength, graphemeCount } from '../../../domain';
import { PlatformError, SegmentRequest } from '../port';
import { BLUESKY_APP_URL, BLUESKY_MAX_VIDEO_ALT, BLUESKY_POST_COLLECTION, BLUESKY_RULES } from './rules';

const S32 = '234567abcdefghijklmnopqrstuvwxyz';
const TID_PATTERN = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/;

export function isTid(value: string): boolean {
  return TID_PATTERN.test(value);
}

/**
 * The record key of one segment, the same on every retry and redelivery, so the PDS
 * refuses a second create: a TID whose clock is the publish request's instant in
 * microseconds plus the segment index (a thread's keys sort in order) and whose clock
 * id is a hash of the idempotency key.
 */
export function recordKey(requestedAt: string, index: number, idempotencyKey: string): string {
  const millis = Date.parse(requestedAt);
  if (Number.isNaN(millis)) throw new PlatformError('rejected', `requestedAt "${requestedAt}" is not an ISO instant`);
  const micros = BigInt(millis) * 1000n + BigInt(index);
  const clockId = BigInt(createHash('sha256').update(idempotencyKey).digest().readUInt16BE(0) & 0x3ff);
  // 64 bits: a zero top bit, 53 bits of microseconds, 10 bits of clock id; 13 sortable base32 characters.
  const value = ((micros & ((1n << 53n) - 1n)) << 10n) | clockId;
  let key = '';
  for (let shift = 60n; shift >= 0n; shift -= 5n) key += S32[Number((value >> shift) & 31n)];
  return key;
}

type CheckInput = Pick<SegmentRequest, 'text' | 'media'>;

/** What Bluesky refuses beyond the domain's rules: a video's alt text is capped lower than an image's. */
export function extraProblems({ media }: Pick<SegmentRequest, 'media'>): string[] {
  return media.flatMap((m, i) =>
    m.kind === 'video' && m.alt_text && graphemeCount(m.alt_text) > BLUESKY_MAX_VIDEO_ALT ? [`alt text of video ${i + 1} is longer than ${BLUESKY_MAX_VIDEO_ALT} graphemes`] : [],
  );
}

/**
 * Everything Bluesky would refuse in this segment, found without any request: the
 * domain's rules (length in graphemes and bytes, media count and kind, alt text) again,
 * since a segment reaching the adapter must not cost a login to be refused, and the extras.
 */
export function segmentProblems({ text, media }: CheckInput): string[] {
  const problems: string[] = [];
  const length = checkLength(text, BLUESKY_RULES.text);
  if (length.length > length.max) problems.push(`text is ${length.length} graphemes; Bluesky takes at most ${length.max}`);
  if (length.bytes !== undefined && length.maxBytes !== undefined && length.bytes > length.maxBytes) {
    problems.push(`text is ${length.bytes} UTF-8 bytes; Bluesky takes at most ${length.maxBytes}`);
  }
  const images = media.filter((m) => m.kind === 'image');
  const videos = media.filter((m) => m.kind === 'video');
  const rules = BLUESKY_RULES.media;
  if (images.length > rules.maxImages) problems.push(`${images.length} images; Bluesky takes at most ${rules.maxImages}`);
  if (videos.length > rules.maxVideos) problems.push(`${videos.length} videos; Bluesky takes at most ${rules.maxVideos}`);
  if (images.length > 0 && videos.length > 0 && !rules.mixImagesAndVideo) problems.push('Bluesky takes images or a video in one post, not both');
  media.forEach((m, i) => {
    if (m.kind === 'image' && m.alt_text && graphemeCount(m.alt_text) > (rules.maxAltText ?? Infinity)) problems.push(`alt text of image ${i + 1} is longer than ${rules.maxAltText} graphemes`);
  });
  if (text.trim() === '' && media.length === 0) problems.push('a Bluesky post needs text or media');
  return [...problems, ...extraProblems({ media })];
}

export interface StrongRef {
  uri: string;
  cid: string;
}

function strongRef(ref: SegmentRequest['parent'], which: string): StrongRef {
  const uri = ref?.ref?.uri;
  const cid = ref?.ref?.cid;
  if (!uri || !cid) throw new PlatformError('rejected', `the ${which} segment's Bluesky reference {uri, cid} is missing, so this reply cannot be threaded`);
  return { uri, cid };
}

/** `reply` of a segment after the first, from the recorded refs of the thread's root and the previous segment. */
export function replyRef(request: Pick<SegmentRequest, 'index' | 'root' | 'parent'>): AppBskyFeedPost.ReplyRef | undefined {
  if (request.index === 0) return undefined;
  return { root: strongRef(request.root, 'first'), parent: strongRef(request.parent, 'previous') };
}

export interface UploadedImage {
  blob: BlobRef;
  alt?: string;
  width?: number;
  height?: number;
}

export function imagesEmbed(images: readonly UploadedImage[]): AppBskyEmbedImages.Main & { $type: 'app.bsky.embed.images' } {
  return {
    $type: 'app.bsky.embed.images',
    images: images.map((image) => ({
      image: image.blob,
      // The lexicon requires `alt`; an empty string says "no description".
      alt: image.alt ?? '',
      ...(image.width && image.height ? { aspectRatio: { width: image.width, height: image.height } } : {}),
    })),
  };
}

export function videoEmbed(blob: BlobRef, alt?: string): AppBskyEmbedVideo.Main & { $type: 'app.bsky.embed.video' } {
  return { $type: 'app.bsky.embed.video', video: blob, ...(alt ? { alt } : {}) };
}

export function postRecord(input: {
  text: string;
  facets?: AppBskyRichtextFacet.Main[];
  embed?: AppBskyFeedPost.Record['embed'];
  reply?: AppBskyFeedPost.ReplyRef;
  createdAt: string;
}): AppBskyFeedPost.Record {
  return {
    $type: BLUESKY_POST_COLLECTION,
    text: input.text,
    ...(input.facets && input.facets.length > 0 ? { facets: input.facets } : {}),
    ...(input.reply ? { reply: input.reply } : {}),
    ...(input.embed ? { embed: input.embed } : {}),
    createdAt: input.createdAt,
  };
}

/** Mentions whose handle did not resolve carry an empty DID, which the PDS refuses: they stay plain text. */
export function resolvedFacets(facets: AppBskyRichtextFacet.Main[] | undefined): AppBskyRichtextFacet.Main[] {
  return (facets ?? []).filter((facet) => facet.features.every((feature) => feature.$type !== 'app.bsky.richtext.facet#mention' || (feature as { did?: string }).did));
}

export function rkeyOf(uri: string): string {
  return uri.slice(uri.lastIndexOf('/') + 1);
}

export function postUrl(handleOrDid: string, uri: string): string {
  return `${BLUESKY_APP_URL}/profile/${handleOrDid}/post/${rkeyOf(uri)}`;
}

/** `app.bsky.embed.external`: the card of a shared link (https://docs.bsky.app/docs/advanced-guides/posts#website-card-embeds). */
export function externalEmbed(card: { uri: string; title: string; description: string; thumb?: BlobRef }): AppBskyEmbedExternal.Main & { $type: 'app.bsky.embed.external' } {
  return {
    $type: 'app.bsky.embed.external',
    external: { uri: card.uri, title: card.title, description: card.description, ...(card.thumb ? { thumb: card.thumb } : {}) },
  };
}
