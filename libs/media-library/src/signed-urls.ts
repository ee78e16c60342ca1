import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Links to one media item's bytes that need no API key, for platforms that fetch media
 * themselves (Instagram, Threads, TikTok pull): `<base>/v1/public/media/<id>?expires=<unix s>&signature=<hmac>`.
 * The signature covers the id and the expiry, so a link works for its item only and only until then.
 */
export class MediaUrlSigner {
  constructor(
    private readonly key: Buffer,
    private baseUrl: string,
  ) {}

  /** Where the API turned out to listen, when no public URL was configured. */
  useBaseUrl(url: string): void {
    this.baseUrl = url;
  }

  private signature(id: string, expires: number): string {
    return createHmac('sha256', this.key).update(`media:${id}:${expires}`).digest('base64url');
  }

  url(id: string, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return `${this.baseUrl.replace(/\/+$/, '')}/v1/public/media/${encodeURIComponent(id)}?expires=${expires}&signature=${this.signature(id, expires)}`;
  }

  /** `valid` only for the item it was made for, before it expires. */
  verify(id: string, expires: unknown, signature: unknown, now: Date): 'valid' | 'expired' | 'invalid' {
    if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires) || typeof signature !== 'string') return 'invalid';
    const expected = Buffer.from(this.signature(id, Number(expires)));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return Number(expires) * 1000 < now.getTime() ? 'expired' : 'valid';
  }
}
