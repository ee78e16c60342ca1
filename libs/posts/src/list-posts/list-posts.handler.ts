import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { PostReadModel } from '../../../read-models';
import { POST_READ_MODEL } from '../../../wiring';
import { ListPostsQuery, type PostPage } from './list-posts.query';

@QueryHandler(ListPostsQuery)
export class ListPostsHandler implements IQueryHandler<ListPostsQuery, PostPage> {
  constructor(@Inject(POST_READ_MODEL) private readonly readModel: PostReadModel) {}

  async execute({ caller, filter }: ListPostsQuery): Promise<PostPage> {
    const { posts, total } = await this.readModel.list({ workspace_id: caller.workspace_id, ...filter });
    return { posts, total };
  }
}
