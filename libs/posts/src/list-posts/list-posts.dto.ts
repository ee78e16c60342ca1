import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { POST_STATUSES, type PostStatus } from '../../../domain';
import { MAX_TAG_LENGTH } from '../post-content.dto';

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;
const MAX_OFFSET = 1_000_000_000;

/** Query strings are text: only plain decimal integers become numbers; anything else fails as itself. */
const integerText = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^-?\d{1,12}$/.test(value) ? Number(value) : value);

/** GET /v1/posts?status&limit&offset&tag */
export class ListPostsDto {
  @IsOptional()
  @IsIn([...POST_STATUSES], { message: `$property must be one of: ${POST_STATUSES.join(', ')}` })
  status?: PostStatus;

  @IsOptional()
  @Transform(integerText)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;

  @IsOptional()
  @Transform(integerText)
  @IsInt()
  @Min(0)
  @Max(MAX_OFFSET)
  offset?: number;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TAG_LENGTH)
  tag?: string;
}
