import { Command } from '@nestjs/cqrs';
import type { RequestContext } from '../../../wiring';

export class DeletePostCommand extends Command<void> {
  constructor(
    readonly caller: RequestContext,
    readonly postId: string,
  ) {
    super();
  }
}
