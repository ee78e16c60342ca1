import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import { MAX_GROUP_ID_LENGTH, MAX_IMAGES, MAX_LINK_DESCRIPTION_LENGTH, MAX_LINK_TITLE_LENGTH, MAX_SEGMENTS, MAX_SEGMENT_LENGTH, PLATFORMS } from '../../domain';

/** Media must be fetched from the web; `require_tld: false` lets tests point at 127.0.0.1. */
const HTTP_URL = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };
const URL_MESSAGE = '$property must be an http(s) URL';
export const MAX_URL_LENGTH = 2048;
export { MAX_LINK_DESCRIPTION_LENGTH, MAX_LINK_TITLE_LENGTH };
export const MAX_ALT_TEXT_LENGTH = 5000;
/**
 * Longer than any platform takes (Facebook, 63,206), so no publishable post is refused;
 * it bounds the work of measuring text per platform (also applied to each override).
 */
export const MAX_CONTENT_LENGTH = 100_000;
export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 50;
const MAX_ACCOUNT_ID_LENGTH = 64;
const MAX_TIMEZONE_LENGTH = 64;
const MAX_INSTANT_LENGTH = 64;

/** The video and the images of one post exclude each other. */
function NotWithImages(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'notWithImages',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property cannot be combined with images' },
      validator: {
        validate(value: unknown, args: ValidationArguments): boolean {
          const images = (args.object as { images?: unknown }).images;
          return value === null || value === undefined || !Array.isArray(images) || images.length === 0;
        },
      },
    });
}

/** `med_` ids of the media library; whose workspace they are is checked when the post names them. */
const MEDIA_ID = /^med_[A-Za-z0-9]{1,64}$/;
const mediaId = (each = false) => applyDecorators(IsString({ each }), Matches(MEDIA_ID, { each, message: '$property must be a media id (med_...)' }));

/** A piece of media is named by `url` or by `media_id`, never both. */
function NotWithUrl(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'notWithUrl',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property cannot be combined with url: name the media by one of them' },
      validator: {
        validate(value: unknown, args: ValidationArguments): boolean {
          return value === undefined || (args.object as { url?: unknown }).url === undefined;
        },
      },
    });
}

/** `url` is required unless `media_id` names the media. */
const urlUnlessMediaId = () => ValidateIf((object: { media_id?: unknown; url?: unknown }) => object.media_id === undefined || object.url !== undefined);

const httpUrl = (each = false) =>
  applyDecorators(IsString({ each }), MaxLength(MAX_URL_LENGTH, { each }), IsUrl(HTTP_URL, { each, message: URL_MESSAGE }));

export class ImageDto {
  @urlUnlessMediaId()
  @httpUrl()
  url?: string;

  @IsOptional()
  @mediaId()
  @NotWithUrl()
  media_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_ALT_TEXT_LENGTH)
  alt_text?: string | null;
}

export class VideoDto {
  @urlUnlessMediaId()
  @httpUrl()
  url?: string;

  @IsOptional()
  @mediaId()
  @NotWithUrl()
  media_id?: string;

  @IsOptional()
  @httpUrl()
  thumbnail_url?: string | null;
}

export class MediaDto {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_IMAGES)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => ImageDto)
  images?: ImageDto[] | null;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => VideoDto)
  @NotWithImages()
  video?: VideoDto | null;
}

export class SegmentDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_SEGMENT_LENGTH)
  content!: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_IMAGES)
  @httpUrl(true)
  media_urls?: string[] | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_IMAGES)
  @mediaId(true)
  media_ids?: string[] | null;
}

/** In an update every field may be left out, but a given one is validated, null included. */
const givenOrRequired = (required: boolean): PropertyDecorator =>
  required ? () => undefined : ValidateIf((_object: object, value: unknown) => value !== undefined);

/**
 * Field rules shared by create, update and validate. Fields that cannot be null refuse it;
 * the others take null as "none" (no schedule, no media, no thread, no tags, ...).
 */
export const PostField = {
  content: (required: boolean) => applyDecorators(givenOrRequired(required), IsString(), IsNotEmpty(), MaxLength(MAX_CONTENT_LENGTH)),
  platforms: (required: boolean) =>
    applyDecorators(
      givenOrRequired(required),
      IsArray(),
      ArrayNotEmpty(),
      ArrayMaxSize(PLATFORMS.length),
      ArrayUnique(),
      IsIn([...PLATFORMS], { each: true, message: `each value in $property must be one of: ${PLATFORMS.join(', ')}` }),
    ),
  timezone: (required: boolean) => applyDecorators(givenOrRequired(required), IsString(), IsNotEmpty(), MaxLength(MAX_TIMEZONE_LENGTH)),
  scheduledFor: () => applyDecorators(IsOptional(), IsString(), MaxLength(MAX_INSTANT_LENGTH)),
  media: () => applyDecorators(IsOptional(), IsObject(), ValidateNested(), Type(() => MediaDto)),
  segments: () =>
    applyDecorators(IsOptional(), IsArray(), ArrayMaxSize(MAX_SEGMENTS), IsObject({ each: true }), ValidateNested({ each: true }), Type(() => SegmentDto)),
  tags: () =>
    applyDecorators(IsOptional(), IsArray(), ArrayMaxSize(MAX_TAGS), IsString({ each: true }), IsNotEmpty({ each: true }), MaxLength(MAX_TAG_LENGTH, { each: true })),
  /** Keys and values are checked by the domain, which names `platform_overrides.<platform>`. */
  platformMap: () => applyDecorators(IsOptional(), IsObject()),
  /** Any id the client picks (a UUID in practice); null in an update leaves the group. */
  groupId: () => applyDecorators(IsOptional(), IsString(), IsNotEmpty(), MaxLength(MAX_GROUP_ID_LENGTH)),
  /** A link shared as a preview card (`seeds/004`): http(s) only. */
  linkUrl: () => applyDecorators(IsOptional(), httpUrl()),
  linkText: (max: number) => applyDecorators(IsOptional(), IsString(), MaxLength(max)),
  accounts: () =>
    applyDecorators(
      IsOptional(),
      IsArray(),
      ArrayMaxSize(PLATFORMS.length),
      ArrayUnique(),
      IsString({ each: true }),
      IsNotEmpty({ each: true }),
      MaxLength(MAX_ACCOUNT_ID_LENGTH, { each: true }),
    ),
};
