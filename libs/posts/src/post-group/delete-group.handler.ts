import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PostNotFound } from '../../../domain';
import type { PostReadModel } from '../../../read-models';
import { POST_READ_MODEL } from '../../../wiring';
import { metaOf } from '../caller-meta';
import { PostCommands } from '../post-commands';
import { ReadYourWrites } from '../read-your-writes';
import { DeleteGroupCommand } from './delete-group.command';

const PAGE = 100;

@CommandHandler(DeleteGroupCommand)
export class DeleteGroupHandler implements ICommandHandler<DeleteGroupCommand, { deleted: number }> {
  constructor(
    private readonly posts: PostCommands,
    private readonly views: ReadYourWrites,
    @Inject(POST_READ_MODEL) private readonly readModel: PostReadModel,
  ) {}

  async execute({ caller, groupId }: DeleteGroupCommand): Promise<{ deleted: number }> {
    // The members as the read model shows them (the caller's own writes are in it: every
    // write settles before it is answered). Each post is its own stream, so each deletion
    // is its own `PostDeleted` with its own optimistic check.
    const ids: string[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.readModel.group({ workspace_id: caller.workspace_id, group_id: groupId, limit: PAGE, offset });
      ids.push(...page.posts.map((post) => post.id));
      if (page.posts.length < PAGE || offset + PAGE >= page.total) break;
    }
    let deleted = 0;
    for (const postId of ids) {
      try {
        const outcome = await this.posts.execute(
          postId,
          (state) => {
            // Moved to another group since the listing: not this group's to delete.
            if ((state.group_id ?? null) !== groupId) throw new PostNotFound(postId);
            return { type: 'DeletePost' };
          },
          metaOf(caller),
        );
        await this.views.settle(postId, outcome.revision);
        deleted++;
      } catch (error) {
        // Deleted (or moved) by someone else meanwhile: nothing left to do for it.
        if (!(error instanceof PostNotFound)) throw error;
      }
    }
    return { deleted };
  }
}
