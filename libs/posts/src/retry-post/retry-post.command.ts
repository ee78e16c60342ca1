import { Command } from '@nestjs/cqrs';
import type { PostView } from '../../../domain';
import type { RequestContext } from '../../../wiring';

export class RetryPostCommand extends Command<PostView> {
  constructor(
    readonly caller: RequestContext,
    readonly postId: string,
  ) {
    super();
  }
}
