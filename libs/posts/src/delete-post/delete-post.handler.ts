import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { metaOf } from '../caller-meta';
import { PostCommands } from '../post-commands';
import { ReadYourWrites } from '../read-your-writes';
import { DeletePostCommand } from './delete-post.command';

@CommandHandler(DeletePostCommand)
export class DeletePostHandler implements ICommandHandler<DeletePostCommand, void> {
  constructor(
    private readonly posts: PostCommands,
    private readonly views: ReadYourWrites,
  ) {}

  async execute({ caller, postId }: DeletePostCommand): Promise<void> {
    const outcome = await this.posts.execute(postId, { type: 'DeletePost' }, metaOf(caller));
    // So that the client's next GET answers 404 and its next list leaves the post out.
    await this.views.settle(postId, outcome.revision);
  }
}
