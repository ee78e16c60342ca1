import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PostInvalid, postView, type PostView } from '../../../domain';
import { ACCOUNTS, CLOCK, PLATFORM_CHECKS, type Clock } from '../../../wiring';
import { metaOf } from '../caller-meta';
import type { ConnectedAccounts } from '../connected-accounts';
import type { PlatformChecks } from '../platform-checks';
import { PostCommands } from '../post-commands';
import { newPostId, newPublishId } from '../post-ids';
import { createInput } from '../post-input';
import { ReadYourWrites } from '../read-your-writes';
import { CreateAndPublishCommand } from './create-and-publish.command';

/**
 * One command, one append: `PostCreated` and `PublishRequested` are stored together, so a
 * crash either leaves nothing or a post the dispatcher finds publishing after a restart.
 */
@CommandHandler(CreateAndPublishCommand)
export class CreateAndPublishHandler implements ICommandHandler<CreateAndPublishCommand, PostView> {
  constructor(
    private readonly posts: PostCommands,
    private readonly views: ReadYourWrites,
    @Inject(ACCOUNTS) private readonly accounts: ConnectedAccounts,
    @Inject(PLATFORM_CHECKS) private readonly platformChecks: PlatformChecks,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ caller, body }: CreateAndPublishCommand): Promise<PostView> {
    if (body.scheduled_for !== undefined && body.scheduled_for !== null) {
      const message = 'a post published now has no schedule; create it with POST /v1/posts to schedule it';
      throw new PostInvalid(`scheduled_for: ${message}`, [{ field: 'scheduled_for', message }]);
    }
    const { content } = createInput(body);
    const targets = await this.accounts.resolveTargets(caller.workspace_id, content.platforms, content.accounts);
    const now = this.clock().toISOString();
    const postId = newPostId();
    const outcome = await this.posts.execute(
      postId,
      {
        type: 'CreateAndPublishPost',
        post_id: postId,
        workspace_id: caller.workspace_id,
        content,
        publish_id: newPublishId(),
        targets,
        refusals: this.platformChecks.refusals(content, now),
        now,
      },
      metaOf(caller),
    );
    await this.views.settle(postId, outcome.revision);
    // As a publish answers: the post as this request left it, `publishing`.
    return postView(outcome.state);
  }
}
