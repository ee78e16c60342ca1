import type { Platform, PlatformRules } from '../../domain';

/**
 * The platform adapter port: one folder per platform under `libs/platforms/src/<platform>/`
 * with the same shape (rules as data from the domain, request building, error
 * classification, and a test against a local server that answers as the platform's
 * documented API does). The publisher drives a thread segment by segment through
 * `publishSegment`, recording each result before the next (see `publishThread`).
 */

/** A connected account with its credentials decrypted, only ever held in memory. */
export interface PlatformAccount {
  id: string;
  platform: Platform;
  name: string;
  credentials: Record<string, string>;
  /** Another host of the same API (self-hosted Mastodon or PDS, a local test server). */
  base_url?: string;
}

/** Who an account is on its platform, as the platform's identity call answers. */
export interface PlatformUser {
  id: string;
  username: string;
}

export interface LoadedMedia {
  bytes: Buffer;
  /** Sniffed from the bytes, not taken from the URL. */
  mime: string;
}

export interface MediaAttachment {
  kind: 'image' | 'video';
  /** Where the platform may fetch it: the post's URL, or for a media library item a signed, expiring link. */
  url: string;
  /** Set for an item of the media library; `load()` then reads it from the storage port. */
  media_id?: string;
  alt_text?: string;
  thumbnail_url?: string;
  /** Downloads the bytes (size-capped, private addresses refused unless allowed); cached after the first call. */
  load(): Promise<LoadedMedia>;
}

/** What a shared page says about itself (Open Graph), read through the media fetch path. */
export interface LinkPage {
  title?: string;
  description?: string;
  /** The page's `og:image`, as an attachment that downloads on `load()`. */
  image?: MediaAttachment;
}

/** A link to publish as a preview card (segment 0, platforms with `linkPreview`, no media). */
export interface LinkPreview {
  url: string;
  /** Given by the client; LinkedIn shows them, platforms that read the page themselves ignore them. */
  title?: string;
  description?: string;
  /** Fetches and reads the page (address-guarded, size-capped); cached after the first call. */
  page(): Promise<LinkPage>;
}

/**
 * What the platform gave back for one published segment. `ref` carries what a later
 * segment needs to thread onto this one (Bluesky `{uri, cid}`, Slack `ts`, ...);
 * it is recorded in `SegmentPublished` so a resumed thread can continue from it.
 */
export interface SegmentRef {
  post_id: string;
  post_url: string;
  ref?: Record<string, string>;
}

export interface SegmentRequest {
  account: PlatformAccount;
  /** Final text for this platform: override applied, `(i/n)` counter added where the strategy wants it. */
  text: string;
  media: MediaAttachment[];
  /** A link to show as a preview card (only on segment 0 of a platform that has cards, without media). */
  link?: LinkPreview;
  /** 0 is the main post. */
  index: number;
  total: number;
  /** The first segment's ref (thread root / post commented on); undefined for index 0. */
  root?: SegmentRef;
  /** The previous segment's ref; undefined for index 0. */
  parent?: SegmentRef;
  /**
   * Stable across retries and redeliveries of the same segment of the same publish
   * request: `<publish_id>:<platform>:<index>`. Platforms with idempotent writes use it
   * (Bluesky record key, Mastodon `Idempotency-Key`).
   */
  idempotencyKey: string;
  /** ISO instant of the publish request this segment belongs to (Bluesky derives its record key's clock from it). */
  requestedAt: string;
  /** `platform_settings[platform]` of the post, already validated against the rules. */
  settings: Record<string, unknown>;
  signal?: AbortSignal;
}

/**
 * Classification of a failure:
 * - `auth`: token expired or revoked; not retryable; the message says to reconnect.
 * - `rate_limited`: retry after `retryAfterMs`.
 * - `transient`: network error, 5xx; retry with backoff.
 * - `rejected`: the platform refused the content; not retryable; the platform's reason.
 * - `unknown_outcome`: the request may have reached the platform; see PLATFORMS.md.
 */
export type PlatformErrorKind = 'auth' | 'rate_limited' | 'transient' | 'rejected' | 'unknown_outcome';

export class PlatformError extends Error {
  constructor(
    readonly kind: PlatformErrorKind,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; platformCode?: string } = {},
  ) {
    super(message);
    this.name = 'PlatformError';
  }

  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'transient';
  }
}

export interface PlatformAdapter {
  readonly platform: Platform;
  readonly rules: PlatformRules;
  /**
   * Problems the platform would refuse, found before any request (beyond the
   * domain's length and media rules, e.g. YouTube needs a title). Empty when fine.
   */
  check?(request: Omit<SegmentRequest, 'account' | 'idempotencyKey' | 'signal'>): string[];
  /** Publishes one segment, threaded onto `parent`/`root` as the platform's strategy says. */
  publishSegment(request: SegmentRequest): Promise<SegmentRef>;
  /**
   * After an `unknown_outcome`: looks on the platform for the segment (recent posts of
   * the account with the same text). `null` when it is certainly not there; throws
   * when it cannot be known.
   */
  findPublished?(request: SegmentRequest): Promise<SegmentRef | null>;
  /**
   * One cheap identity call with the account's credentials (verify_credentials, users/me,
   * auth.test, getMe, ...): who the account is, or a `PlatformError` quoting the
   * platform's own refusal. Used when an account is connected or its credentials change.
   */
  identify?(account: PlatformAccount, signal?: AbortSignal): Promise<PlatformUser>;
}
