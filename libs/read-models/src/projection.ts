import {
  POST_STREAM_PREFIX,
  PostState,
  RecordedPostEvent,
  evolve,
  initialPostState,
  postView,
  upcastPostEvent,
} from '../../domain';
import type { RecordedEvent } from '../../event-store';
import type { PostDocument } from './port';

/** The post id a stream holds, or null for a stream that is not a post's. */
export function postIdOfStream(stream: string): string | null {
  return stream.startsWith(POST_STREAM_PREFIX) && stream.length > POST_STREAM_PREFIX.length ? stream.slice(POST_STREAM_PREFIX.length) : null;
}

/** Every field of a document follows from the state, so a document can never disagree with itself. */
export function postDocumentOf(id: string, state: PostState, revision: number, position: bigint): PostDocument {
  const view = postView(state);
  return {
    id,
    workspace_id: state.workspace_id,
    revision,
    position,
    deleted: state.deleted,
    status: view.status,
    scheduled_for: view.status === 'scheduled' ? state.scheduled_for : null,
    created_at: state.created_at,
    tags: state.tags,
    state,
    view,
  };
}

function evolveWith(state: PostState, event: RecordedEvent): PostState {
  const upcast = upcastPostEvent(event.type, event.version, event.data);
  const recorded = { ...upcast, metadata: { occurred_at: event.metadata.occurred_at, actor: event.metadata.actor } } as RecordedPostEvent;
  return evolve(state, recorded);
}

/**
 * The document after one more event. Events of other streams, and events the document
 * already reflects (redelivery, replay over a live model), leave it as it is. A stream
 * that does not start with the post's creation yields no document.
 */
export function projectPostEvent(doc: PostDocument | null, event: RecordedEvent): PostDocument | null {
  const id = postIdOfStream(event.stream);
  if (id === null) return doc;
  if (doc && doc.revision >= event.revision) return doc;
  const state = evolveWith(doc?.state ?? initialPostState(), event);
  if (!state.exists) return doc;
  return postDocumentOf(id, state, event.revision, event.position);
}

interface Folded {
  state: PostState;
  revision: number;
  position: bigint;
}

/**
 * Folds a run of events of many posts in memory and builds each changed document once,
 * at the end: a post with many events in one batch (replay, catch-up) costs one view,
 * one write. Same outcome as `projectPostEvent` applied event by event.
 */
export class PostProjection {
  private readonly folded = new Map<string, Folded>();
  private readonly changed = new Set<string>();

  /** `known`: the stored (or cached) documents of the posts these events belong to. */
  constructor(private readonly known: (postId: string) => PostDocument | undefined) {}

  apply(event: RecordedEvent): void {
    const id = postIdOfStream(event.stream);
    if (id === null) return;
    let current = this.folded.get(id);
    if (!current) {
      const doc = this.known(id);
      if (doc) current = { state: doc.state, revision: doc.revision, position: doc.position };
    }
    if (current && current.revision >= event.revision) return;
    const state = evolveWith(current?.state ?? initialPostState(), event);
    if (!state.exists) return;
    this.folded.set(id, { state, revision: event.revision, position: event.position });
    this.changed.add(id);
  }

  /** The documents the applied events changed. */
  documents(): PostDocument[] {
    const documents: PostDocument[] = [];
    for (const id of this.changed) {
      const { state, revision, position } = this.folded.get(id)!;
      documents.push(postDocumentOf(id, state, revision, position));
    }
    return documents;
  }
}

/** Post ids of the events' streams, each once. */
export function postIdsOf(events: readonly RecordedEvent[]): string[] {
  const ids = new Set<string>();
  for (const event of events) {
    const id = postIdOfStream(event.stream);
    if (id !== null) ids.add(id);
  }
  return [...ids];
}
