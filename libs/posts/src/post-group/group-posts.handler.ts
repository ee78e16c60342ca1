import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { PostReadModel } from '../../../read-models';
import { POST_READ_MODEL } from '../../../wiring';
import type { PostPage } from '../list-posts/list-posts.query';
import { GroupPostsQuery } from './group-posts.query';

@QueryHandler(GroupPostsQuery)
export class GroupPostsHandler implements IQueryHandler<GroupPostsQuery, PostPage> {
  constructor(@Inject(POST_READ_MODEL) private readonly readModel: PostReadModel) {}

  execute({ caller, groupId, limit, offset }: GroupPostsQuery): Promise<PostPage> {
    return this.readModel.group({ workspace_id: caller.workspace_id, group_id: groupId, limit, offset });
  }
}
