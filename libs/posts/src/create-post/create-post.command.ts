import { Command } from '@nestjs/cqrs';
import type { PlatformProblem, PostView } from '../../../domain';
import type { RequestContext } from '../../../wiring';
import type { CreatePostDto } from './create-post.dto';

/** The created post; `warnings` lists what a platform would refuse at publish time (only when there is something). */
export type CreatedPost = PostView & { warnings?: PlatformProblem[] };

export class CreatePostCommand extends Command<CreatedPost> {
  constructor(
    readonly caller: RequestContext,
    readonly body: CreatePostDto,
  ) {
    super();
  }
}
