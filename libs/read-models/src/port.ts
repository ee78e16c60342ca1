import type { PostState, PostStatus, PostView } from '../../domain';

/**
 * The read models port: documents projected from the post events, serving list/get,
 * the scheduler's due index and the dispatcher's recovery. Adapters: SQLite (embedded)
 * and MongoDB (distributed). A document remembers the stream revision it reflects;
 * an event at or below that revision changes nothing, so redelivery and replay are harmless.
 */

export interface PostDocument {
  id: string;
  workspace_id: string;
  /** Stream revision of the last event applied. */
  revision: number;
  /** Global position of the last event applied. */
  position: bigint;
  deleted: boolean;
  status: PostStatus;
  /** Due instant for the scheduler (scheduled posts only), else null. */
  scheduled_for: string | null;
  created_at: string;
  tags: string[];
  /** The aggregate state, so the projector can evolve it without reading the stream. */
  state: PostState;
  view: PostView;
}

export interface ListPostsQuery {
  workspace_id: string;
  status?: PostStatus;
  tag?: string;
  limit: number;
  offset: number;
}

/** The live posts of one group of a workspace (`group_id`, from `seeds/002`). */
export interface GroupPostsQuery {
  workspace_id: string;
  group_id: string;
  limit: number;
  offset: number;
}

export interface PostReadModel {
  /** The post as the API shows it; null when unknown, deleted, or of another workspace. */
  get(workspaceId: string, postId: string): Promise<PostView | null>;
  /** Newest first (created_at desc, then id desc), deleted posts excluded. */
  list(query: ListPostsQuery): Promise<{ posts: PostView[]; total: number }>;
  /** A group's posts, oldest first (created_at asc, then id asc), deleted posts excluded. */
  group(query: GroupPostsQuery): Promise<{ posts: PostView[]; total: number }>;
  /** Scheduled posts with scheduled_for <= now, oldest due first. */
  dueScheduled(now: string, limit: number): Promise<{ id: string; workspace_id: string; scheduled_for: string }[]>;
  /** Posts in `publishing` status (to re-dispatch unfinished work after a restart). */
  publishing(limit: number): Promise<PostDocument[]>;
  /** Resolves true once the document reflects at least `revision` (read-your-writes), false on timeout. */
  waitForRevision(postId: string, revision: number, timeoutMs: number): Promise<boolean>;

  // Projector side.
  /** Current documents of these posts (null where none), for evolving them. */
  load(postIds: string[]): Promise<Map<string, PostDocument>>;
  /**
   * Stores documents and the projector's checkpoint together. A document is written only
   * if its revision is higher than the stored one (older or equal ones are ignored).
   */
  save(documents: PostDocument[], checkpoint: { projector: string; position: bigint }): Promise<void>;
  checkpoint(projector: string): Promise<bigint | null>;
  /** Drops every document and checkpoint (replay rebuilds them from the store). */
  reset(): Promise<void>;
  close(): Promise<void>;
}
