import { PlatformAccount, PlatformError, SegmentRequest } from '../port';
import { InstanceLimits, MASTODON_DEFAULT_LIMITS, MASTODON_NAME, MASTODON_RULES, statusLength } from './rules';

function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  return current;
}

function positive(...candidates: unknown[]): number | undefined {
  return candidates.find((c): c is number => typeof c === 'number' && Number.isFinite(c) && c > 0);
}

/** An instance's limits from `GET /api/v2/instance` (or v1, or Pleroma's `max_toot_chars`), defaults for what it omits. */
export function instanceLimits(body: unknown): InstanceLimits {
  const statuses = at(body, 'configuration', 'statuses');
  const media = at(body, 'configuration', 'media_attachments');
  const d = MASTODON_DEFAULT_LIMITS;
  return {
    maxCharacters: positive(at(statuses, 'max_characters'), at(body, 'max_toot_chars')) ?? d.maxCharacters,
    charactersReservedPerUrl: positive(at(statuses, 'characters_reserved_per_url')) ?? d.charactersReservedPerUrl,
    maxMediaAttachments: positive(at(statuses, 'max_media_attachments')) ?? d.maxMediaAttachments,
    descriptionLimit: positive(at(media, 'description_limit')) ?? d.descriptionLimit,
    imageSizeLimit: positive(at(media, 'image_size_limit')) ?? d.imageSizeLimit,
    videoSizeLimit: positive(at(media, 'video_size_limit')) ?? d.videoSizeLimit,
  };
}

export interface MastodonSettings {
  visibility?: string;
  spoiler_text?: string;
  sensitive?: boolean;
}

export function settingsOf(settings: Record<string, unknown>): MastodonSettings {
  return {
    ...(typeof settings.visibility === 'string' ? { visibility: settings.visibility } : {}),
    ...(typeof settings.spoiler_text === 'string' && settings.spoiler_text !== '' ? { spoiler_text: settings.spoiler_text } : {}),
    ...(typeof settings.sensitive === 'boolean' ? { sensitive: settings.sensitive } : {}),
  };
}

/** What the instance would refuse in this segment, found without a request once its limits are known. */
export function segmentProblems(request: Pick<SegmentRequest, 'text' | 'media' | 'settings'>, limits: InstanceLimits = MASTODON_DEFAULT_LIMITS): string[] {
  const problems: string[] = [];
  const spoiler = settingsOf(request.settings).spoiler_text ?? '';
  const length = statusLength(request.text, spoiler, limits.charactersReservedPerUrl);
  if (length > limits.maxCharacters) {
    problems.push(`text${spoiler ? ' with its content warning' : ''} is ${length} characters (URLs count as ${limits.charactersReservedPerUrl}); this instance takes at most ${limits.maxCharacters}`);
  }
  if (request.text.trim() === '' && request.media.length === 0) problems.push('a Mastodon post needs text or media');
  const images = request.media.filter((m) => m.kind === 'image').length;
  const videos = request.media.filter((m) => m.kind === 'video').length;
  if (request.media.length > limits.maxMediaAttachments) problems.push(`${request.media.length} attachments; this instance takes at most ${limits.maxMediaAttachments}`);
  if (videos > MASTODON_RULES.media.maxVideos) problems.push(`${videos} videos; Mastodon takes at most ${MASTODON_RULES.media.maxVideos}`);
  if (images > 0 && videos > 0 && !MASTODON_RULES.media.mixImagesAndVideo) problems.push('Mastodon takes images or a video in one post, not both');
  request.media.forEach((m, i) => {
    if (m.alt_text && [...m.alt_text].length > limits.descriptionLimit) problems.push(`alt text of ${m.kind} ${i + 1} is longer than ${limits.descriptionLimit} characters`);
  });
  return problems;
}

export interface Instance {
  base: string;
  token: string;
}

/** The account's instance and token; Mastodon has no default instance. */
export function instanceOf(account: PlatformAccount): Instance {
  if (!account.base_url) throw new PlatformError('rejected', `the ${MASTODON_NAME} account "${account.name}" has no base_url: set it to the instance's address (e.g. https://mastodon.social)`);
  let base: URL;
  try {
    base = new URL(account.base_url);
  } catch {
    throw new PlatformError('rejected', `the ${MASTODON_NAME} account's base_url "${account.base_url}" is not a URL`);
  }
  const token = account.credentials.access_token;
  if (!token) throw new PlatformError('auth', `no ${MASTODON_NAME} access token is stored: reconnect your ${MASTODON_NAME} account`);
  return { base: base.href.replace(/\/+$/, ''), token };
}

export function apiUrl(base: string, path: string): string {
  return `${base}${path}`;
}

export function authorization(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** `POST /api/v2/media` body: the file and its description. */
export function mediaUpload(bytes: Buffer, mime: string, description: string | undefined): FormData {
  const form = new FormData();
  const extension = mime.split('/')[1] ?? 'bin';
  form.append('file', new Blob([new Uint8Array(bytes)], { type: mime }), `upload.${extension === 'quicktime' ? 'mov' : extension}`);
  if (description) form.append('description', description);
  return form;
}

/** `POST /api/v1/statuses` body. */
export function statusBody(request: Pick<SegmentRequest, 'text' | 'settings' | 'parent'>, mediaIds: readonly string[]): Record<string, unknown> {
  return {
    status: request.text,
    ...(mediaIds.length > 0 ? { media_ids: mediaIds } : {}),
    ...(request.parent ? { in_reply_to_id: request.parent.ref?.id ?? request.parent.post_id } : {}),
    ...settingsOf(request.settings),
  };
}

export function idempotencyHeader(key: string): Record<string, string> {
  return { 'idempotency-key': key };
}
