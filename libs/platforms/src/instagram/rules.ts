import { PlatformRules, rulesOf } from '../../../domain';

export const INSTAGRAM_RULES: PlatformRules = rulesOf('instagram');
export const INSTAGRAM_NAME = INSTAGRAM_RULES.name;

/** Instagram API with Facebook Login lives on the Graph API host (https://developers.facebook.com/docs/instagram-platform/content-publishing). */
export { GRAPH_HOST as INSTAGRAM_GRAPH_HOST, GRAPH_VERSION as INSTAGRAM_GRAPH_VERSION } from '../facebook/rules';
export const INSTAGRAM_WEB = 'https://www.instagram.com';

/** `caption` of `POST /{ig-user-id}/media`: 2,200 characters, 30 hashtags, 20 @ tags. */
export const INSTAGRAM_MAX_HASHTAGS = 30;
export const INSTAGRAM_MAX_MENTIONS = 20;
/** A carousel holds 2 to 10 images and videos. */
export const INSTAGRAM_CAROUSEL_MAX = INSTAGRAM_RULES.media.maxImages;
/** `image_url`: Instagram publishes JPEG images only. */
export const INSTAGRAM_IMAGE_TYPES: readonly string[] = ['image/jpeg'];

export type InstagramPostType = 'post' | 'story' | 'reel';
