import { LinkPage, LinkPreview } from '../port';
import { mediaAttachment, MediaAttachmentOptions } from './attachments';
import { DEFAULT_MEDIA_TIMEOUT_MS, fetchMedia } from './fetch-media';

/** Open Graph lives in the head; a page's first 1 MB holds it or nothing does. */
export const MAX_PAGE_BYTES = 1_000_000;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function attributesOf(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/g)) {
    attributes[match[1].toLowerCase()] = decodeEntities(match[2] ?? match[3] ?? match[4] ?? '');
  }
  return attributes;
}

/**
 * The Open Graph title, description and image of an HTML page (falling back to `<title>`
 * and `<meta name="description">`). Only `<meta>` and `<title>` are read, which a scan
 * of the tags does well enough; a full HTML parser would be a new dependency for it.
 */
export function readOpenGraph(html: string, pageUrl: string): { title?: string; description?: string; image?: string } {
  const meta = new Map<string, string>();
  for (const match of html.matchAll(/<meta\b[^>]*>/gi)) {
    const attributes = attributesOf(match[0]);
    const key = (attributes.property ?? attributes.name ?? '').toLowerCase();
    if (key && attributes.content !== undefined && !meta.has(key)) meta.set(key, attributes.content.trim());
  }
  const titleTag = /<title\b[^>]*>([^<]*)<\/title>/i.exec(html)?.[1];
  const title = meta.get('og:title') || meta.get('twitter:title') || (titleTag ? decodeEntities(titleTag).trim() : undefined);
  const description = meta.get('og:description') || meta.get('twitter:description') || meta.get('description');
  let image: string | undefined;
  const imageRef = meta.get('og:image') || meta.get('og:image:url') || meta.get('twitter:image');
  if (imageRef) {
    try {
      const resolved = new URL(imageRef, pageUrl);
      if (resolved.protocol === 'http:' || resolved.protocol === 'https:') image = resolved.toString();
    } catch {
      image = undefined;
    }
  }
  return { ...(title ? { title } : {}), ...(description ? { description } : {}), ...(image ? { image } : {}) };
}

/**
 * A link to preview, whose page is fetched through the media fetch path (http(s) only,
 * private addresses refused unless allowed, size-capped, redirects followed and checked)
 * the first time an adapter asks for it.
 */
export function linkPreview(link: { url: string; title?: string; description?: string }, options: MediaAttachmentOptions = {}): LinkPreview {
  let reading: Promise<LinkPage> | undefined;
  return {
    url: link.url,
    ...(link.title ? { title: link.title } : {}),
    ...(link.description ? { description: link.description } : {}),
    page() {
      reading ??= fetchMedia(link.url, {
        kind: 'page',
        maxBytes: MAX_PAGE_BYTES,
        allowPrivateNetworks: options.allowPrivateNetworks,
        timeoutMs: options.timeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS,
      }).then(
        (loaded) => {
          const og = readOpenGraph(loaded.bytes.toString('utf8'), link.url);
          return {
            ...(og.title ? { title: og.title } : {}),
            ...(og.description ? { description: og.description } : {}),
            ...(og.image ? { image: mediaAttachment({ kind: 'image', url: og.image }, options) } : {}),
          };
        },
        (err: unknown) => {
          reading = undefined;
          throw err;
        },
      );
      return reading;
    },
  };
}
