import { Injectable, type PipeTransform } from '@nestjs/common';
import { MAX_GROUP_ID_LENGTH, PostInvalid } from '../../../domain';

/** `:group_id` in a path: the same bound as the field, so no stored group is out of reach and no longer id is looked up. */
@Injectable()
export class GroupIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || value.trim() === '') {
      throw new PostInvalid('group_id: must be a non-empty string', [{ field: 'group_id', message: 'must be a non-empty string' }]);
    }
    if (value.length > MAX_GROUP_ID_LENGTH) {
      const message = `at most ${MAX_GROUP_ID_LENGTH} characters`;
      throw new PostInvalid(`group_id: ${message}`, [{ field: 'group_id', message }]);
    }
    return value;
  }
}
