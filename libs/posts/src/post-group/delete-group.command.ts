import { Command } from '@nestjs/cqrs';
import type { RequestContext } from '../../../wiring';

/** DELETE /v1/posts/group/:group_id: deletes every post of the group; answers how many. */
export class DeleteGroupCommand extends Command<{ deleted: number }> {
  constructor(
    readonly caller: RequestContext,
    readonly groupId: string,
  ) {
    super();
  }
}
