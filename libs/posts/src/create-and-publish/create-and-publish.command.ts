import { Command } from '@nestjs/cqrs';
import type { PostView } from '../../../domain';
import type { RequestContext } from '../../../wiring';
import type { CreatePostDto } from '../create-post/create-post.dto';

/** POST /v1/posts/create-and-publish (from `seeds/004`): the create body, published at once. */
export class CreateAndPublishCommand extends Command<PostView> {
  constructor(
    readonly caller: RequestContext,
    readonly body: CreatePostDto,
  ) {
    super();
  }
}
