import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PostNotFound } from '../../../domain';
import { PostCommands } from '../post-commands';
import { PostHistoryQuery, type PostHistory } from './post-history.query';

@QueryHandler(PostHistoryQuery)
export class PostHistoryHandler implements IQueryHandler<PostHistoryQuery, PostHistory> {
  constructor(private readonly posts: PostCommands) {}

  async execute({ caller, postId }: PostHistoryQuery): Promise<PostHistory> {
    const { state, events } = await this.posts.load(postId);
    // A deleted post keeps its audit log (it ends with PostDeleted); another workspace's is not found.
    if (!state.exists || state.workspace_id !== caller.workspace_id) throw new PostNotFound(postId);
    return {
      events: events.map((event) => ({
        type: event.type,
        version: event.version,
        revision: event.revision,
        at: event.metadata.occurred_at,
        actor: event.metadata.actor,
        data: event.data,
      })),
    };
  }
}
