import { Query } from '@nestjs/cqrs';
import type { PostStatus, PostView } from '../../../domain';
import type { RequestContext } from '../../../wiring';

export interface PostPage {
  posts: PostView[];
  /** Posts matching the filter, all pages together. */
  total: number;
}

export interface PostFilter {
  status?: PostStatus;
  tag?: string;
  limit: number;
  offset: number;
}

/** Newest first. */
export class ListPostsQuery extends Query<PostPage> {
  constructor(
    readonly caller: RequestContext,
    readonly filter: PostFilter,
  ) {
    super();
  }
}
