import {
  FieldProblem,
  PostContent,
  PostInvalid,
  PostMedia,
  PostState,
  Segment,
  isValidTimeZone,
  parseInstant,
  type Platform,
} from '../../domain';
import type { CreatePostDto } from './create-post/create-post.dto';
import { MAX_CONTENT_LENGTH, type MediaDto, type SegmentDto } from './post-content.dto';
import type { UpdatePostDto } from './update-post/update-post.dto';

/**
 * From validated request bodies to the domain's words. Field shapes are the DTOs' job
 * and content invariants the domain's; here: defaults, "null means none", reading
 * `scheduled_for` in the post's time zone, and copies into plain data (what is stored
 * in events must be JSON, not class instances).
 */

export interface CreateInput {
  content: PostContent;
  /** UTC instant, or null for a draft. */
  scheduled_for: string | null;
}

export interface UpdateInput {
  changes: Partial<PostContent>;
  /** undefined: keep; null: unschedule; string: UTC instant. */
  scheduled_for?: string | null;
}

function mediaOf(media: MediaDto | null | undefined): PostMedia | null {
  if (!media) return null;
  const reference = (item: { url?: string; media_id?: string }) => (item.media_id !== undefined ? { media_id: item.media_id } : { url: item.url as string });
  const images = (media.images ?? []).map((image) => (typeof image.alt_text === 'string' ? { ...reference(image), alt_text: image.alt_text } : reference(image)));
  const video = media.video
    ? typeof media.video.thumbnail_url === 'string'
      ? { ...reference(media.video), thumbnail_url: media.video.thumbnail_url }
      : reference(media.video)
    : null;
  return images.length === 0 && video === null ? null : { images, video };
}

/** `[]` and null both mean "not a thread", stored as null. */
function segmentsOf(segments: SegmentDto[] | null | undefined): Segment[] | null {
  if (!segments || segments.length === 0) return null;
  return segments.map((s) => ({
    content: s.content,
    ...(s.media_urls && s.media_urls.length > 0 ? { media_urls: [...s.media_urls] } : {}),
    ...(s.media_ids && s.media_ids.length > 0 ? { media_ids: [...s.media_ids] } : {}),
  }));
}

function overridesOf(map: Record<string, unknown> | null | undefined, problems: FieldProblem[]): Partial<Record<Platform, string>> {
  const overrides = plainCopy(map ?? {}) as Record<string, unknown>;
  for (const [platform, text] of Object.entries(overrides)) {
    if (typeof text === 'string' && text.length > MAX_CONTENT_LENGTH) {
      problems.push({ field: `platform_overrides.${platform}`, message: `must be at most ${MAX_CONTENT_LENGTH} characters` });
    }
  }
  return overrides as Partial<Record<Platform, string>>;
}

function settingsOf(map: Record<string, unknown> | null | undefined, problems: FieldProblem[]): Partial<Record<Platform, Record<string, unknown>>> {
  const settings = plainCopy(map ?? {}) as Record<string, unknown>;
  for (const [platform, value] of Object.entries(settings)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ field: `platform_settings.${platform}`, message: 'must be an object' });
    }
  }
  return settings as Partial<Record<Platform, Record<string, unknown>>>;
}

function accountsOf(accounts: string[] | null | undefined): string[] | null {
  return accounts && accounts.length > 0 ? [...accounts] : null;
}

/** JSON data only, on ordinary objects (no class instances, no prototypes to speak of). */
function plainCopy(value: object): unknown {
  return JSON.parse(JSON.stringify(value));
}

function scheduleOf(text: string, zone: string, problems: FieldProblem[]): string | null {
  const instant = parseInstant(text, zone);
  if (instant === null) {
    problems.push({ field: 'scheduled_for', message: 'must be an ISO 8601 date-time, e.g. 2030-01-31T09:00:00Z, or 2030-01-31T09:00 read in `timezone`' });
  }
  return instant;
}

function timezoneProblems(zone: string | undefined): FieldProblem[] {
  return zone !== undefined && !isValidTimeZone(zone) ? [{ field: 'timezone', message: `unknown IANA time zone "${zone}"` }] : [];
}

function refuseIf(problems: FieldProblem[]): void {
  if (problems.length > 0) throw new PostInvalid(`${problems[0].field}: ${problems[0].message}`, problems);
}

export function createInput(body: CreatePostDto): CreateInput {
  const problems = timezoneProblems(body.timezone);
  const timezone = body.timezone ?? 'UTC';
  const content: PostContent = {
    content: body.content,
    platforms: [...body.platforms],
    media: mediaOf(body.media),
    segments: segmentsOf(body.segments),
    tags: [...(body.tags ?? [])],
    platform_overrides: overridesOf(body.platform_overrides, problems),
    platform_settings: settingsOf(body.platform_settings, problems),
    timezone,
    accounts: accountsOf(body.accounts),
    group_id: body.group_id ?? null,
    link_url: body.link_url ?? null,
    link_title: body.link_title ?? null,
    link_description: body.link_description ?? null,
  };
  const scheduled_for =
    typeof body.scheduled_for === 'string' && problems.every((p) => p.field !== 'timezone') ? scheduleOf(body.scheduled_for, timezone, problems) : null;
  refuseIf(problems);
  return { content, scheduled_for };
}

/**
 * RFC 7386 JSON merge patch: keys given replace, `null` removes, nested objects merge.
 * Used by PATCH for the per-platform maps, so `{"platform_overrides": {"x": null}}`
 * drops one override and keeps the others.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

/** PUT replaces each given field; PATCH merges the per-platform maps into the post's (RFC 7386). */
export type UpdateMode = 'replace' | 'merge';

/** `state`: the post being changed (a wall-clock `scheduled_for` is read in its time zone unless the update names another). */
export function updateInput(body: UpdatePostDto, state: PostState, mode: UpdateMode = 'replace'): UpdateInput {
  if (mode === 'merge') {
    body = { ...body };
    if (body.platform_overrides) body.platform_overrides = mergePatch(state.platform_overrides, body.platform_overrides) as Record<string, unknown>;
    if (body.platform_settings) body.platform_settings = mergePatch(state.platform_settings, body.platform_settings) as Record<string, unknown>;
  }
  const problems = timezoneProblems(body.timezone);
  const changes: Partial<PostContent> = {};
  if (body.content !== undefined) changes.content = body.content;
  if (body.platforms !== undefined) changes.platforms = [...body.platforms];
  if (body.media !== undefined) changes.media = mediaOf(body.media);
  if (body.segments !== undefined) changes.segments = segmentsOf(body.segments);
  if (body.tags !== undefined) changes.tags = [...(body.tags ?? [])];
  if (body.platform_overrides !== undefined) changes.platform_overrides = overridesOf(body.platform_overrides, problems);
  if (body.platform_settings !== undefined) changes.platform_settings = settingsOf(body.platform_settings, problems);
  if (body.timezone !== undefined) changes.timezone = body.timezone;
  if (body.accounts !== undefined) changes.accounts = accountsOf(body.accounts);
  if (body.group_id !== undefined) changes.group_id = body.group_id;
  if (body.link_url !== undefined) changes.link_url = body.link_url;
  if (body.link_title !== undefined) changes.link_title = body.link_title;
  if (body.link_description !== undefined) changes.link_description = body.link_description;
  const input: UpdateInput = { changes };
  if (body.scheduled_for === null) input.scheduled_for = null;
  else if (typeof body.scheduled_for === 'string' && problems.every((p) => p.field !== 'timezone')) {
    input.scheduled_for = scheduleOf(body.scheduled_for, body.timezone ?? state.timezone, problems);
  }
  refuseIf(problems);
  return input;
}
