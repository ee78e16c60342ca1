import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { PostView } from '../../../domain';
import { ACCOUNTS } from '../../../wiring';
import { metaOf } from '../caller-meta';
import type { ConnectedAccounts } from '../connected-accounts';
import { LibraryMedia } from '../library-media';
import { PostCommands } from '../post-commands';
import { updateInput } from '../post-input';
import { ReadYourWrites } from '../read-your-writes';
import { UpdatePostCommand } from './update-post.command';

@CommandHandler(UpdatePostCommand)
export class UpdatePostHandler implements ICommandHandler<UpdatePostCommand, PostView> {
  constructor(
    private readonly posts: PostCommands,
    private readonly views: ReadYourWrites,
    private readonly libraryMedia: LibraryMedia,
    @Inject(ACCOUNTS) private readonly accounts: ConnectedAccounts,
  ) {}

  async execute({ caller, postId, body, mode }: UpdatePostCommand): Promise<PostView> {
    const outcome = await this.posts.execute(
      postId,
      async (state, now) => {
        const { changes, scheduled_for } = updateInput(body, state, mode);
        await this.libraryMedia.resolve(caller.workspace_id, changes);
        // Named accounts must still fit the platforms the post will have.
        const accounts = changes.accounts !== undefined ? changes.accounts : state.accounts;
        if (accounts && (changes.accounts !== undefined || changes.platforms !== undefined)) {
          await this.accounts.resolveTargets(caller.workspace_id, changes.platforms ?? state.platforms, accounts);
        }
        return { type: 'UpdatePost', changes, scheduled_for, now };
      },
      metaOf(caller),
    );
    return this.views.view(caller.workspace_id, postId, outcome);
  }
}
