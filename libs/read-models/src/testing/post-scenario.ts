import { randomUUID } from 'node:crypto';
import {
  Platform,
  PostCommand,
  PostEvent,
  PostState,
  RecordedPostEvent,
  decide,
  evolve,
  initialPostState,
  postStream,
} from '../../../domain';
import type { EventStore, EventToAppend, RecordedEvent } from '../../../event-store';

/**
 * Post histories made through the domain's `decide`, so read-model tests and benches
 * project the shapes the API really writes: creates (drafts, scheduled, threads),
 * updates, (un)schedules, publishes with segments, successes and failures, retries,
 * posts left publishing, deletes.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const START = Date.parse('2026-03-01T00:00:00.000Z');
const PLATFORM_CHOICES: Platform[] = ['bluesky', 'mastodon', 'discord', 'slack', 'telegram'];
const TAGS = ['launch', 'news', 'weekly', 'promo'];

/** Deterministic pseudo-random numbers (mulberry32), so a failing run can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlannedStep {
  command: PostCommand;
  actor: string;
}

export interface PlannedPost {
  postId: string;
  workspaceId: string;
  /** Step k happens on day k of the scenario (plus the post's index in milliseconds). */
  steps: PlannedStep[];
}

export interface ScenarioOptions {
  posts: number;
  workspaces?: string[];
  seed?: number;
  /** Prefix of the generated post ids. Default `p`. */
  idPrefix?: string;
}

function instant(step: number, index: number, extraMs = 0): string {
  return new Date(START + step * DAY_MS + index + extraMs).toISOString();
}

function pick<T>(random: () => number, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const chosen: T[] = [];
  while (chosen.length < count && pool.length > 0) chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0]);
  return chosen;
}

/** What each post will go through, step by step. */
export function planPosts(options: ScenarioOptions): PlannedPost[] {
  const random = seededRandom(options.seed ?? 1);
  const workspaces = options.workspaces ?? ['ws-a', 'ws-b'];
  const plans: PlannedPost[] = [];
  for (let index = 0; index < options.posts; index++) {
    const postId = `${options.idPrefix ?? 'p'}${String(index).padStart(6, '0')}`;
    const workspaceId = workspaces[index % workspaces.length];
    const steps: PlannedStep[] = [];
    const now = () => instant(steps.length, index);
    const api = (command: PostCommand) => steps.push({ command, actor: 'key-1' });
    const platforms = pick(random, PLATFORM_CHOICES, 1 + Math.floor(random() * 3));
    const segments = random() < 0.4 ? Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) => ({ content: `Reply ${i + 1} of ${postId}` })) : null;
    let scheduled = random() < 0.5;
    api({
      type: 'CreatePost',
      post_id: postId,
      workspace_id: workspaceId,
      content: {
        content: `Post ${postId}: hello from the scenario`,
        platforms,
        media: null,
        segments,
        tags: pick(random, TAGS, Math.floor(random() * 3)),
        platform_overrides: {},
        platform_settings: {},
        timezone: 'UTC',
        accounts: null,
      },
      scheduled_for: scheduled ? instant(0, index, HOUR_MS) : null,
      now: now(),
    });
    const updates = Math.floor(random() * 3);
    for (let u = 0; u < updates; u++) {
      const roll = random();
      if (roll < 0.4) api({ type: 'UpdatePost', changes: { content: `Post ${postId}, edit ${u + 1}` }, now: now() });
      else if (roll < 0.6) api({ type: 'UpdatePost', changes: { tags: pick(random, TAGS, 1 + Math.floor(random() * 2)) }, now: now() });
      else if (roll < 0.8) {
        api({ type: 'UpdatePost', changes: {}, scheduled_for: instant(steps.length, index, HOUR_MS), now: now() });
        scheduled = true;
      } else if (scheduled) {
        api({ type: 'UpdatePost', changes: {}, scheduled_for: null, now: now() });
        scheduled = false;
      }
    }
    const fate = random();
    if (fate >= 0.3) {
      const publishId = `${postId}-pub-1`;
      const targets = platforms.map((platform) => ({ platform, account_id: `acct-${platform}` }));
      steps.push({
        command: { type: 'RequestPublish', publish_id: publishId, trigger: scheduled ? 'schedule' : 'api', targets, now: now() },
        actor: scheduled ? 'scheduler' : 'key-1',
      });
      const segmentCount = 1 + (segments?.length ?? 0);
      const leaveUnfinished = fate < 0.4;
      const failed: Platform[] = [];
      platforms.forEach((platform, p) => {
        if (leaveUnfinished && p === platforms.length - 1) return;
        const publisher = `publisher:${platform}`;
        const fails = random() < 0.25;
        const published = fails ? Math.floor(random() * segmentCount) : segmentCount;
        for (let s = 0; s < published; s++) {
          steps.push({
            command: {
              type: 'RecordSegmentPublished',
              publish_id: publishId,
              platform,
              segment_index: s,
              segment_count: segmentCount,
              post_id: `${platform}-${postId}-${s}`,
              post_url: `https://${platform}.example/${postId}/${s}`,
              ref: s === 0 ? null : { parent: `${platform}-${postId}-${s - 1}` },
            },
            actor: publisher,
          });
        }
        if (fails) {
          failed.push(platform);
          steps.push({
            command: { type: 'RecordPlatformFailed', publish_id: publishId, platform, error: 'HTTP 503', code: 'transient', retryable: true, attempts: 3 },
            actor: publisher,
          });
        } else {
          steps.push({ command: { type: 'RecordPlatformPublished', publish_id: publishId, platform, attempts: 1 }, actor: publisher });
        }
      });
      if (!leaveUnfinished && failed.length > 0 && random() < 0.5) {
        const retryId = `${postId}-pub-2`;
        api({ type: 'RetryPublish', publish_id: retryId, targets: targets.filter((t) => failed.includes(t.platform)), now: now() });
        for (const platform of failed) {
          const publisher = `publisher:${platform}`;
          for (let s = 0; s < segmentCount; s++) {
            steps.push({
              command: {
                type: 'RecordSegmentPublished',
                publish_id: retryId,
                platform,
                segment_index: s,
                segment_count: segmentCount,
                post_id: `${platform}-${postId}-r${s}`,
                post_url: `https://${platform}.example/${postId}/r${s}`,
                ref: null,
              },
              actor: publisher,
            });
          }
          steps.push({ command: { type: 'RecordPlatformPublished', publish_id: retryId, platform, attempts: 2 }, actor: publisher });
        }
      }
    }
    if (random() < 0.1) api({ type: 'DeletePost' });
    plans.push({ postId, workspaceId, steps });
  }
  return plans;
}

/** A post's decided events so far, folded, to decide the next command against. */
class PostTrack {
  state: PostState = initialPostState();
  revision = -1;

  constructor(readonly plan: PlannedPost) {}

  /** The events the next step decides, ready to append (and applied to the track). */
  next(step: number, index: number): EventToAppend[] {
    const { command, actor } = this.plan.steps[step];
    const occurredAt = instant(step, index);
    const events = decide(this.state, command);
    return events.map((event) => {
      this.state = evolve(this.state, { ...event, metadata: { occurred_at: occurredAt, actor } } as RecordedPostEvent);
      this.revision++;
      return toAppend(event, { occurred_at: occurredAt, workspace_id: this.plan.workspaceId, actor });
    });
  }
}

function toAppend(event: PostEvent, metadata: EventToAppend['metadata']): EventToAppend {
  return { id: randomUUID(), type: event.type, version: event.version, data: event.data as unknown as Record<string, unknown>, metadata };
}

export interface WrittenScenario {
  posts: number;
  events: number;
}

/**
 * Appends the planned posts to the store step by step, every post's step `k` in one
 * burst (the store commits a burst together), so the streams interleave as under load.
 */
export async function writeScenario(store: EventStore, plans: readonly PlannedPost[]): Promise<WrittenScenario> {
  const tracks = plans.map((plan) => new PostTrack(plan));
  const longest = Math.max(0, ...plans.map((plan) => plan.steps.length));
  let events = 0;
  for (let step = 0; step < longest; step++) {
    const appends: Promise<unknown>[] = [];
    tracks.forEach((track, index) => {
      if (step >= track.plan.steps.length) return;
      const expected = track.revision < 0 ? ('no_stream' as const) : track.revision;
      const batch = track.next(step, index);
      if (batch.length === 0) return;
      events += batch.length;
      appends.push(store.append(postStream(track.plan.postId), batch, expected));
    });
    await Promise.all(appends);
  }
  return { posts: plans.length, events };
}

/**
 * An in-memory run of commands, recorded as the store would (revisions per stream,
 * global positions), for tests that need real events without a store.
 */
export class PostTimeline {
  readonly events: RecordedEvent[] = [];
  private position = 0n;
  private readonly posts = new Map<string, { state: PostState; revision: number; workspaceId: string }>();

  /** Decides `command` on the post and records its events; `at` is when (default: the command's `now`). */
  run(postId: string, workspaceId: string, command: PostCommand, at?: string, actor = 'key-1'): RecordedEvent[] {
    const post = this.posts.get(postId) ?? { state: initialPostState(), revision: -1, workspaceId };
    const occurredAt = at ?? ('now' in command ? command.now : post.state.updated_at);
    const recorded = decide(post.state, command).map((event): RecordedEvent => {
      post.state = evolve(post.state, { ...event, metadata: { occurred_at: occurredAt, actor } } as RecordedPostEvent);
      post.revision++;
      this.position++;
      return {
        id: randomUUID(),
        stream: postStream(postId),
        revision: post.revision,
        position: this.position,
        type: event.type,
        version: event.version,
        data: event.data as unknown as Record<string, unknown>,
        metadata: { occurred_at: occurredAt, workspace_id: post.workspaceId, actor },
        recorded_at: occurredAt,
      };
    });
    this.posts.set(postId, post);
    this.events.push(...recorded);
    return recorded;
  }

  /** Events of one post, oldest first. */
  eventsOf(postId: string): RecordedEvent[] {
    return this.events.filter((event) => event.stream === postStream(postId));
  }
}
