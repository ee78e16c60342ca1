import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  PostCommand,
  PostEvent,
  PostNotFound,
  PostState,
  RecordedPostEvent,
  decide,
  evolve,
  initialPostState,
  postStream,
  upcastPostEvent,
} from '../../domain';
import { EVENT_STORE, CLOCK, type Clock } from '../../wiring';
import { WrongExpectedRevision, type EventMetadata, type EventStore, type EventToAppend, type RecordedEvent } from '../../event-store';

/** Who causes the events and in answer to what; becomes each event's metadata. */
export interface CommandMeta {
  workspace_id: string;
  /** API key id, `scheduler`, `publisher:<platform>` or `system`. */
  actor: string;
  request_id?: string;
  /** Defaults to the request id. */
  correlation_id?: string;
  causation_id?: string;
}

export interface ExecuteOptions {
  /**
   * On a concurrent write, reload the post and decide again up to this many times.
   * Only for commands whose outcome does not depend on what the caller last saw
   * (the publisher's Record* commands are idempotent); by default a conflict propagates.
   */
  retries?: number;
}

/**
 * A command, or a way to build one from the post as it is now (publish targets depend on
 * the post's platforms): the builder runs again on each retry, so it always sees the state
 * its events are appended against.
 */
export type PostCommandInput = PostCommand | ((state: PostState, now: string) => PostCommand | Promise<PostCommand>);

export interface PostCommandOutcome {
  /** The post after the command. */
  state: PostState;
  /** What the command decided; empty when nothing changed (and nothing was appended). */
  events: PostEvent[];
  /** The stream's last revision after the command (-1: the post does not exist). */
  revision: number;
  /** Global position of the last event of the stream after the command (0n: none). */
  position: bigint;
}

export interface LoadedPost {
  state: PostState;
  /** Last revision of the stream, -1 when it does not exist. */
  revision: number;
  /** The stored events, oldest first, each brought to the current version of its type. */
  events: RecordedEvent[];
}

/** The domain event with the metadata `evolve` reads. */
export function asRecordedPostEvent(event: RecordedEvent): RecordedPostEvent {
  return {
    type: event.type,
    version: event.version,
    data: event.data,
    metadata: { occurred_at: event.metadata.occurred_at, actor: event.metadata.actor },
  } as RecordedPostEvent;
}

/**
 * The command side of a post without any transport: load the stream, rebuild the
 * state, decide, append with the revision the decision was made on. Two racing
 * writers cannot both win: the second gets `WrongExpectedRevision`.
 */
@Injectable()
export class PostCommands {
  /** Per post, the tail of the retrying commands in flight in this process (see `execute`). */
  private readonly lanes = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async load(postId: string): Promise<LoadedPost> {
    const stored = await this.store.readStream(postStream(postId));
    let state = initialPostState();
    const events = stored.map((event) => {
      const current = upcastPostEvent(event.type, event.version, event.data);
      return { ...event, type: current.type, version: current.version, data: current.data as Record<string, unknown> };
    });
    for (const event of events) state = evolve(state, asRecordedPostEvent(event));
    return { state, revision: events.length > 0 ? events[events.length - 1].revision : -1, events };
  }

  async execute(postId: string, input: PostCommandInput, meta: CommandMeta, options: ExecuteOptions = {}): Promise<PostCommandOutcome> {
    const retries = Math.max(0, options.retries ?? 0);
    if (retries === 0) return this.attempt(postId, input, meta);
    // Retrying commands (publishers recording results) on one post take turns within this
    // process: a dozen platforms finishing together would otherwise keep invalidating each
    // other's expected revision. Commands from clients are not queued: a conflict with
    // them must still surface as a 409.
    const previous = this.lanes.get(postId) ?? Promise.resolve();
    const turn = previous.catch(() => undefined).then(() => this.withRetries(postId, input, meta, retries));
    this.lanes.set(postId, turn);
    try {
      return await turn;
    } finally {
      if (this.lanes.get(postId) === turn) this.lanes.delete(postId);
    }
  }

  /** Other processes (or clients) may still win the race: decide again after a short, jittered pause. */
  private async withRetries(postId: string, input: PostCommandInput, meta: CommandMeta, retries: number): Promise<PostCommandOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(postId, input, meta);
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision) || attempt >= retries) throw error;
        const ceilingMs = Math.min(200, 5 * 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * ceilingMs));
      }
    }
  }

  private async attempt(postId: string, input: PostCommandInput, meta: CommandMeta): Promise<PostCommandOutcome> {
    const loaded = await this.load(postId);
    const { state, revision } = loaded;
    const now = this.clock().toISOString();
    const creating = typeof input !== 'function' && (input.type === 'CreatePost' || input.type === 'CreateAndPublishPost');
    // Another workspace's post is indistinguishable from a missing one.
    if (!creating && (!state.exists || state.deleted || state.workspace_id !== meta.workspace_id)) {
      throw new PostNotFound(postId);
    }
    const command = typeof input === 'function' ? await input(state, now) : input;
    const decided = decide(state, command);
    const position = loaded.events.length > 0 ? loaded.events[loaded.events.length - 1].position : 0n;
    if (decided.length === 0) return { state, events: [], revision, position };

    const metadata = metadataOf(meta, now);
    const toAppend: EventToAppend[] = decided.map((event) => ({
      id: randomUUID(),
      type: event.type,
      version: event.version,
      data: event.data as Record<string, unknown>,
      metadata,
    }));
    const appended = await this.store.append(postStream(postId), toAppend, revision < 0 ? 'no_stream' : revision);
    let next = state;
    for (const event of decided) next = evolve(next, { ...event, metadata: { occurred_at: now, actor: meta.actor } } as RecordedPostEvent);
    return { state: next, events: decided, revision: appended.nextRevision, position: appended.position };
  }
}

function metadataOf(meta: CommandMeta, now: string): EventMetadata {
  const metadata: EventMetadata = { occurred_at: now, workspace_id: meta.workspace_id, actor: meta.actor };
  if (meta.request_id !== undefined) metadata.request_id = meta.request_id;
  const correlation = meta.correlation_id ?? meta.request_id;
  if (correlation !== undefined) metadata.correlation_id = correlation;
  if (meta.causation_id !== undefined) metadata.causation_id = meta.causation_id;
  return metadata;
}
