import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { postView, statusOf, type PostView } from '../../../domain';
import { ACCOUNTS, PLATFORM_CHECKS } from '../../../wiring';
import { metaOf } from '../caller-meta';
import type { ConnectedAccounts } from '../connected-accounts';
import type { PlatformChecks } from '../platform-checks';
import { PostCommands } from '../post-commands';
import { newPublishId } from '../post-ids';
import { ReadYourWrites } from '../read-your-writes';
import { PublishPostCommand } from './publish-post.command';

@CommandHandler(PublishPostCommand)
export class PublishPostHandler implements ICommandHandler<PublishPostCommand, PostView> {
  constructor(
    private readonly posts: PostCommands,
    private readonly views: ReadYourWrites,
    @Inject(ACCOUNTS) private readonly accounts: ConnectedAccounts,
    @Inject(PLATFORM_CHECKS) private readonly platformChecks: PlatformChecks,
  ) {}

  async execute({ caller, postId }: PublishPostCommand): Promise<PostView> {
    const outcome = await this.posts.execute(
      postId,
      async (state, now) => {
        const status = statusOf(state);
        // A post that cannot be published any more is refused by the domain with 409;
        // looking up its accounts first could only turn that into a misleading 422.
        const publishable = status === 'draft' || status === 'scheduled';
        const targets = publishable
          ? await this.accounts.resolveTargets(caller.workspace_id, state.platforms, state.accounts)
          : state.platforms.map((platform) => ({ platform, account_id: null }));
        const refusals = publishable ? this.platformChecks.refusals(state, now) : [];
        return { type: 'RequestPublish', publish_id: newPublishId(), trigger: 'api', targets, refusals, now };
      },
      metaOf(caller),
    );
    await this.views.settle(postId, outcome.revision);
    // The post as this request left it (`publishing`): the publishers may already have
    // moved the read model on, and the answer to a publish is that it started.
    return postView(outcome.state);
  }
}
