import { Query } from '@nestjs/cqrs';
import type { RequestContext } from '../../../wiring';

export interface PostHistoryEntry {
  type: string;
  version: number;
  /** 0-based position of the event in the post's stream. */
  revision: number;
  /** When the command that caused it was decided (ISO UTC). */
  at: string;
  /** API key id, `scheduler`, `publisher:<platform>` or `system`. */
  actor: string;
  data: Record<string, unknown>;
}

export interface PostHistory {
  events: PostHistoryEntry[];
}

/** The post's events, oldest first, from the event store: the audit log. */
export class PostHistoryQuery extends Query<PostHistory> {
  constructor(
    readonly caller: RequestContext,
    readonly postId: string,
  ) {
    super();
  }
}
