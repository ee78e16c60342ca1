import { Query } from '@nestjs/cqrs';
import type { RequestContext } from '../../../wiring';
import type { CreatePostDto } from '../create-post/create-post.dto';

export interface ValidationProblem {
  platform: string;
  field: string;
  code: string;
  message: string;
}

export interface PostValidation {
  valid: boolean;
  problems: ValidationProblem[];
}

/** A dry run of a create: what each platform would refuse, nothing stored. */
export class ValidatePostQuery extends Query<PostValidation> {
  constructor(
    readonly caller: RequestContext,
    readonly body: CreatePostDto,
  ) {
    super();
  }
}
