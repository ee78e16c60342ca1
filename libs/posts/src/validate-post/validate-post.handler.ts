import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { checkPost, decide, initialPostState, refusalsBeyond } from '../../../domain';
import { ACCOUNTS, CLOCK, type Clock, PLATFORM_CHECKS } from '../../../wiring';
import type { PlatformChecks } from '../platform-checks';
import type { ConnectedAccounts } from '../connected-accounts';
import { LibraryMedia } from '../library-media';
import { newPostId } from '../post-ids';
import { createInput } from '../post-input';
import { ValidatePostQuery, type PostValidation, type ValidationProblem } from './validate-post.query';

@QueryHandler(ValidatePostQuery)
export class ValidatePostHandler implements IQueryHandler<ValidatePostQuery, PostValidation> {
  constructor(
    @Inject(ACCOUNTS) private readonly accounts: ConnectedAccounts,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PLATFORM_CHECKS) private readonly platformChecks: PlatformChecks,
    private readonly libraryMedia: LibraryMedia,
  ) {}

  async execute({ caller, body }: ValidatePostQuery): Promise<PostValidation> {
    const { content, scheduled_for } = createInput(body);
    await this.libraryMedia.resolve(caller.workspace_id, content, false);
    // What a create would refuse, this refuses the same way (422): the pure decision, without the append.
    const postId = newPostId();
    const now = this.clock().toISOString();
    decide(initialPostState(), { type: 'CreatePost', post_id: postId, workspace_id: caller.workspace_id, content, scheduled_for, now });
    const targets = await this.accounts.resolveTargets(caller.workspace_id, content.platforms, content.accounts);
    const domainProblems = checkPost(content);
    const problems: ValidationProblem[] = [
      ...domainProblems,
      ...refusalsBeyond(domainProblems, this.platformChecks.refusals(content, now)).map((r) => ({ ...r, code: 'refused_by_platform' })),
      ...targets
        .filter((t) => t.account_id === null)
        .map((t) => ({ platform: t.platform, field: 'platforms', code: 'no_account', message: `no connected ${t.platform} account in this workspace` })),
    ];
    return { valid: problems.length === 0, problems };
  }
}
