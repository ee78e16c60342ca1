import { isPlatform } from '../platforms';
import { isValidTimeZone, DAY_MS } from '../time';
import { checkPost } from './checks';
import type {
  CreateAndPublishPost,
  CreatePost,
  DeletePost,
  PlatformRefusal,
  PostCommand,
  RecordPlatformAttemptFailed,
  RecordPlatformFailed,
  RecordPlatformPublished,
  RecordSegmentPublished,
  RequestPublish,
  RetryPublish,
  UpdatePost,
} from './commands';
import { FieldProblem, PostConflict, PostInvalid, PostNotFound } from './errors';
import { POST_EVENT_VERSION, PostEvent, RecordedPostEvent } from './events';
import { CONTENT_FIELDS, MAX_GROUP_ID_LENGTH, MAX_IMAGES, MAX_SCHEDULE_AHEAD_DAYS, MAX_SEGMENT_LENGTH, MAX_SEGMENTS, PostContent, PublishTarget } from './post';
import { PostState, evolve, failedPlatforms, statusOf } from './state';

const event = <E extends PostEvent>(type: E['type'], data: E['data']): E => ({ type, version: POST_EVENT_VERSION[type], data }) as E;

/** Invariants of a post's content, whatever the platforms. */
export function contentProblems(content: Partial<PostContent>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (content.content !== undefined && (typeof content.content !== 'string' || content.content.trim() === '')) {
    problems.push({ field: 'content', message: 'must be a non-empty string' });
  }
  if (content.platforms !== undefined) {
    if (!Array.isArray(content.platforms) || content.platforms.length === 0) {
      problems.push({ field: 'platforms', message: 'must be a non-empty array' });
    } else {
      content.platforms.forEach((p, i) => {
        if (!isPlatform(p)) problems.push({ field: `platforms[${i}]`, message: `unknown platform "${String(p)}"` });
      });
      if (new Set(content.platforms).size !== content.platforms.length) problems.push({ field: 'platforms', message: 'must not contain duplicates' });
    }
  }
  if (content.media) {
    const { images, video } = content.media;
    if (images.length > MAX_IMAGES) problems.push({ field: 'media.images', message: `at most ${MAX_IMAGES} images` });
    if (images.length > 0 && video) problems.push({ field: 'media', message: 'images and a video cannot be combined' });
  }
  if (content.segments) {
    if (content.segments.length > MAX_SEGMENTS) problems.push({ field: 'segments', message: `at most ${MAX_SEGMENTS} segments` });
    content.segments.forEach((s, i) => {
      if (typeof s.content !== 'string' || s.content.trim() === '') problems.push({ field: `segments[${i}].content`, message: 'must be a non-empty string' });
      else if (s.content.length > MAX_SEGMENT_LENGTH) problems.push({ field: `segments[${i}].content`, message: `at most ${MAX_SEGMENT_LENGTH} characters` });
    });
  }
  if (content.group_id !== undefined && content.group_id !== null) {
    if (typeof content.group_id !== 'string' || content.group_id.trim() === '') problems.push({ field: 'group_id', message: 'must be a non-empty string' });
    else if (content.group_id.length > MAX_GROUP_ID_LENGTH) problems.push({ field: 'group_id', message: `at most ${MAX_GROUP_ID_LENGTH} characters` });
  }
  if (content.link_url !== undefined && content.link_url !== null && !isHttpUrl(content.link_url)) {
    problems.push({ field: 'link_url', message: 'must be an http(s) URL' });
  }
  if (content.timezone !== undefined && !isValidTimeZone(content.timezone)) {
    problems.push({ field: 'timezone', message: `unknown IANA time zone "${content.timezone}"` });
  }
  if (content.platform_overrides) {
    for (const [platform, text] of Object.entries(content.platform_overrides)) {
      const wanted = content.platforms ?? [];
      if (!isPlatform(platform)) problems.push({ field: `platform_overrides.${platform}`, message: `unknown platform "${platform}"` });
      else if (content.platforms && !wanted.includes(platform)) problems.push({ field: `platform_overrides.${platform}`, message: `"${platform}" is not one of the post's platforms` });
      if (typeof text !== 'string' || text.trim() === '') problems.push({ field: `platform_overrides.${platform}`, message: 'must be a non-empty string' });
    }
  }
  if (content.platform_settings) {
    for (const platform of Object.keys(content.platform_settings)) {
      if (!isPlatform(platform)) problems.push({ field: `platform_settings.${platform}`, message: `unknown platform "${platform}"` });
    }
  }
  return problems;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * The largest a post's content may be, serialized: every event that carries it must fit
 * in one append well under EventStoreDB's `MaxAppendSize` (1 MiB by default), with room
 * for metadata. A body just under the 1 MiB request limit would otherwise reach the store
 * and be refused there.
 */
export const MAX_POST_CONTENT_BYTES = 512 * 1024;

const utf8 = new TextEncoder();

function contentOf(post: Partial<PostContent>): Partial<PostContent> {
  const content: Partial<PostContent> = {};
  for (const key of CONTENT_FIELDS) if (post[key] !== undefined) (content as Record<string, unknown>)[key] = post[key];
  return content;
}

/** A post whose content, overrides, settings, segments, media and tags together exceed `MAX_POST_CONTENT_BYTES`. */
export function sizeProblems(content: Partial<PostContent>): FieldProblem[] {
  const bytes = utf8.encode(JSON.stringify(content)).length;
  if (bytes <= MAX_POST_CONTENT_BYTES) return [];
  return [{ field: 'body', code: 'too_large', message: `the post takes ${bytes} bytes serialized (content, overrides, settings, segments, media, tags); at most ${MAX_POST_CONTENT_BYTES}` }];
}

export function scheduleProblems(scheduledFor: string, now: string): FieldProblem[] {
  const at = Date.parse(scheduledFor);
  const nowMs = Date.parse(now);
  if (Number.isNaN(at)) return [{ field: 'scheduled_for', message: 'must be an ISO 8601 date-time' }];
  if (at <= nowMs) return [{ field: 'scheduled_for', message: 'must be in the future' }];
  if (at - nowMs > MAX_SCHEDULE_AHEAD_DAYS * DAY_MS) return [{ field: 'scheduled_for', message: `must be at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead` }];
  return [];
}

function invalidIf(problems: FieldProblem[]): void {
  if (problems.length > 0) throw new PostInvalid(`${problems[0].field}: ${problems[0].message}`, problems);
}

function requireLive(state: PostState, postId = state.id): void {
  if (!state.exists || state.deleted) throw new PostNotFound(postId);
}

function requireEditable(state: PostState, action: string): void {
  const status = statusOf(state);
  if (status !== 'draft' && status !== 'scheduled') {
    throw new PostConflict(`cannot ${action} a post that is ${status}; only draft or scheduled posts can`);
  }
}

function targetsProblems(state: PostState, targets: PublishTarget[], expected: readonly string[]): FieldProblem[] {
  const given = targets.map((t) => t.platform).sort();
  const wanted = [...expected].sort();
  if (given.length !== wanted.length || given.some((p, i) => p !== wanted[i])) {
    return [{ field: 'platforms', message: `publish targets (${given.join(', ')}) must be the post's platforms (${wanted.join(', ')})` }];
  }
  return [];
}

function createPost(state: PostState, c: CreatePost): PostEvent[] {
  if (state.exists) throw new PostConflict(`post ${c.post_id} already exists`);
  invalidIf([...contentProblems(c.content), ...sizeProblems(c.content), ...(c.scheduled_for ? scheduleProblems(c.scheduled_for, c.now) : [])]);
  const created = event('PostCreated', { post_id: c.post_id, workspace_id: c.workspace_id, duplicated_from: c.duplicated_from ?? null, ...c.content });
  return c.scheduled_for ? [created, event('PostScheduled', { scheduled_for: c.scheduled_for })] : [created];
}

/** The creation and the publish request as one decision: the publish is judged against the post just created. */
function createAndPublishPost(state: PostState, c: CreateAndPublishPost): PostEvent[] {
  const created = createPost(state, { type: 'CreatePost', post_id: c.post_id, workspace_id: c.workspace_id, content: c.content, scheduled_for: null, now: c.now });
  const after = created.reduce((s, e) => evolve(s, { ...e, metadata: { occurred_at: c.now, actor: '' } } as RecordedPostEvent), state);
  const publish = requestPublish(after, { type: 'RequestPublish', publish_id: c.publish_id, trigger: 'api', targets: c.targets, refusals: c.refusals, now: c.now });
  return [...created, ...publish];
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function updatePost(state: PostState, c: UpdatePost): PostEvent[] {
  requireLive(state);
  requireEditable(state, 'update');
  const merged = { ...state, ...c.changes };
  // Overrides and settings are checked against the platforms the post will have after the update.
  invalidIf([
    ...contentProblems({ ...c.changes, platforms: merged.platforms, platform_overrides: merged.platform_overrides }),
    ...sizeProblems(contentOf(merged)),
    ...(c.scheduled_for ? scheduleProblems(c.scheduled_for, c.now) : []),
  ]);
  const changes: Partial<PostContent> = {};
  for (const [key, value] of Object.entries(c.changes) as [keyof PostContent, unknown][]) {
    if (!sameValue(state[key], value)) (changes as Record<string, unknown>)[key] = value;
  }
  const events: PostEvent[] = [];
  if (Object.keys(changes).length > 0) events.push(event('PostUpdated', { changes }));
  if (c.scheduled_for === null && state.scheduled_for !== null) events.push(event('PostUnscheduled', {}));
  if (typeof c.scheduled_for === 'string' && c.scheduled_for !== state.scheduled_for) {
    events.push(event('PostScheduled', { scheduled_for: c.scheduled_for }));
  }
  return events;
}

function requestPublish(state: PostState, c: RequestPublish): PostEvent[] {
  requireLive(state);
  const status = statusOf(state);
  if (c.trigger === 'schedule') {
    if (status !== 'scheduled') throw new PostConflict(`post is ${status}, not scheduled`);
    if (Date.parse(state.scheduled_for!) > Date.parse(c.now)) throw new PostConflict(`post is not due until ${state.scheduled_for}`);
  } else if (status === 'publishing' || status === 'published') {
    throw new PostConflict(`post is already ${status}`);
  } else if (status === 'failed') {
    throw new PostConflict('post has failed; retry it with POST /v1/posts/:id/retry');
  }
  invalidIf(targetsProblems(state, c.targets, state.platforms));
  if (c.trigger === 'api') {
    // A client hears at once what a platform would refuse; a scheduled publish goes ahead
    // and the refusing platforms fail with the same reason, so nothing waits forever.
    const problems = checkPost(state);
    invalidIf([
      ...problems.map((p) => ({ field: p.field, message: `${p.platform}: ${p.message}`, code: p.code, platform: p.platform })),
      ...c.targets
        .filter((t) => t.account_id === null)
        .map((t) => ({ field: 'platforms', message: `no connected ${t.platform} account in this workspace`, code: 'no_account', platform: t.platform })),
      ...refusalsBeyond(problems, c.refusals ?? []).map((r) => ({ field: r.field, message: `${r.platform}: ${r.message}`, code: 'refused_by_platform', platform: r.platform })),
    ]);
  }
  return [event('PublishRequested', { publish_id: c.publish_id, trigger: c.trigger, targets: c.targets })];
}

function retryPublish(state: PostState, c: RetryPublish): PostEvent[] {
  requireLive(state);
  const status = statusOf(state);
  const failed = failedPlatforms(state);
  if (status === 'publishing') throw new PostConflict('post is still publishing');
  if ((status !== 'failed' && status !== 'published') || failed.length === 0) {
    throw new PostConflict(`post is ${status} with no failed platform to retry`);
  }
  invalidIf(targetsProblems(state, c.targets, failed));
  return [event('PublishRequested', { publish_id: c.publish_id, trigger: 'retry', targets: c.targets })];
}

function progressFor(state: PostState, publishId: string, platform: string) {
  requireLive(state);
  const progress = state.progress[platform as keyof PostState['progress']];
  if (!progress || progress.publish_id !== publishId) {
    throw new PostConflict(`publish ${publishId} is not the current one for ${platform}`);
  }
  return progress;
}

function recordSegmentPublished(state: PostState, c: RecordSegmentPublished): PostEvent[] {
  const progress = progressFor(state, c.publish_id, c.platform);
  // Redelivered results are facts already known: nothing to add.
  if (progress.outcome !== null || progress.segments[c.segment_index] !== undefined) return [];
  if (c.segment_index !== progress.segments.length) {
    throw new PostConflict(`segment ${c.segment_index} of ${c.platform} recorded before segment ${progress.segments.length}`);
  }
  const { type: _t, ...data } = c;
  return [event('SegmentPublished', data)];
}

function recordPlatformPublished(state: PostState, c: RecordPlatformPublished): PostEvent[] {
  const progress = progressFor(state, c.publish_id, c.platform);
  if (progress.outcome !== null) return [];
  const first = progress.segments[0];
  if (!first) throw new PostConflict(`${c.platform} has no published segment to report`);
  return [event('PlatformPublished', { publish_id: c.publish_id, platform: c.platform, post_id: first.post_id, post_url: first.post_url, attempts: c.attempts })];
}

function recordPlatformFailed(state: PostState, c: RecordPlatformFailed): PostEvent[] {
  const progress = progressFor(state, c.publish_id, c.platform);
  if (progress.outcome !== null) return [];
  const { type: _t, ...data } = c;
  return [event('PlatformFailed', data)];
}

/** An attempt recorded once: a redelivered job reporting the same attempt again changes nothing. */
function recordPlatformAttemptFailed(state: PostState, c: RecordPlatformAttemptFailed): PostEvent[] {
  const progress = progressFor(state, c.publish_id, c.platform);
  if (progress.outcome !== null || (progress.attempt?.attempts ?? 0) >= c.attempt) return [];
  const { type: _t, ...data } = c;
  return [event('PlatformAttemptFailed', data)];
}

function deletePost(state: PostState, _c: DeletePost): PostEvent[] {
  requireLive(state);
  return [event('PostDeleted', {})];
}

/** Decides which events a command produces against the post's current state, or refuses it. */
export function decide(state: PostState, command: PostCommand): PostEvent[] {
  switch (command.type) {
    case 'CreatePost':
      return createPost(state, command);
    case 'CreateAndPublishPost':
      return createAndPublishPost(state, command);
    case 'UpdatePost':
      return updatePost(state, command);
    case 'RequestPublish':
      return requestPublish(state, command);
    case 'RetryPublish':
      return retryPublish(state, command);
    case 'RecordSegmentPublished':
      return recordSegmentPublished(state, command);
    case 'RecordPlatformPublished':
      return recordPlatformPublished(state, command);
    case 'RecordPlatformFailed':
      return recordPlatformFailed(state, command);
    case 'RecordPlatformAttemptFailed':
      return recordPlatformAttemptFailed(state, command);
    case 'DeletePost':
      return deletePost(state, command);
  }
}

/**
 * The adapters' refusals that say something the domain's checks did not: an adapter
 * re-checking a field the domain already found wrong on that platform (X's weighted
 * length) would only repeat it.
 */
export function refusalsBeyond(problems: readonly { platform: string; field: string }[], refusals: readonly PlatformRefusal[]): PlatformRefusal[] {
  const known = new Set(problems.map((p) => `${p.platform} ${p.field}`));
  return refusals.filter((r) => !known.has(`${r.platform} ${r.field}`));
}
