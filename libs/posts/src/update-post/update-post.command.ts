import { Command } from '@nestjs/cqrs';
import type { PostView } from '../../../domain';
import type { RequestContext } from '../../../wiring';
import type { UpdateMode } from '../post-input';
import type { UpdatePostDto } from './update-post.dto';

export class UpdatePostCommand extends Command<PostView> {
  constructor(
    readonly caller: RequestContext,
    readonly postId: string,
    readonly body: UpdatePostDto,
    /** `merge` for PATCH (JSON merge patch), `replace` for PUT. */
    readonly mode: UpdateMode = 'replace',
  ) {
    super();
  }
}
