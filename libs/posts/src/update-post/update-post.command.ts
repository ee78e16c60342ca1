import { Command } from '@nestjs/cqrs';
import type { PostView } from '../../../domain';
import type { RequestContext } from '../../../wiring';
import type { UpdatePostDto } from './update-post.dto';

export class UpdatePostCommand extends Command<PostView> {
  constructor(
    readonly caller: RequestContext,
    readonly postId: string,
    readonly body: UpdatePostDto,
  ) {
    super();
  }
}
