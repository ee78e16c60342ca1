import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CONTENT_FIELDS, PostNotFound, type PostContent, type PostView } from '../../../domain';
import { CLOCK, type Clock } from '../../../wiring';
import { metaOf } from '../caller-meta';
import { PostCommands } from '../post-commands';
import { newPostId } from '../post-ids';
import { ReadYourWrites } from '../read-your-writes';
import { DuplicatePostCommand } from './duplicate-post.command';

@CommandHandler(DuplicatePostCommand)
export class DuplicatePostHandler implements ICommandHandler<DuplicatePostCommand, PostView> {
  constructor(
    private readonly posts: PostCommands,
    private readonly views: ReadYourWrites,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ caller, postId }: DuplicatePostCommand): Promise<PostView> {
    const { state } = await this.posts.load(postId);
    if (!state.exists || state.deleted || state.workspace_id !== caller.workspace_id) throw new PostNotFound(postId);
    const content = Object.fromEntries(CONTENT_FIELDS.map((field) => [field, state[field]])) as unknown as PostContent;
    const copyId = newPostId();
    // A copy is a new draft: not scheduled, never published, whatever the original is.
    const outcome = await this.posts.execute(
      copyId,
      { type: 'CreatePost', post_id: copyId, workspace_id: caller.workspace_id, content, scheduled_for: null, duplicated_from: postId, now: this.clock().toISOString() },
      metaOf(caller),
    );
    return this.views.view(caller.workspace_id, copyId, outcome);
  }
}
