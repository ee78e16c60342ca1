import { Query } from '@nestjs/cqrs';
import type { PostView } from '../../../domain';
import type { RequestContext } from '../../../wiring';

/** The post as it stood at `asOf`, rebuilt from its events. */
export class GetPostAsOfQuery extends Query<PostView> {
  constructor(
    readonly caller: RequestContext,
    readonly postId: string,
    /** As the client sent it (`?as_of=`); parsed by the handler. */
    readonly asOf: unknown,
  ) {
    super();
  }
}
