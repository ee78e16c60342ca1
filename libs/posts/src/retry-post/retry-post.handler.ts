import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PostInvalid, failedPlatforms, postView, statusOf, type PostView, type PublishTarget } from '../../../domain';
import { ACCOUNTS } from '../../../wiring';
import { metaOf } from '../caller-meta';
import type { ConnectedAccounts } from '../connected-accounts';
import { PostCommands } from '../post-commands';
import { newPublishId } from '../post-ids';
import { ReadYourWrites } from '../read-your-writes';
import { RetryPostCommand } from './retry-post.command';

@CommandHandler(RetryPostCommand)
export class RetryPostHandler implements ICommandHandler<RetryPostCommand, PostView> {
  constructor(
    private readonly posts: PostCommands,
    private readonly views: ReadYourWrites,
    @Inject(ACCOUNTS) private readonly accounts: ConnectedAccounts,
  ) {}

  async execute({ caller, postId }: RetryPostCommand): Promise<PostView> {
    const outcome = await this.posts.execute(
      postId,
      async (state, now) => {
        const failed = failedPlatforms(state);
        const status = statusOf(state);
        let targets: PublishTarget[] = failed.map((platform) => ({ platform, account_id: null }));
        // Only a post with failed platforms and nothing in flight is retried; the domain refuses the rest with 409.
        if (failed.length > 0 && (status === 'failed' || status === 'published')) {
          // Resolved over all the post's platforms: its named accounts are checked against them.
          const all = await this.accounts.resolveTargets(caller.workspace_id, state.platforms, state.accounts);
          targets = all.filter((t) => failed.includes(t.platform));
          const missing = targets.filter((t) => t.account_id === null);
          if (missing.length > 0) {
            throw new PostInvalid(
              `no connected ${missing[0].platform} account in this workspace`,
              missing.map((t) => ({ field: 'platforms', message: `no connected ${t.platform} account in this workspace`, code: 'no_account', platform: t.platform })),
            );
          }
        }
        return { type: 'RetryPublish', publish_id: newPublishId(), targets, now };
      },
      metaOf(caller),
    );
    await this.views.settle(postId, outcome.revision);
    return postView(outcome.state);
  }
}
