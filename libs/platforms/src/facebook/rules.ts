import { PlatformRules, rulesOf } from '../../../domain';

export const FACEBOOK_RULES: PlatformRules = rulesOf('facebook');
export const FACEBOOK_NAME = FACEBOOK_RULES.name;

/**
 * Graph API version. Meta's changelog lists v21.0 as available only until 2027-01-21;
 * v24.0 (October 2025) is available until 2028-02-18. Calls to an expired version are
 * upgraded to the oldest available one. Override with the adapters' `graphVersion`.
 */
export const GRAPH_VERSION = 'v24.0';
export const GRAPH_HOST = 'https://graph.facebook.com';
/** Video uploads go to the video host (https://developers.facebook.com/docs/video-api/guides/publishing). */
export const GRAPH_VIDEO_HOST = 'https://graph-video.facebook.com';
/** Resumable upload host of the Reels flow (https://developers.facebook.com/docs/video-api/guides/reels-publishing). */
export const RUPLOAD_HOST = 'https://rupload.facebook.com';
export const FACEBOOK_WEB = 'https://www.facebook.com';

/** A Page post's photos: `attached_media` takes several unpublished photos. */
export const FACEBOOK_MAX_IMAGES = FACEBOOK_RULES.media.maxImages;
/** A comment's `message` (Graph API Comment reference). */
export const FACEBOOK_COMMENT_MAX = 8000;
/** Reels are posted with the Reels API flow; any other video with `POST /{page_id}/videos`. */
export const FACEBOOK_VIDEO_TYPES = ['reel', 'video'] as const;
