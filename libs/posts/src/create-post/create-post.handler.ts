import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { checkPost } from '../../../domain';
import { ACCOUNTS, CLOCK, type Clock } from '../../../wiring';
import { metaOf } from '../caller-meta';
import type { ConnectedAccounts } from '../connected-accounts';
import { LibraryMedia } from '../library-media';
import { PostCommands } from '../post-commands';
import { newPostId } from '../post-ids';
import { createInput } from '../post-input';
import { ReadYourWrites } from '../read-your-writes';
import { CreatePostCommand, type CreatedPost } from './create-post.command';

@CommandHandler(CreatePostCommand)
export class CreatePostHandler implements ICommandHandler<CreatePostCommand, CreatedPost> {
  constructor(
    private readonly posts: PostCommands,
    private readonly views: ReadYourWrites,
    private readonly libraryMedia: LibraryMedia,
    @Inject(ACCOUNTS) private readonly accounts: ConnectedAccounts,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ caller, body }: CreatePostCommand): Promise<CreatedPost> {
    const { content, scheduled_for } = createInput(body);
    await this.libraryMedia.resolve(caller.workspace_id, content);
    // Named accounts must be the workspace's and of the post's platforms (422 `accounts[i]` otherwise).
    if (content.accounts) await this.accounts.resolveTargets(caller.workspace_id, content.platforms, content.accounts);
    const postId = newPostId();
    const outcome = await this.posts.execute(
      postId,
      { type: 'CreatePost', post_id: postId, workspace_id: caller.workspace_id, content, scheduled_for, now: this.clock().toISOString() },
      metaOf(caller),
    );
    const view = await this.views.view(caller.workspace_id, postId, outcome);
    // Limits are enforced at publish time; at create they are news, not errors (seeds/000).
    const warnings = checkPost(content);
    return warnings.length > 0 ? { ...view, warnings } : view;
  }
}
