import { Query } from '@nestjs/cqrs';
import type { PostView } from '../../../domain';
import type { RequestContext } from '../../../wiring';

export class GetPostQuery extends Query<PostView> {
  constructor(
    readonly caller: RequestContext,
    readonly postId: string,
  ) {
    super();
  }
}
