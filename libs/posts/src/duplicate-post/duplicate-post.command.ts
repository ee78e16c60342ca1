import { Command } from '@nestjs/cqrs';
import type { PostView } from '../../../domain';
import type { RequestContext } from '../../../wiring';

export class DuplicatePostCommand extends Command<PostView> {
  constructor(
    readonly caller: RequestContext,
    /** The post whose content the new draft takes. */
    readonly postId: string,
  ) {
    super();
  }
}
