import { Query } from '@nestjs/cqrs';
import type { RequestContext } from '../../../wiring';
import type { PostPage } from '../list-posts/list-posts.query';

/** GET /v1/posts/group/:group_id: the group's posts, oldest first. */
export class GroupPostsQuery extends Query<PostPage> {
  constructor(
    readonly caller: RequestContext,
    readonly groupId: string,
    readonly limit: number,
    readonly offset: number,
  ) {
    super();
  }
}
