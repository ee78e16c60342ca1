import type { PlatformRefusal, PostContent } from '../../domain';

/**
 * The port through which the posts feature hears what each platform's adapter would refuse
 * (bound to the publishing library's adapters under `PLATFORM_CHECKS`): `validate` reports
 * these and an API publish is refused with them, as the publishers would refuse them later.
 */
export interface PlatformChecks {
  refusals(post: Pick<PostContent, 'platforms' | 'content' | 'media' | 'segments' | 'platform_overrides' | 'platform_settings'>, requestedAt: string): PlatformRefusal[];
}
