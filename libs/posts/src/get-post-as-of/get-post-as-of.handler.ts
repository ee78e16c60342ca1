import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PostInvalid, PostNotFound, evolve, initialPostState, parseInstant, postView, type PostView } from '../../../domain';
import { PostCommands, asRecordedPostEvent } from '../post-commands';
import { GetPostAsOfQuery } from './get-post-as-of.query';

@QueryHandler(GetPostAsOfQuery)
export class GetPostAsOfHandler implements IQueryHandler<GetPostAsOfQuery, PostView> {
  constructor(private readonly posts: PostCommands) {}

  async execute({ caller, postId, asOf }: GetPostAsOfQuery): Promise<PostView> {
    const instant = typeof asOf === 'string' ? parseInstant(asOf, 'UTC') : null;
    if (instant === null) {
      throw new PostInvalid('as_of: must be an ISO 8601 date-time', [{ field: 'as_of', message: 'must be an ISO 8601 date-time, e.g. 2030-01-31T09:00:00Z' }]);
    }
    const until = Date.parse(instant);
    const { events } = await this.posts.load(postId);
    let state = initialPostState();
    for (const event of events) {
      if (Date.parse(event.metadata.occurred_at) > until) break;
      state = evolve(state, asRecordedPostEvent(event));
    }
    // Not yet created (or already deleted) at that time, or another workspace's: not found.
    if (!state.exists || state.deleted || state.workspace_id !== caller.workspace_id) throw new PostNotFound(postId);
    return postView(state);
  }
}
