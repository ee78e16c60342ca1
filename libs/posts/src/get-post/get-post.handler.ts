import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PostNotFound, type PostView } from '../../../domain';
import type { PostReadModel } from '../../../read-models';
import { POST_READ_MODEL } from '../../../wiring';
import { GetPostQuery } from './get-post.query';

@QueryHandler(GetPostQuery)
export class GetPostHandler implements IQueryHandler<GetPostQuery, PostView> {
  constructor(@Inject(POST_READ_MODEL) private readonly readModel: PostReadModel) {}

  async execute({ caller, postId }: GetPostQuery): Promise<PostView> {
    const view = await this.readModel.get(caller.workspace_id, postId);
    if (!view) throw new PostNotFound(postId);
    return view;
  }
}
