import type { Platform } from '../../../domain';
import { MAX_LINK_DESCRIPTION_LENGTH, MAX_LINK_TITLE_LENGTH, PostField, type MediaDto, type SegmentDto } from '../post-content.dto';

/**
 * Body of PUT /v1/posts/:id: only the fields given change. `scheduled_for: null`
 * unschedules, `media: null` removes the media, `segments: []` or null removes the thread.
 */
export class UpdatePostDto {
  @PostField.content(false)
  content?: string;

  @PostField.platforms(false)
  platforms?: Platform[];

  @PostField.scheduledFor()
  scheduled_for?: string | null;

  @PostField.timezone(false)
  timezone?: string;

  @PostField.media()
  media?: MediaDto | null;

  @PostField.segments()
  segments?: SegmentDto[] | null;

  @PostField.tags()
  tags?: string[] | null;

  @PostField.platformMap()
  platform_overrides?: Record<string, unknown> | null;

  @PostField.platformMap()
  platform_settings?: Record<string, unknown> | null;

  @PostField.accounts()
  accounts?: string[] | null;

  @PostField.groupId()
  group_id?: string | null;

  @PostField.linkUrl()
  link_url?: string | null;

  @PostField.linkText(MAX_LINK_TITLE_LENGTH)
  link_title?: string | null;

  @PostField.linkText(MAX_LINK_DESCRIPTION_LENGTH)
  link_description?: string | null;
}
