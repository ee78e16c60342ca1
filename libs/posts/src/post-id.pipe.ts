import { Injectable, type PipeTransform } from '@nestjs/common';
import { PostNotFound } from '../../domain';
import { isPostId } from './post-ids';

/** A path segment that cannot be a post id is a post that does not exist, found without a lookup. */
@Injectable()
export class PostIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (!isPostId(value)) throw new PostNotFound(String(value).slice(0, 80));
    return value;
  }
}
